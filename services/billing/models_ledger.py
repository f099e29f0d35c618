"""Tables of the money around invoices: subsidy programmes and their commitments, payments, credits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.billing.models import new_id
from shared.db import utc_column, utcnow


class SubsidyProgramme(SQLModel, table=True):
    """A khuyến công programme of a centre; ``committed_vnd`` is the live total held against the budget."""

    __tablename__ = "subsidy_programmes"
    # The database's own guard: whatever the code does, a programme is never committed beyond its budget.
    __table_args__ = (CheckConstraint("committed_vnd >= 0 AND committed_vnd <= budget_vnd",
                                      name="ck_programme_within_budget"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    centre_id: str = Field(index=True, max_length=64)
    name: str = Field(max_length=300)
    decision: str = Field(default="", max_length=200)
    level: str = Field(max_length=10)
    funder: str = Field(max_length=300)
    funding_province_code: str | None = Field(default=None, max_length=2)
    budget_vnd: int
    committed_vnd: int = 0
    valid_from: date
    valid_to: date
    support_percent: int
    cap_per_booth_vnd: int | None = None
    max_booths_per_exhibitor: int
    base: str = Field(default="gross", max_length=5)
    cscnnt_only: bool = False
    # JSON lists; empty means "any".
    eligible_kinds: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    eligible_provinces: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    eligible_communes: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    fair_ids: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class SubsidyUsage(SQLModel, table=True):
    """Booths a programme currently supports for one exhibitor (its per-exhibitor limit, kept exact)."""

    __tablename__ = "subsidy_usage"

    programme_id: str = Field(primary_key=True, foreign_key="subsidy_programmes.id", max_length=64)
    exhibitor_id: str = Field(primary_key=True, max_length=64)
    booths: int = 0


class SubsidyCommitment(SQLModel, table=True):
    """The programme's share of one invoice: committed on issue, released when the invoice is voided."""

    __tablename__ = "subsidy_commitments"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    programme_id: str = Field(foreign_key="subsidy_programmes.id", index=True, max_length=64)
    invoice_id: str = Field(unique=True, max_length=64)
    registration_id: str = Field(max_length=64)
    exhibitor_id: str = Field(index=True, max_length=64)
    exhibitor_name: str = Field(max_length=300)
    exhibitor_tax_code: str = Field(max_length=14)
    province_code: str | None = Field(default=None, max_length=2)
    fair_id: str = Field(index=True, max_length=64)
    booths: int
    per_booth_vnd: int
    requested_vnd: int
    amount_vnd: int
    status: str = Field(default="committed", max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    released_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Payment(SQLModel, table=True):
    """Money received against an invoice (bank transfer or cash); never edited."""

    __tablename__ = "billing_payments"
    # A bank reference is applied once: the same transfer entered twice is refused.
    __table_args__ = (UniqueConstraint("method", "reference", name="uq_payment_reference"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    invoice_id: str = Field(foreign_key="invoices.id", index=True, max_length=64)
    amount_vnd: int
    applied_vnd: int
    method: str = Field(max_length=20)
    # NULL when absent, so that many cash payments without a receipt number coexist.
    reference: str | None = Field(default=None, max_length=100)
    received_on: date
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Credit(SQLModel, table=True):
    """Money an exhibitor has with a centre beyond what it owed: an overpayment, or paid on a voided invoice."""

    __tablename__ = "billing_credits"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    centre_id: str = Field(index=True, max_length=64)
    exhibitor_id: str = Field(index=True, max_length=64)
    amount_vnd: int
    reason: str = Field(max_length=20)
    invoice_id: str = Field(max_length=64)
    payment_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


LEDGER_TABLES = (SubsidyProgramme, SubsidyUsage, SubsidyCommitment, Payment, Credit)
