"""What the booths API's bodies share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

Code = str
BoothCodes = list[Code]


class In(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")
