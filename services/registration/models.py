"""Tables of the registration service."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import DDL, JSON, Column, Index, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from services.registration.domain.fairs import FairStatus
from services.registration.domain.registrations import RegistrationStatus
from shared.db import utc_column, utcnow
from shared.money import MONEY
from shared.uow import new_id


def json_column() -> Any:
    """A JSON column (lists and objects; reassign the value, in-place changes are not tracked)."""
    return Column(JSON, nullable=False)


class Fair(SQLModel, table=True):
    """A trade fair organised by a centre."""

    __tablename__ = "fairs"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    centre_id: str = Field(index=True, max_length=64)
    name: str = Field(max_length=300)
    kind: str = Field(max_length=30)
    province_code: str = Field(max_length=2)
    venue: str = Field(max_length=300)
    venue_commune_code: str | None = Field(default=None, max_length=5)
    starts_on: date
    ends_on: date
    registration_opens_at: datetime = Field(sa_column=utc_column())
    registration_closes_at: datetime = Field(sa_column=utc_column())
    cancellation_deadline: datetime = Field(sa_column=utc_column())
    capacity_booths: int
    booth_price_vnd: int = Field(sa_type=MONEY)
    # A free fair (booths at no charge, e.g. a fully funded showcase) says so: a price of 0 is refused otherwise.
    is_free: bool = False
    max_booths_per_exhibitor: int
    allocation_mode: str = Field(default="automatic", max_length=30)
    booths_per_row: int = 10
    sectors: list[str] = Field(default_factory=list, sa_column=json_column())
    zones: list[str] = Field(default_factory=list, sa_column=json_column())
    eligible_kinds: list[str] = Field(default_factory=list, sa_column=json_column())
    cscnnt_only: bool = False
    home_provinces: list[str] = Field(default_factory=list, sa_column=json_column())
    priority_policy: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    seller_name: str = Field(max_length=300)
    seller_tax_code: str = Field(max_length=14)
    seller_address: str = Field(default="", max_length=500)
    status: str = Field(default=FairStatus.DRAFT.value, max_length=20)
    cancel_reason: str | None = Field(default=None, max_length=1000)
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Exhibitor(SQLModel, table=True):
    """An exhibitor's profile: one per tax code."""

    __tablename__ = "exhibitors"

    id: str = Field(primary_key=True, max_length=64)
    legal_name: str = Field(max_length=300)
    kind: str = Field(max_length=30)
    is_cscnnt: bool = False
    tax_code: str = Field(unique=True, max_length=14)
    province_code: str = Field(max_length=2)
    commune_code: str | None = Field(default=None, max_length=5)
    address: str = Field(default="", max_length=500)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=254)
    sectors: list[str] = Field(default_factory=list, sa_column=json_column())
    products: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column())
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Registration(SQLModel, table=True):
    """An exhibitor's request for booths at a fair."""

    __tablename__ = "registrations"
    # The second index answers "booths granted at this fair" and "who waits at this fair" from the index
    # alone, without visiting every registration of the fair.
    __table_args__ = (UniqueConstraint("fair_id", "exhibitor_id", name="uq_registration_fair_exhibitor"),
                      Index("ix_registrations_fair_status", "fair_id", "status", "booths_requested"))

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    fair_id: str = Field(foreign_key="fairs.id", index=True, max_length=64)
    exhibitor_id: str = Field(foreign_key="exhibitors.id", index=True, max_length=64)
    booths_requested: int
    sector: str = Field(default="", max_length=200)
    zone: str = Field(default="", max_length=200)
    products: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    priority_score: int = 0
    priority_reasons: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column())
    status: str = Field(default=RegistrationStatus.SUBMITTED.value, max_length=20)
    decision_reason: str | None = Field(default=None, max_length=1000)
    cancel_reason: str | None = Field(default=None, max_length=20)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


def products_of(registration: Registration) -> list[str]:
    """The product names a registration lists (stored as a JSON list in a text column)."""
    value: list[str] = json.loads(registration.products or "[]")
    return value


class DocumentRequirement(SQLModel, table=True):
    """A document a fair requires of one exhibitor kind (`domain/documents.py`: the catalogue of types)."""

    __tablename__ = "document_requirements"
    __table_args__ = (UniqueConstraint("fair_id", "kind", "doc_type", name="uq_document_requirement"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    fair_id: str = Field(foreign_key="fairs.id", max_length=64)
    kind: str = Field(max_length=30)
    doc_type: str = Field(max_length=60)


class RegistrationDocument(SQLModel, table=True):
    """The current document of one type attached to a registration; its file lives in the storage under
    `storage_key` (an upload of the same type replaces it: a new key, back to pending)."""

    __tablename__ = "registration_documents"
    __table_args__ = (UniqueConstraint("registration_id", "doc_type", name="uq_registration_document_type"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    registration_id: str = Field(foreign_key="registrations.id", index=True, max_length=64)
    fair_id: str = Field(foreign_key="fairs.id", index=True, max_length=64)
    exhibitor_id: str = Field(foreign_key="exhibitors.id", max_length=64)
    doc_type: str = Field(max_length=60)
    status: str = Field(default="pending", max_length=20)
    storage_key: str = Field(max_length=300)
    filename: str = Field(max_length=260)
    media_type: str = Field(max_length=60)
    size_bytes: int
    sha256: str = Field(max_length=64)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    reviewed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reviewed_by: str | None = Field(default=None, max_length=200)
    review_message: str | None = Field(default=None, max_length=1000)


class AuditEntry(SQLModel, table=True):
    """One change, as it happened: who, when, what, why. Rows are only ever inserted (a trigger refuses the rest)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    actor_role: str = Field(max_length=20)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=20)
    entity_id: str = Field(index=True, max_length=64)
    fair_id: str | None = Field(default=None, index=True, max_length=64)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# The database itself keeps the log append-only, whatever code runs against it.
def _ddl(sql: str, dialect: str) -> Any:
    """A statement run right after the audit table is created, on one database dialect only."""
    return DDL(sql).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]


_GUARDS = [
    *(_ddl(f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{op.lower()} BEFORE {op} ON audit_log "
           "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END", "sqlite") for op in ("UPDATE", "DELETE")),
    _ddl("CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
         "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$", "postgresql"),
    _ddl("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
         "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()", "postgresql"),
]
for _guard in _GUARDS:
    event.listen(AuditEntry.__table__, "after_create", _guard)  # type: ignore[attr-defined]

TABLES: list[type[SQLModel]] = [Fair, Exhibitor, Registration, DocumentRequirement, RegistrationDocument, AuditEntry]
