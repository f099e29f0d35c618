"""Request and response bodies of the markets API."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from shared.fields import CommuneCodeInput, ProvinceInput
from shared.text import MULTILINE, NAME, TEXT

# Strict: a count sent as "5", 5.0 or true is a client bug worth a 422, not a silent coercion.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
Count = Annotated[int, Field(strict=True, gt=0, le=10_000)]
Text300 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), NAME]


def _iso_date_text(value: Any) -> Any:
    # Pydantic's lax mode would also take a Unix timestamp or a midnight datetime for a date;
    # the API speaks calendar dates only.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("expected a calendar date as text, YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), TEXT]
MAX_PERIOD_DAYS = 366


class PeriodIn(BaseModel):
    """Whole days from `starts_on` to `ends_on`, both included (a blackout, an availability window)."""

    model_config = ConfigDict(extra="forbid")
    starts_on: IsoDate
    ends_on: IsoDate
    reason: Reason = ""

    @model_validator(mode="after")
    def _ordered(self) -> PeriodIn:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if (self.ends_on - self.starts_on).days >= MAX_PERIOD_DAYS:
            raise ValueError(f"a period lasts at most {MAX_PERIOD_DAYS} days")
        return self


class PlanningFields(BaseModel):
    """How sessions are planned; every field optional (the defaults in brackets)."""

    model_config = ConfigDict(extra="forbid")
    blackouts: list[PeriodIn] | None = Field(default=None, max_length=100,
                                             description="no session on these days [none]")
    min_gap_days: int | None = Field(default=None, strict=True, ge=0, le=365,
                                     description="days between two sessions at one site [60]")
    max_concurrent: int | None = Field(default=None, strict=True, ge=1, le=20,
                                       description="sessions the centre's staff can run at once [1]")
    market_day_mode: Literal["start", "span"] | None = Field(
        default=None, description="a session starts on the site's market day, or spans one [span]")
    avoid_holidays: bool | None = Field(default=None, strict=True,
                                        description="no session over a public holiday or Tết [true]")
    travel_hours_per_day: float | None = Field(default=None, strict=True, ge=1, le=24,
                                               description="hours of road a team covers in a day [8]")
    min_enterprises: int | None = Field(default=None, strict=True, ge=0, le=1000,
                                        description="suppliers a session should have at least [0]")
    max_same_category: int | None = Field(default=None, strict=True, ge=1, le=1000,
                                          description="suppliers of one goods category per session [4]")
    session_cost_vnd: int | None = Field(default=None, strict=True, ge=0, le=10**13,
                                         description="what one session costs the budget, VND")
    funded_support_vnd: int | None = Field(default=None, strict=True, ge=0, le=10**13,
                                           description="support per funded supplier per session, VND")
    max_per_commune: int | None = Field(default=None, strict=True, ge=1, le=366,
                                        description="sessions one commune may have in the year, confirmed ones "
                                                    "included [no cap; null clears it]")


class PlanningPublic(BaseModel):
    """A programme's planning settings."""

    blackouts: list[dict[str, Any]]
    min_gap_days: int
    max_concurrent: int
    market_day_mode: str
    avoid_holidays: bool
    travel_hours_per_day: float
    min_enterprises: int
    max_same_category: int
    session_cost_vnd: int | None
    funded_support_vnd: int | None
    max_per_commune: int | None = None


class ProgrammeCreate(PlanningFields):
    """A new year's programme of market sessions for one province, with optional planning settings."""

    model_config = ConfigDict(extra="forbid")
    name: Text300
    year: int = Field(strict=True, ge=2000, le=2100)
    province_code: ProvinceInput
    target_sessions: int = Field(strict=True, gt=0, le=366, description="sessions planned in the year")
    session_days: int = Field(strict=True, ge=3, le=7, description="usual length of a session, days")
    booth_quota: Count = Field(description="booths per session")
    enterprise_quota: Count = Field(description="enterprises per session")
    budget_vnd: int | None = Field(default=None, strict=True, ge=0, le=10**15, description="integer VND")


class ProgrammeUpdate(PlanningFields):
    """Changes to a programme: its figures and planning settings (the year and province stay)."""

    name: Text300 | None = None
    target_sessions: int | None = Field(default=None, strict=True, gt=0, le=366)
    session_days: int | None = Field(default=None, strict=True, ge=3, le=7)
    booth_quota: Count | None = None
    enterprise_quota: Count | None = None
    budget_vnd: int | None = Field(default=None, strict=True, ge=0, le=10**15)


class ProgrammePublic(BaseModel):
    """A programme as callers see it."""

    id: str
    centre_id: str
    name: str
    year: int
    province_code: str
    province_name: str
    target_sessions: int
    session_days: int
    booth_quota: int
    enterprise_quota: int
    budget_vnd: int | None
    created_at: datetime
    planning: PlanningPublic | None = None


class ProgrammesPublic(BaseModel):
    """A page of programmes."""

    data: list[ProgrammePublic]
    count: int


class SessionCreate(BaseModel):
    """A market session to schedule in a commune of the programme's province."""

    model_config = ConfigDict(extra="forbid")
    commune_code: CommuneCodeInput
    site_name: Text300 = Field(description="where in the commune: its centre, its market")
    starts_on: IsoDate
    ends_on: IsoDate
    booth_quota: Count


class SessionCancel(BaseModel):
    """Why a session will not take place."""

    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), MULTILINE]


class SessionPublic(BaseModel):
    """A market session as callers see it."""

    id: str
    programme_id: str
    province_code: str
    commune_code: str
    commune_name: str
    site_name: str
    starts_on: date
    ends_on: date
    booth_quota: int
    status: str
    cancel_reason: str | None
    cancelled_at: datetime | None


class SessionsPublic(BaseModel):
    """A list of sessions, earliest first."""

    data: list[SessionPublic]
    count: int


class SummaryPublic(BaseModel):
    """How far a programme has come towards its target (over the sessions the caller may see)."""

    sessions_scheduled: int
    sessions_cancelled: int
    communes_covered: int
    booths_planned: int
    sessions_to_target: int


class ProgrammeDetail(ProgrammePublic):
    """A programme with its sessions and summary."""

    sessions: list[SessionPublic]
    summary: SummaryPublic


def period_dict(period: PeriodIn) -> dict[str, Any]:
    """The stored form of a period."""
    return {"starts_on": period.starts_on.isoformat(), "ends_on": period.ends_on.isoformat(),
            "reason": period.reason}
