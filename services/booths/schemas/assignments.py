"""Request and response bodies of assignments, requests, organizer operations, allocation runs, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.booths.schemas.common import BoothCodes, In
from shared.text import MULTILINE


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


class AllocateIn(In):
    """Which solver (none: the fair's allocation mode chooses — `exact` for a whole-fair run), and how long
    the exact one may think."""

    mode: Literal["exact", "heuristic"] | None = None
    time_limit_s: float | None = Field(default=None, gt=0, le=3600)


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
