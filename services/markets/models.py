"""Tables of the markets service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.markets.domain.proposals import ProposalStatus
from services.markets.domain.sessions import SessionStatus
from services.markets.domain.suppliers import DEFAULT_KIND
from shared.db import utc_column, utcnow
from shared.uow import new_id


class Programme(SQLModel, table=True):
    """A centre's "Đưa hàng Việt về miền núi, biên giới" programme for one year in one province."""

    __tablename__ = "programmes"
    # The same name twice in one centre's year is a double submit, not a second programme.
    __table_args__ = (UniqueConstraint("centre_id", "year", "name", name="uq_programme_centre_year_name"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    centre_id: str = Field(index=True, max_length=64)
    name: str = Field(max_length=300)
    year: int = Field(index=True)
    province_code: str = Field(max_length=2, index=True)
    target_sessions: int
    session_days: int
    booth_quota: int
    enterprise_quota: int
    # BigInteger: a year's budget in VND passes 2^31 (2.1 billion đồng) easily.
    budget_vnd: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class MarketSession(SQLModel, table=True):
    """One market session (phiên chợ) of a programme, at a commune, for a few days."""

    __tablename__ = "market_sessions"
    __table_args__ = (Index("ix_market_sessions_commune_dates", "commune_code", "starts_on", "ends_on"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    programme_id: str = Field(foreign_key="programmes.id", index=True, max_length=64)
    province_code: str = Field(max_length=2)
    commune_code: str = Field(max_length=5)
    site_name: str = Field(max_length=300)
    starts_on: date
    ends_on: date
    booth_quota: int
    status: str = Field(default=SessionStatus.SCHEDULED, max_length=20)
    cancel_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    cancelled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class ProgrammePlan(SQLModel, table=True):
    """How a programme's sessions are planned: blackouts, gaps, teams, costs (one row per programme).

    Its own table rather than columns of `programmes`, so databases made before planning existed still work.
    """

    __tablename__ = "programme_plans"

    programme_id: str = Field(foreign_key="programmes.id", primary_key=True, max_length=64)
    # [{"starts_on": "YYYY-MM-DD", "ends_on": "YYYY-MM-DD", "reason": "..."}]
    blackouts: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    min_gap_days: int = 60
    max_concurrent: int = 1
    market_day_mode: str = Field(default="span", max_length=10)
    avoid_holidays: bool = True
    travel_hours_per_day: float = 8.0
    min_enterprises: int = 0
    max_same_category: int = 4
    session_cost_vnd: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    funded_support_vnd: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ProgrammeCap(SQLModel, table=True):
    """A programme's cap of sessions per commune per year (its own table, like `programme_plans`, so databases
    made before the cap existed keep working: a programme without a row has no cap)."""

    __tablename__ = "programme_caps"

    programme_id: str = Field(foreign_key="programmes.id", primary_key=True, max_length=64)
    max_per_commune: int | None = None


class Site(SQLModel, table=True):
    """A commune where a programme may hold sessions, with its market day and what makes it a priority."""

    __tablename__ = "market_sites"
    __table_args__ = (UniqueConstraint("programme_id", "commune_code", name="uq_site_programme_commune"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    programme_id: str = Field(foreign_key="programmes.id", index=True, max_length=64)
    commune_code: str = Field(max_length=5)
    name: str = Field(max_length=300)
    mountain: bool = False
    border: bool = False
    island: bool = False
    difficult: bool = False
    priority: int = 1
    capacity_booths: int
    travel_hours: float = 0.0
    market_day: dict[str, Any] = Field(default_factory=lambda: {"kind": "daily"},
                                       sa_column=Column(JSON, nullable=False))
    blackouts: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    max_sessions: int | None = None
    imported_as: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Supplier(SQLModel, table=True):
    """An enterprise, cooperative or household business bringing Vietnamese goods to a programme's sessions."""

    __tablename__ = "market_suppliers"
    __table_args__ = (UniqueConstraint("programme_id", "name", name="uq_supplier_programme_name"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    programme_id: str = Field(foreign_key="programmes.id", index=True, max_length=64)
    name: str = Field(max_length=300)
    kind: str = Field(default=DEFAULT_KIND, max_length=20)
    tax_code: str | None = Field(default=None, max_length=14)
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # [{"starts_on", "ends_on"}]; empty: available all year.
    availability: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    funded: bool = False
    max_sessions: int = 1
    booths: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Proposal(SQLModel, table=True):
    """A schedule the solver proposed: a draft the organizer reviews, edits and confirms (or leaves)."""

    __tablename__ = "proposals"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    programme_id: str = Field(foreign_key="programmes.id", index=True, max_length=64)
    status: str = Field(default=ProposalStatus.DRAFT, max_length=20)
    # The live sessions the draft was built on; confirming is refused once they have changed.
    basis: str = Field(max_length=64)
    forbidden_dates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    outcome: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class ProposalItem(SQLModel, table=True):
    """One line of a proposal: a new session, a confirmed one kept or moved, or one to cancel."""

    __tablename__ = "proposal_items"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    proposal_id: str = Field(foreign_key="proposals.id", index=True, max_length=64)
    action: str = Field(max_length=10)  # a LineAction
    session_id: str | None = Field(default=None, max_length=64)
    commune_code: str = Field(max_length=5)
    site_name: str = Field(max_length=300)
    starts_on: date
    ends_on: date
    booth_quota: int
    pinned: bool = False
    suppliers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=500)


class SessionSupplier(SQLModel, table=True):
    """A supplier taking part in a confirmed session."""

    __tablename__ = "session_suppliers"

    session_id: str = Field(foreign_key="market_sessions.id", primary_key=True, max_length=64)
    supplier_id: str = Field(foreign_key="market_suppliers.id", primary_key=True, max_length=64)


class SessionReport(SQLModel, table=True):
    """What a held session achieved, as the organizer recorded it."""

    __tablename__ = "session_reports"

    session_id: str = Field(foreign_key="market_sessions.id", primary_key=True, max_length=64)
    programme_id: str = Field(foreign_key="programmes.id", index=True, max_length=64)
    visitors: int
    revenue_vnd: int = Field(sa_column=Column(BigInteger, nullable=False))
    enterprises_present: int
    # [{"category": "...", "revenue_vnd": int | None, "note": "..."}]
    goods_sold: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=2000)
    reported_by: str = Field(max_length=200)
    reported_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class SessionChange(SQLModel, table=True):
    """An append-only log of what happened to a session (scheduled, moved, cancelled), and by whom."""

    __tablename__ = "session_changes"

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="market_sessions.id", index=True, max_length=64)
    kind: str = Field(max_length=20)  # a ChangeKind
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    changed_by: str = Field(max_length=200)
    changed_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
