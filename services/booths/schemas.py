"""Request and response bodies of the booths API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.booths.domain import BoothStatus
from services.booths.floorplan import BOOTH_SIZE_M
from shared.text import MULTILINE, NAME, TEXT

Code = str
BoothCodes = list[Code]


class In(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# ---- requests -------------------------------------------------------------------------------------------

class ZoneIn(In):
    """A sector zone (`sectors` it is for) or a province pavilion (`province`: code or name, old names too)."""

    code: str = Field(pattern=r"^[A-Za-z0-9._-]{1,20}$")
    name: Annotated[str, Field(max_length=200), NAME] = ""
    kind: Literal["sector", "pavilion"]
    sectors: list[Annotated[str, TEXT]] = Field(default_factory=list, max_length=50)
    province: str | None = Field(default=None, max_length=100)


class ZoneArea(In):
    """Which booths of a hall belong to a zone: whole rows and/or single booths (codes without the hall)."""

    zone: str = Field(max_length=20)
    rows: list[str] = Field(default_factory=list, max_length=200)
    booths: list[str] = Field(default_factory=list, max_length=5000)


class HallSpec(In):
    """A hall as a grid of standard booths; reserved cells (a pillar, a stage) keep their place, empty."""

    code: str = Field(default="", pattern=r"^[A-Za-z0-9._]{0,20}$")
    name: Annotated[str, Field(max_length=200), NAME] = ""
    rows: int = Field(gt=0, le=200)
    booths_per_row: int = Field(gt=0, le=500)
    aisle_every: int = Field(default=0, ge=0, le=500, description="a 3 m cross aisle after every N booths")
    reserved: list[str] = Field(default_factory=list, max_length=5000)
    zones: list[ZoneArea] = Field(default_factory=list, max_length=200)


class GridSpec(In):
    """A plan of one or more halls (codes carry the hall's code, `H2-A01`, when there are several)."""

    halls: list[HallSpec] = Field(min_length=1, max_length=20)


class BoothsIn(In):
    """Booths by code."""

    booth_codes: BoothCodes = Field(min_length=1, max_length=50)


class AssignIn(BoothsIn):
    """Give these booths to an approved registration."""

    registration_id: str = Field(max_length=64)


class SwapIn(In):
    """Exchange the booths of two registrations."""

    registration_ids: list[str] = Field(min_length=2, max_length=2)


class ReasonIn(In):
    """Why (kept in the audit log and the event)."""

    reason: Annotated[str, Field(max_length=500), MULTILINE] = ""


class BlockIn(BoothsIn):
    """Take booths out of use (or back into use), and why."""

    booth_codes: BoothCodes = Field(min_length=1, max_length=5000)
    reason: Annotated[str, Field(max_length=500), MULTILINE] = ""


class HoldIn(BoothsIn):
    """An exhibitor's pick for one of its approved registrations."""

    registration_id: str = Field(max_length=64)


class PreferencesIn(In):
    """What the exhibitor wishes for: a corner booth (granted when possible, never at another's expense)."""

    wants_corner: bool


class AllocateIn(In):
    """Which solver (none: the fair's allocation mode chooses — `exact` for a whole-fair run), and how long
    the exact one may think."""

    mode: Literal["exact", "heuristic"] | None = None
    time_limit_s: float | None = Field(default=None, gt=0, le=3600)


# ---- responses ------------------------------------------------------------------------------------------

class BoothPublic(BaseModel):
    """A booth of the plan; whose it is only for callers allowed to know."""

    code: str
    hall: str
    row: str
    col: int
    x_m: float = Field(description="front-left corner, metres from the hall's left edge")
    y_m: float = Field(description="front-left corner, metres from the hall's front")
    width_m: float
    depth_m: float
    corner: bool
    zone: str | None = None
    status: BoothStatus
    neighbours: list[str] = Field(default_factory=list, description="booths sharing a wall")
    registration_id: str | None = None
    exhibitor_id: str | None = None
    exhibitor_name: str | None = None
    held_until: datetime | None = None


class StatusCounts(BaseModel):
    """How many booths are in each status."""

    free: int
    held: int
    assigned: int
    blocked: int


class ZonePublic(BaseModel):
    """A zone of the plan."""

    code: str
    name: str
    kind: str
    sectors: list[str]
    province_code: str | None = None


class FloorplanPublic(BaseModel):
    """A fair's floor plan."""

    fair_id: str
    name: str
    allocation_mode: str
    booth_size_m: int = BOOTH_SIZE_M
    booth_count: int
    counts: StatusCounts
    zones: list[ZonePublic]
    booths: list[BoothPublic]


class PlanReplaced(BaseModel):
    """A new plan was saved."""

    fair_id: str
    source: str
    booth_count: int


class AssignmentPublic(BaseModel):
    """The booths given to one registration in one decision, with the reason."""

    assignment_id: str
    registration_id: str
    exhibitor_id: str
    booth_codes: list[str]
    corner_count: int
    reason: str
    assigned_at: datetime
    released_at: datetime | None = None
    release_reason: str | None = None


class AssignmentsPublic(BaseModel):
    """A list of assignments."""

    data: list[AssignmentPublic]
    count: int


class UnmetRequestPublic(BaseModel):
    """An approved registration that has no booths yet, and why."""

    registration_id: str
    exhibitor_id: str
    booths_requested: int
    reason: str
    recorded_at: datetime


class UnmetRequestsPublic(BaseModel):
    """A list of unmet requests."""

    data: list[UnmetRequestPublic]
    count: int


class RequestPublic(BaseModel):
    """A registration as the booths service sees it."""

    registration_id: str
    exhibitor_id: str
    exhibitor_name: str
    province_code: str | None
    booths_requested: int
    sector: str
    priority_score: int
    wants_corner: bool
    status: str
    reason: str
    paid: bool
    approved_at: datetime | None
    recorded_at: datetime


class RequestsPublic(BaseModel):
    """A list of requests."""

    data: list[RequestPublic]
    count: int


class HoldPublic(BaseModel):
    """A live hold: booths kept for a registration until `expires_at` unless confirmed."""

    hold_id: str
    registration_id: str
    exhibitor_id: str
    booth_codes: list[str]
    expires_at: datetime


class HoldsPublic(BaseModel):
    """A list of holds."""

    data: list[HoldPublic]
    count: int


class DecisionPublic(BaseModel):
    """What an allocation did for one registration, and why."""

    registration_id: str
    booth_codes: list[str]
    reason: str


class AllocationPublic(BaseModel):
    """An allocation run: the solver, how good its result is known to be, and every decision."""

    run_id: str
    fair_id: str
    allocation_mode: str = Field(description="the fair's: `automatic`, `organizer` or `exhibitor_picks`")
    mode: str = Field(description="the solver asked for: `exact` or `heuristic`")
    mode_chosen_by: str = Field(description="who chose `mode`: `request`, or `fair` (its allocation mode's default)")
    solver: str = Field(description="whose answer was kept: `cp-sat`, or `heuristic` when CP-SAT did no better")
    status: str
    objective: int
    bound: int | None
    gap: float | None
    seconds: float
    requests: int
    assigned: list[DecisionPublic]
    unmet: list[DecisionPublic]


class AuditPublic(BaseModel):
    """One entry of the audit log."""

    at: datetime
    actor: str
    action: str
    registration_id: str | None
    booth_codes: list[str]
    detail: str


class AuditLogPublic(BaseModel):
    """The audit log, newest first."""

    data: list[AuditPublic]
    count: int
