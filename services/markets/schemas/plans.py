"""Bodies of proposals (the solver's drafts), session reports and the programme's summary."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.markets.schemas.programmes import IsoDate, SessionPublic
from shared.text import MULTILINE, TEXT

TimeLimit = Annotated[float, Field(strict=True, ge=0.5, le=600, description="seconds the solver may take")]
ItemIds = Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=400)]
Dates = Annotated[list[IsoDate], Field(max_length=366)]


class ProposalCreate(BaseModel):
    """Ask the solver for a draft schedule (or a re-plan around the confirmed sessions)."""

    model_config = ConfigDict(extra="forbid")
    forbidden_dates: Dates = Field(default_factory=list, description="no session on these days")
    time_limit_s: TimeLimit | None = None
    allow_fewer: bool = Field(default=False, strict=True, description=(
        "when the target cannot be met, plan as many sessions as fit (confirmed sessions that must move and "
        "find no place are cancelled) instead of answering 422"))


class ProposalUpdate(BaseModel):
    """Edit a draft and solve it again: pinned lines stay, forbidden dates are avoided."""

    model_config = ConfigDict(extra="forbid")
    pin: ItemIds = Field(default_factory=list, description="line ids to keep exactly where they are")
    unpin: ItemIds = Field(default_factory=list)
    forbid_dates: Dates = Field(default_factory=list)
    allow_dates: Dates = Field(default_factory=list, description="dates to forbid no longer")
    time_limit_s: TimeLimit | None = None
    allow_fewer: bool = Field(default=False, strict=True, description="as in a new proposal")


class SupplierRef(BaseModel):
    """A supplier named on a line."""

    id: str
    name: str


class ProposalItemPublic(BaseModel):
    """A line of a proposal: a new session, a confirmed one kept or moved, or one to cancel."""

    id: str
    action: str
    session_id: str | None
    commune_code: str
    commune_name: str
    site_name: str
    starts_on: date
    ends_on: date
    booth_quota: int
    pinned: bool
    suppliers: list[SupplierRef]
    note: str


class ProposalPublic(BaseModel):
    """A proposal with its lines and how the solver did."""

    id: str
    programme_id: str
    status: str
    forbidden_dates: list[date]
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None
    counts: dict[str, int]
    solver: dict[str, Any]
    items: list[ProposalItemPublic]


class ProposalsPublic(BaseModel):
    """A programme's proposals, newest first (lines left out)."""

    data: list[dict[str, Any]]
    count: int


class ConfirmedPublic(BaseModel):
    """What confirming a proposal did."""

    proposal: ProposalPublic
    scheduled: list[SessionPublic]
    rescheduled: list[SessionPublic]
    cancelled: list[SessionPublic]


class GoodsSold(BaseModel):
    """Sales of one goods category at a session."""

    model_config = ConfigDict(extra="forbid")
    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), TEXT]
    revenue_vnd: int | None = Field(default=None, strict=True, ge=0, le=10**13)
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300), MULTILINE] = ""


class SessionReportCreate(BaseModel):
    """What a held session achieved."""

    model_config = ConfigDict(extra="forbid")
    visitors: int = Field(strict=True, ge=0, le=10_000_000)
    revenue_vnd: int = Field(strict=True, ge=0, le=10**13, description="integer VND")
    enterprises_present: int = Field(strict=True, ge=0, le=10_000)
    goods_sold: list[GoodsSold] = Field(default_factory=list, max_length=50)
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), MULTILINE] = ""


class SessionReportPublic(BaseModel):
    """A session's recorded results."""

    session_id: str
    programme_id: str
    visitors: int
    revenue_vnd: int
    enterprises_present: int
    goods_sold: list[dict[str, Any]]
    note: str
    reported_at: datetime


class ProgrammeSummaryPublic(BaseModel):
    """A programme's year so far: sessions planned and held, communes covered, enterprises, revenue."""

    programme_id: str
    year: int
    target_sessions: int
    sessions_scheduled: int
    sessions_held: int
    sessions_cancelled: int
    sessions_to_target: int
    communes_planned: int
    communes_covered: int
    enterprises_present: int
    suppliers_enrolled: int
    visitors: int
    revenue_vnd: int
    revenue_by_category: dict[str, int]
