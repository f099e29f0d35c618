"""Input types every body of the registration API shares: bounded strings, strict counts, places, phones."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from services.registration.domain.profile import normalize_phone, province_code
from shared.text import MULTILINE, NAME, TEXT

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), NAME]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), TEXT]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), MULTILINE]
Address = Annotated[str, Field(max_length=500), TEXT]
# Counts and money are strict: "2", 2.5 or true are refused rather than coerced.
Count = Annotated[int, Field(strict=True, gt=0)]
Points = Annotated[int, Field(strict=True, ge=0, le=100)]
ProvinceInput = Annotated[str, Field(min_length=2, max_length=100,
                                     description="province code or name (pre-2025 names accepted)"),
                          AfterValidator(province_code)]
CommuneInput = Annotated[str, Field(min_length=1, max_length=100,
                                    description="5-digit commune code or the commune's exact name")]
CommuneCodeInput = Annotated[str, Field(pattern=r"^\d{5}$", description="5-digit commune code")]
Phone = Annotated[str, Field(min_length=3, max_length=30, description="phone number; stored in E.164"),
                  AfterValidator(normalize_phone)]
Labels = Annotated[list[Label], Field(max_length=50)]


class Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class ReasonBody(Body):
    """A decision that needs a reason."""

    reason: Reason


class OptionalReasonBody(Body):
    """A decision that may carry a reason."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), MULTILINE] | None = None
