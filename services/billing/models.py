"""Tables of the billing service (prefixed where another service's table could share the name): fairs' price
lists, buyers, centres' settings, invoices and their series, lines and cancellations, extras ordered; the money
around invoices (subsidy programmes and their commitments, payments, credits); and each invoice's submission to
the tax authority.

The unit of work saves mappers in the order of their module and class name when no relationship() orders them
(docs/billing.md): `Invoice` sorts before `InvoiceLineRow`, `InvoiceCancellation` and `InvoiceSubmission`, whose
rows refer to it, so an invoice is inserted before them in the same flush. Keep that in mind naming a table that
refers to another.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from services.billing.domain.invoices import InvoiceStatus
from services.billing.domain.programme_terms import CommitmentStatus
from services.billing.domain.submissions import SubmissionStatus
from shared.db import utc_column, utcnow
from shared.money import MONEY
from shared.uow import new_id

# JSON documents: JSONB on PostgreSQL, text on SQLite; SQLAlchemy (de)serialises them. In-place changes of a loaded
# value are not tracked: assign a new value.
JSON_TYPE = JSON().with_variant(JSONB(), "postgresql")


def json_column() -> Any:
    """A JSON column (NOT NULL; the model's default_factory gives the empty value)."""
    return Column(JSON_TYPE, nullable=False)


class FairPriceList(SQLModel, table=True):
    """Billing's copy of a fair: its booth price and the seller its invoices name."""

    __tablename__ = "billing_fairs"

    fair_id: str = Field(primary_key=True, max_length=64)
    centre_id: str = Field(index=True, max_length=64)
    name: str = Field(max_length=300)
    starts_on: date
    ends_on: date
    booth_price_vnd: int = Field(sa_type=MONEY)
    seller_name: str = Field(max_length=300)
    seller_tax_code: str = Field(max_length=14)
    seller_address: str = Field(default="", max_length=500)
    seller_province_code: str | None = Field(default=None, max_length=2)
    province_code: str | None = Field(default=None, max_length=2)
    # The organizer's part of the price list (surcharges, extras, prices per kind); see pricing.py.
    price_config: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class BuyerSnapshot(SQLModel, table=True):
    """The exhibitor of an approved registration, as its invoice will name it."""

    __tablename__ = "billing_registrations"

    registration_id: str = Field(primary_key=True, max_length=64)
    fair_id: str = Field(index=True, max_length=64)
    exhibitor_id: str = Field(index=True, max_length=64)
    name: str = Field(max_length=300)
    tax_code: str = Field(max_length=14)
    address: str = Field(default="", max_length=500)
    province_code: str | None = Field(default=None, max_length=2)
    commune_code: str | None = Field(default=None, max_length=5)
    kind: str | None = Field(default=None, max_length=30)
    is_cscnnt: bool = False
    approved_at: datetime = Field(sa_column=utc_column())
    # Set by registration.cancelled, which may overtake booths.assigned (another topic): then no invoice.
    cancelled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class CentreSettings(SQLModel, table=True):
    """A centre's invoicing settings: form and symbol parts, payment terms, bank account for transfers."""

    __tablename__ = "billing_centres"

    centre_id: str = Field(primary_key=True, max_length=64)
    form: str = Field(default="1", max_length=1)
    with_tax_authority_code: bool = True
    type_letter: str = Field(default="T", max_length=1)
    series: str = Field(default="AA", max_length=2)
    due_in_days: int | None = None
    bank_bin: str = Field(default="", max_length=6)
    bank_account: str = Field(default="", max_length=19)
    bank_account_name: str = Field(default="", max_length=100)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class InvoiceSeries(SQLModel, table=True):
    """The next number of one seller's symbol; read FOR UPDATE in the issuing transaction, so no gaps."""

    __tablename__ = "invoice_series"

    # Numbers belong to the seller: two centres may both use C26TAA, each numbered from 1.
    centre_id: str = Field(primary_key=True, max_length=64)
    symbol: str = Field(primary_key=True, max_length=6)
    next_number: int = 1


class Invoice(SQLModel, table=True):
    """A VAT e-invoice: numbered once, never deleted or renumbered; voiding keeps the row."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("centre_id", "symbol", "number", name="uq_invoice_symbol_number"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    fair_id: str = Field(index=True, max_length=64)
    centre_id: str = Field(index=True, max_length=64)
    registration_id: str = Field(index=True, max_length=64)
    exhibitor_id: str = Field(index=True, max_length=64)
    # One invoice per assignment, whatever reaches the consumer twice; None for an invoice of extras.
    assignment_id: str | None = Field(default=None, unique=True, max_length=64)
    purpose: str = Field(default="booths", max_length=20)
    form: str = Field(max_length=1)
    symbol: str = Field(max_length=6)
    number: int
    issued_on: date
    due_on: date
    issued_at: datetime = Field(sa_column=utc_column())
    seller_name: str = Field(max_length=300)
    seller_tax_code: str = Field(max_length=14)
    seller_address: str = Field(default="", max_length=500)
    buyer_name: str = Field(max_length=300)
    buyer_tax_code: str = Field(max_length=14)
    buyer_address: str = Field(default="", max_length=500)
    buyer_province_code: str | None = Field(default=None, max_length=2)
    net_vnd: int = Field(sa_type=MONEY)
    vat_vnd: int = Field(sa_type=MONEY)
    total_vnd: int = Field(sa_type=MONEY)
    # The programme's share (second payer) and what is left for the exhibitor: payable = total - subsidy.
    subsidy_vnd: int = Field(default=0, sa_type=MONEY)
    subsidy_requested_vnd: int = Field(default=0, sa_type=MONEY)
    subsidy_programme_id: str | None = Field(default=None, max_length=64)
    subsidy_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    payable_vnd: int = Field(sa_type=MONEY)
    paid_vnd: int = Field(default=0, sa_type=MONEY)
    amount_in_words: str = Field(max_length=500)
    status: str = Field(default=InvoiceStatus.ISSUED, max_length=20, index=True)
    paid_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    overdue_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    voided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class InvoiceLineRow(SQLModel, table=True):
    """One line of an invoice with the VAT rate (code, percent, legal basis) in force on its date."""

    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "position", name="uq_invoice_line_position"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: str = Field(foreign_key="invoices.id", index=True, max_length=64)
    position: int
    kind: str = Field(default="booth", max_length=20)
    description: str = Field(sa_column=Column(Text, nullable=False))
    unit: str = Field(max_length=20)
    quantity: int
    unit_price_vnd: int = Field(sa_type=MONEY)
    net_vnd: int = Field(sa_type=MONEY)
    vat_rate: str = Field(max_length=10)
    vat_percent: int | None = None
    vat_vnd: int = Field(sa_type=MONEY)
    vat_basis: str = Field(default="", max_length=300)


class InvoiceCancellation(SQLModel, table=True):
    """The document that cancels an invoice, referring to it; the invoice itself stays as issued."""

    __tablename__ = "invoice_cancellations"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    invoice_id: str = Field(foreign_key="invoices.id", unique=True, max_length=64)
    # HUY-<symbol>-<number> is unique per seller, as the invoice's own number is: one document per invoice
    # (invoice_id above) and one invoice per (centre, symbol, number) (uq_invoice_symbol_number). Two centres
    # both using C26TAA have a HUY-C26TAA-00000001 each, so the number alone is not unique (it was until
    # issue 15: the second centre's void then failed and was dead-lettered).
    number: str = Field(index=True, max_length=40)
    reason: str = Field(max_length=50)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class ExtraOrder(SQLModel, table=True):
    """Extras ordered for a registration; ``invoice_id`` is set once an invoice charges them."""

    __tablename__ = "billing_extra_orders"

    id: int | None = Field(default=None, primary_key=True)
    registration_id: str = Field(index=True, max_length=64)
    code: str = Field(max_length=40)
    quantity: int
    invoice_id: str | None = Field(default=None, index=True, max_length=64)
    ordered_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())



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
    budget_vnd: int = Field(sa_type=MONEY)
    committed_vnd: int = Field(default=0, sa_type=MONEY)
    valid_from: date
    valid_to: date
    support_percent: int
    cap_per_booth_vnd: int | None = Field(default=None, sa_type=MONEY)
    max_booths_per_exhibitor: int
    base: str = Field(default="gross", max_length=5)
    cscnnt_only: bool = False
    # JSON lists (sorted, without duplicates); empty means "any".
    eligible_kinds: list[str] = Field(default_factory=list, sa_column=json_column())
    eligible_provinces: list[str] = Field(default_factory=list, sa_column=json_column())
    eligible_communes: list[str] = Field(default_factory=list, sa_column=json_column())
    fair_ids: list[str] = Field(default_factory=list, sa_column=json_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


# The programme's columns holding JSON lists.
PROGRAMME_LISTS = ("eligible_kinds", "eligible_provinces", "eligible_communes", "fair_ids")


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
    per_booth_vnd: int = Field(sa_type=MONEY)
    requested_vnd: int = Field(sa_type=MONEY)
    amount_vnd: int = Field(sa_type=MONEY)
    status: str = Field(default=CommitmentStatus.COMMITTED, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    released_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Payment(SQLModel, table=True):
    """Money received against an invoice (bank transfer or cash); never edited."""

    __tablename__ = "billing_payments"
    # A bank reference is applied once: the same transfer entered twice is refused.
    __table_args__ = (UniqueConstraint("method", "reference", name="uq_payment_reference"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    invoice_id: str = Field(foreign_key="invoices.id", index=True, max_length=64)
    amount_vnd: int = Field(sa_type=MONEY)
    applied_vnd: int = Field(sa_type=MONEY)
    method: str = Field(max_length=20)
    # NULL when absent, so that many cash payments without a receipt number coexist.
    reference: str | None = Field(default=None, max_length=100)
    received_on: date
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class PaymentReversal(SQLModel, table=True):
    """A mistaken payment taken back: a new entry referring to the original, which is never edited or deleted."""

    __tablename__ = "billing_payment_reversals"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    # Unique: a payment is reversed at most once (a second reversal is refused, even by a racing request).
    payment_id: str = Field(foreign_key="billing_payments.id", unique=True, max_length=64)
    invoice_id: str = Field(foreign_key="invoices.id", index=True, max_length=64)
    amount_vnd: int = Field(sa_type=MONEY)
    applied_vnd: int = Field(sa_type=MONEY)
    credit_vnd: int = Field(sa_type=MONEY)
    reason: str = Field(max_length=500)
    reversed_by: str = Field(max_length=100)
    reversed_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Credit(SQLModel, table=True):
    """Money an exhibitor has with a centre beyond what it owed: an overpayment, or paid on a voided invoice."""

    __tablename__ = "billing_credits"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    centre_id: str = Field(index=True, max_length=64)
    exhibitor_id: str = Field(index=True, max_length=64)
    amount_vnd: int = Field(sa_type=MONEY)
    reason: str = Field(max_length=20)
    invoice_id: str = Field(max_length=64)
    payment_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class InvoiceSubmission(SQLModel, table=True):
    """One invoice's way to the tax authority: state, attempts, the last error, and the code once back."""

    __tablename__ = "einvoice_submissions"

    invoice_id: str = Field(foreign_key="invoices.id", primary_key=True, max_length=64)
    status: str = Field(default=SubmissionStatus.PENDING, max_length=30, index=True)
    attempts: int = 0
    # When the submitter may (re)try; also the lease a claim takes so two replicas never send at once.
    next_attempt_at: datetime = Field(sa_column=utc_column(index=True))
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    provider: str = Field(default="", max_length=20)
    # The provider's reference (its transaction id; the folder the local adapter wrote to).
    reference: str = Field(default="", max_length=500)
    authority_code: str | None = Field(default=None, max_length=34)
    submitted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    authorised_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


TABLES = (FairPriceList, BuyerSnapshot, CentreSettings, InvoiceSeries, Invoice, InvoiceLineRow, InvoiceCancellation,
          ExtraOrder, SubsidyProgramme, SubsidyUsage, SubsidyCommitment, Payment, PaymentReversal, Credit,
          InvoiceSubmission)
