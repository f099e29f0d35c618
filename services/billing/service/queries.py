"""Read use cases of the billing service: who may see which invoices, and an invoice in full."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import ColumnElement, false, func, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.domain.invoice_lines import InvoiceLine, InvoiceTotals, compute_totals
from services.billing.domain.vat import VatRate
from services.billing.models import (
    Invoice,
    InvoiceCancellation,
    InvoiceLineRow,
    InvoiceSubmission,
    Payment,
    PaymentReversal,
)
from shared.db import Database
from shared.errors import NotFound
from shared.principal import Principal, Role

_Row = TypeVar("_Row", InvoiceLineRow, Payment)


@dataclass(frozen=True)
class InvoiceView:
    """An invoice with its lines, totals per VAT rate, cancellation document (if voided), and where it stands
    with the tax authority (``submission``: None for an invoice issued before submissions existed)."""

    invoice: Invoice
    lines: list[InvoiceLineRow]
    totals: InvoiceTotals
    cancellation: InvoiceCancellation | None
    payments: list[Payment]
    submission: InvoiceSubmission | None = None
    reversals: dict[str, PaymentReversal] = field(default_factory=dict)  # by payment id

    @property
    def authority_code(self) -> str | None:
        """The tax authority's code (MCCQT), once it came back."""
        return self.submission.authority_code if self.submission is not None else None


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Which invoices a caller may see: admin all, organizer its centre's fairs, exhibitor its own."""
    if principal.is_admin():
        return true()
    if principal.role is Role.ORGANIZER and principal.centre_id:
        return col(Invoice.centre_id) == principal.centre_id
    if principal.role is Role.EXHIBITOR and principal.exhibitor_id:
        return col(Invoice.exhibitor_id) == principal.exhibitor_id
    return false()


async def list_invoices(*, db: Database, principal: Principal, registration_id: str | None = None,
                        exhibitor_id: str | None = None, fair_id: str | None = None, status: str | None = None,
                        programme_id: str | None = None, limit: int = 100,
                        offset: int = 0) -> tuple[list[Invoice], int]:
    """The caller's visible invoices matching the filters, newest first, with the matching count."""
    conditions = [visible_to(principal)]
    for column, value in ((Invoice.registration_id, registration_id), (Invoice.exhibitor_id, exhibitor_id),
                          (Invoice.fair_id, fair_id), (Invoice.status, status),
                          (Invoice.subsidy_programme_id, programme_id)):
        if value is not None:
            conditions.append(col(column) == value)
    async with db.sessions() as session:
        count = (await session.exec(select(func.count()).select_from(Invoice).where(*conditions))).one()
        rows = (await session.exec(
            select(Invoice).where(*conditions)
            .order_by(col(Invoice.issued_at).desc(), col(Invoice.symbol).desc(), col(Invoice.number).desc())
            .limit(limit).offset(offset))).all()
    return list(rows), int(count)


async def get_invoice(*, db: Database, principal: Principal, invoice_id: str) -> InvoiceView:
    """One invoice in full, if the caller may see it (otherwise it does not exist for them)."""
    async with db.sessions() as session:
        invoice = (await session.exec(
            select(Invoice).where(Invoice.id == invoice_id, visible_to(principal)))).first()
        if invoice is None:
            raise NotFound(f"Không tìm thấy hóa đơn / invoice {invoice_id} not found", code="not-found")
        return await view_of(session, invoice)


async def view_of(session: AsyncSession, invoice: Invoice) -> InvoiceView:
    """Everything shown with ``invoice``, read in the caller's session."""
    lines = list((await session.exec(
        select(InvoiceLineRow).where(InvoiceLineRow.invoice_id == invoice.id)
        .order_by(col(InvoiceLineRow.position)))).all())
    cancellation = (await session.exec(
        select(InvoiceCancellation).where(InvoiceCancellation.invoice_id == invoice.id))).first()
    payments = list((await session.exec(
        select(Payment).where(Payment.invoice_id == invoice.id).order_by(col(Payment.recorded_at)))).all())
    submission = await session.get(InvoiceSubmission, invoice.id)
    reversals = {row.payment_id: row for row in (await session.exec(
        select(PaymentReversal).where(PaymentReversal.invoice_id == invoice.id))).all()}
    return InvoiceView(invoice=invoice, lines=lines, totals=compute_totals(map(line_of, lines)),
                       cancellation=cancellation, payments=payments, submission=submission, reversals=reversals)


async def views_of(session: AsyncSession, invoices: Sequence[Invoice]) -> list[InvoiceView]:
    """``view_of`` for several invoices (the submitter's round), in five queries whatever their number."""
    ids = [invoice.id for invoice in invoices]
    lines = _by_invoice((await session.exec(
        select(InvoiceLineRow).where(col(InvoiceLineRow.invoice_id).in_(ids))
        .order_by(col(InvoiceLineRow.invoice_id), col(InvoiceLineRow.position)))).all())
    cancellations = {row.invoice_id: row for row in (await session.exec(
        select(InvoiceCancellation).where(col(InvoiceCancellation.invoice_id).in_(ids)))).all()}
    payments = _by_invoice((await session.exec(
        select(Payment).where(col(Payment.invoice_id).in_(ids))
        .order_by(col(Payment.invoice_id), col(Payment.recorded_at)))).all())
    submissions = {row.invoice_id: row for row in (await session.exec(
        select(InvoiceSubmission).where(col(InvoiceSubmission.invoice_id).in_(ids)))).all()}
    reversals: dict[str, dict[str, PaymentReversal]] = {}
    for reversal in (await session.exec(
            select(PaymentReversal).where(col(PaymentReversal.invoice_id).in_(ids)))).all():
        reversals.setdefault(reversal.invoice_id, {})[reversal.payment_id] = reversal
    return [InvoiceView(invoice=invoice, lines=lines.get(invoice.id, []),
                        totals=compute_totals(map(line_of, lines.get(invoice.id, []))),
                        cancellation=cancellations.get(invoice.id), payments=payments.get(invoice.id, []),
                        submission=submissions.get(invoice.id), reversals=reversals.get(invoice.id, {}))
            for invoice in invoices]


def _by_invoice(rows: Iterable[_Row]) -> dict[str, list[_Row]]:
    grouped: dict[str, list[_Row]] = {}
    for row in rows:
        grouped.setdefault(row.invoice_id, []).append(row)
    return grouped


async def get_cancellation(*, db: Database, principal: Principal,
                           invoice_id: str) -> tuple[Invoice, InvoiceCancellation]:
    """The cancellation document of a voided invoice the caller may see; 404 while the invoice stands."""
    view = await get_invoice(db=db, principal=principal, invoice_id=invoice_id)
    if view.cancellation is None:
        raise NotFound(f"Hóa đơn chưa bị hủy / invoice {invoice_id} has no cancellation document",
                       code="not-voided")
    return view.invoice, view.cancellation


def line_of(row: InvoiceLineRow) -> InvoiceLine:
    """The pure line behind a stored one, with the VAT rate it was issued at."""
    return InvoiceLine(description=row.description, unit=row.unit, quantity=row.quantity,
                       unit_price=row.unit_price_vnd, vat=VatRate(row.vat_percent, row.vat_rate))

