"""Tables of the billing service (prefixed where another service's table could share the name)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from shared.db import utc_column, utcnow


def new_id() -> str:
    """A new identifier."""
    return uuid.uuid4().hex


class FairPriceList(SQLModel, table=True):
    """Billing's copy of a fair: its booth price and the seller its invoices name."""

    __tablename__ = "billing_fairs"

    fair_id: str = Field(primary_key=True, max_length=64)
    centre_id: str = Field(index=True, max_length=64)
    name: str = Field(max_length=300)
    starts_on: date
    ends_on: date
    booth_price_vnd: int
    seller_name: str = Field(max_length=300)
    seller_tax_code: str = Field(max_length=14)
    seller_address: str = Field(default="", max_length=500)
    seller_province_code: str | None = Field(default=None, max_length=2)
    province_code: str | None = Field(default=None, max_length=2)
    # The organizer's part of the price list (surcharges, extras, prices per kind) as JSON; see pricing.py.
    price_config: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
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
    net_vnd: int
    vat_vnd: int
    total_vnd: int
    # The programme's share (second payer) and what is left for the exhibitor: payable = total - subsidy.
    subsidy_vnd: int = 0
    subsidy_requested_vnd: int = 0
    subsidy_programme_id: str | None = Field(default=None, max_length=64)
    subsidy_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    payable_vnd: int
    paid_vnd: int = 0
    amount_in_words: str = Field(max_length=500)
    status: str = Field(default="issued", max_length=20, index=True)
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
    unit_price_vnd: int
    net_vnd: int
    vat_rate: str = Field(max_length=10)
    vat_percent: int | None = None
    vat_vnd: int
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


TABLES = (FairPriceList, BuyerSnapshot, CentreSettings, InvoiceSeries, Invoice, InvoiceLineRow, InvoiceCancellation,
          ExtraOrder)
