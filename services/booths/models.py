"""Tables of the booths service: its copy of each fair, zones, the plan's booths, claims (holds and
assignments), the requests waiting for booths, allocation runs and the audit log.

Table names carry a `booth` prefix because every service's models share SQLModel's metadata in one
process (tests, tools): a second `fairs` table would collide with the registration service's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.booths.domain.rules import ClaimState, RequestStatus
from shared.db import utc_column, utcnow
from shared.uow import new_id

LIVE = text("released_at IS NULL")

# JSON documents: JSONB on PostgreSQL, text on SQLite; SQLAlchemy (de)serialises them. In-place changes of a loaded
# value are not tracked: assign a new value.
JSON_TYPE = JSON().with_variant(JSONB(), "postgresql")


def json_column() -> Any:
    """A JSON column (NOT NULL; the model's default_factory gives the empty value)."""
    return Column(JSON_TYPE, nullable=False)


class BoothFair(SQLModel, table=True):
    """What the booths service keeps of a published fair (from `fair.published`, `fair.updated`)."""

    __tablename__ = "booth_fairs"

    id: str = Field(primary_key=True, max_length=64)
    centre_id: str = Field(index=True, max_length=64)
    name: str = Field(default="", max_length=300)
    allocation_mode: str = Field(max_length=30)
    capacity_booths: int
    booths_per_row: int
    cancelled: bool = False
    plan_source: str = Field(default="fair", max_length=10)  # "fair" (from the event), "grid" or "csv"
    published_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class BoothZone(SQLModel, table=True):
    """A sector zone or a province pavilion of a fair's plan."""

    __tablename__ = "booth_zones"
    __table_args__ = (UniqueConstraint("fair_id", "code", name="uq_booth_zones_fair_code"),)

    id: int | None = Field(default=None, primary_key=True)
    fair_id: str = Field(foreign_key="booth_fairs.id", index=True, max_length=64)
    code: str = Field(max_length=20)
    name: str = Field(default="", max_length=200)
    kind: str = Field(max_length=10)
    sectors: list[str] = Field(default_factory=list, sa_column=json_column())
    province_code: str | None = Field(default=None, max_length=2)


class StandardBooth(SQLModel, table=True):
    """A booth of a fair's floor plan; `x_m`/`y_m` locate its front-left corner within its hall."""

    __tablename__ = "booths"
    __table_args__ = (UniqueConstraint("fair_id", "code", name="uq_booths_fair_code"),
                      # A fair's booths in line order: an area's free stretches are read along it (vacancy.py).
                      Index("ix_booths_fair_line", "fair_id", "hall", "row", "x_m"))

    id: int | None = Field(default=None, primary_key=True)
    fair_id: str = Field(foreign_key="booth_fairs.id", index=True, max_length=64)
    code: str = Field(max_length=48)
    hall: str = Field(default="", max_length=20)
    row: str = Field(max_length=8)
    col: int
    x_m: float
    y_m: float
    width_m: float = 3.0
    depth_m: float = 3.0
    corner: bool = False
    zone: str = Field(default="", max_length=20)
    blocked: bool = False


class Assignment(SQLModel, table=True):
    """A live or past claim of one booth by one registration: `state` is `held` (an exhibitor's pick,
    until `expires_at`) or `assigned`; `released_at` ends it. The booths of one decision share
    `assignment_id` (a hold's id becomes its assignment's). A booth has at most one live claim: the
    partial unique index guarantees it, whatever the code above does."""

    __tablename__ = "booth_assignments"
    __table_args__ = (
        ForeignKeyConstraint(["fair_id", "booth_code"], ["booths.fair_id", "booths.code"],
                             name="fk_booth_assignments_booth"),
        Index("uq_booth_assignments_live_booth", "fair_id", "booth_code", unique=True,
              sqlite_where=LIVE, postgresql_where=LIVE),
    )

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: str = Field(index=True, max_length=64)
    fair_id: str = Field(index=True, max_length=64)
    booth_code: str = Field(max_length=48)
    registration_id: str = Field(index=True, max_length=64)
    exhibitor_id: str = Field(index=True, max_length=64)
    state: str = Field(default=ClaimState.ASSIGNED, max_length=10)
    reason: str = Field(default="", max_length=1000)
    assigned_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    expires_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True, index=True))
    released_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    release_reason: str | None = Field(default=None, max_length=1000)


class BoothRequest(SQLModel, table=True):
    """A registration as booths sees it: what it asks for, its priority and wishes, and where it stands
    (`submitted`, `waiting` for booths once approved, `assigned`, `closed`), with the last reason."""

    __tablename__ = "booth_requests"

    registration_id: str = Field(primary_key=True, max_length=64)
    fair_id: str = Field(index=True, max_length=64)
    exhibitor_id: str = Field(index=True, max_length=64)
    exhibitor_name: str = Field(default="", max_length=300)
    province_code: str | None = Field(default=None, max_length=2)
    booths_requested: int
    sector: str = Field(default="", max_length=200)
    priority_score: int = 0
    wants_corner: bool = False
    status: str = Field(default=RequestStatus.SUBMITTED, max_length=12)
    reason: str = Field(default="", max_length=1000)
    paid: bool = False
    approved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class AllocationRun(SQLModel, table=True):
    """One automatic allocation of a fair: which solver, how good, how long, what came of it."""

    __tablename__ = "booth_allocation_runs"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    fair_id: str = Field(index=True, max_length=64)
    solver: str = Field(max_length=20)
    status: str = Field(max_length=20)
    objective: int
    bound: int | None = None
    gap: float | None = None
    seconds: float
    requests: int
    assigned: int
    requested_by: str = Field(default="", max_length=200)
    ran_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class AuditEntry(SQLModel, table=True):
    """One change to a fair's booths: who (a person or the event that caused it), when, what, why."""

    __tablename__ = "booth_audit"
    # A fair's newest entry is its version for the stretches approvals keep (vacancy.py): one index probe.
    __table_args__ = (Index("ix_booth_audit_fair_newest", "fair_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    fair_id: str = Field(index=True, max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    actor: str = Field(max_length=200)
    action: str = Field(max_length=30)
    registration_id: str | None = Field(default=None, max_length=64)
    booth_codes: list[str] = Field(default_factory=list, sa_column=json_column())
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


TABLES: list[type[SQLModel]] = [BoothFair, BoothZone, StandardBooth, Assignment, BoothRequest, AllocationRun,
                                AuditEntry]
