"""Bodies of the operations routes: the overdue check run now."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class OverdueCheck(BaseModel):
    """Run the check as of ``as_of`` (default: today in Vietnam)."""

    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(default=None, description="the day to check as of; invoices due before it are late")


class OverdueCheckResult(BaseModel):
    """What the check marked overdue."""

    as_of: date
    marked: list[str]
