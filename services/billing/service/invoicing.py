"""Issuing and voiding one invoice inside the caller's transaction (an event handler's or an HTTP command's).

The caller owns the transaction: state, invoice number, subsidy commitment and outbox rows are
committed together, or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

import structlog
from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.domain import invoices as invoice_rules
from services.billing.domain.address import postal_address
from services.billing.domain.invoices import InvoiceDraft, InvoiceStatus, Order
from services.billing.domain.numbering import InvoiceSymbol, format_invoice_number
from services.billing.domain.pricing import PriceList, price_list_of_config
from services.billing.domain.vat import DEFAULT_VAT_TABLE, VatRule
from services.billing.models import (
    BuyerSnapshot,
    CentreSettings,
    Credit,
    FairPriceList,
    Invoice,
    InvoiceCancellation,
    InvoiceLineRow,
    InvoiceSeries,
    InvoiceSubmission,
)
from services.billing.service import per_transaction, subsidy_shares
from shared.contracts import billing as ev
from shared.uow import UnitOfWork, insert_ignore, new_id

log = structlog.get_logger()
_SERIES = InvoiceSeries.__table__  # type: ignore[attr-defined]
_INVOICES = Invoice.__table__  # type: ignore[attr-defined]
_SUBMISSIONS = InvoiceSubmission.__table__  # type: ignore[attr-defined]
_INSERT_INVOICE = insert(_INVOICES)
_INSERT_LINES = insert(InvoiceLineRow.__table__)  # type: ignore[attr-defined]
_INSERT_SUBMISSION = insert(_SUBMISSIONS)
_TAKE_NUMBER = (update(_SERIES).where(_SERIES.c.centre_id == bindparam("series_centre_id"),
                                      _SERIES.c.symbol == bindparam("series_symbol"))
                .values(next_number=_SERIES.c.next_number + 1).returning(_SERIES.c.next_number))


# Keyed by the stored content (the repr of the decoded JSON, exact for its values), so a changed price list is a new
# key, never a stale answer; PriceList is immutable, so sharing one is safe.
_PRICE_LISTS: dict[tuple[str, int], PriceList] = {}


def price_list_of(fair: FairPriceList) -> PriceList:
    """The fair's price list: its standard price and the organizer's configuration."""
    config = fair.price_config or {}
    key = (repr(config), fair.booth_price_vnd)
    found = _PRICE_LISTS.get(key)
    if found is None:
        if len(_PRICE_LISTS) >= 256:
            _PRICE_LISTS.clear()
        found = _PRICE_LISTS[key] = price_list_of_config(config, fair.booth_price_vnd)
    return found


def symbol_of(centre: CentreSettings | None, year: int) -> InvoiceSymbol:
    """The centre's symbol for ``year`` (the default C<yy>TAA until it configures one)."""
    if centre is None:
        return invoice_rules.default_symbol(year)
    return InvoiceSymbol(with_tax_authority_code=centre.with_tax_authority_code, year=year,
                         type_letter=centre.type_letter, series=centre.series, form=centre.form)


async def issue(uow: UnitOfWork, *, fair: FairPriceList, buyer: BuyerSnapshot, order: Order,
                assignment_id: str | None, now: datetime, due_in_days: int, with_subsidy: bool = True,
                vat_table: Sequence[VatRule] = DEFAULT_VAT_TABLE) -> Invoice:
    """Price the order at the rates of ``vat_table``, split off the programme's share, number it, stage events."""
    session = uow.session
    centre = await per_transaction.centre(session, fair.centre_id)
    days = centre.due_in_days if centre is not None and centre.due_in_days is not None else due_in_days
    draft = invoice_rules.draft_invoice(order=order, prices=price_list_of(fair), now=now,
                                        symbol=symbol_of(centre, invoice_rules.issue_date(now).year),
                                        due_in_days=days, vat_table=vat_table)
    invoice_id = new_id()
    share = subsidy_shares.Share()
    if with_subsidy:
        share = await subsidy_shares.commit_share(session, invoice_id=invoice_id, fair=fair, buyer=buyer,
                                                  draft=draft, now=now)
        draft = draft.with_subsidy(share.split)
    # The number is taken last so the series row stays locked as briefly as possible.
    number = await take_number(session, fair.centre_id, str(draft.symbol))
    invoice = _invoice_row(invoice_id, fair, buyer, draft, assignment_id=assignment_id, number=number, now=now,
                           purpose="booths" if order.booth_codes else "extras", note=share.note)
    await _insert_issued(session, invoice, draft, now=now)
    uow.emit(issued_event(invoice))
    for event in share.events:
        uow.emit(event)
    if invoice.payable_vnd == 0:
        # A programme paying everything leaves nothing to collect: paid on issue.
        mark_paid(uow, invoice, now=now)
    log.info("billing.invoice_issued", invoice_id=invoice.id, symbol=invoice.symbol, number=number,
             registration_id=invoice.registration_id, total_vnd=invoice.total_vnd, subsidy_vnd=invoice.subsidy_vnd)
    return invoice


async def take_number(session: AsyncSession, centre_id: str, symbol: str) -> int:
    """The next number of the centre's ``symbol``, its series row locked until the transaction ends (no gaps)."""
    # One statement that moves the series and says where it was: its row lock (PostgreSQL; SQLite's BEGIN
    # IMMEDIATE serialises writers anyway) holds until the transaction ends, as the read FOR UPDATE did.
    key = {"series_centre_id": centre_id, "series_symbol": symbol}
    moved = (await session.exec(_TAKE_NUMBER, params=key)).first()
    if moved is None:
        # Concurrent first issues of a new symbol: one insert wins, the others wait for it and do nothing.
        await insert_ignore(session, InvoiceSeries, {"centre_id": centre_id, "symbol": symbol, "next_number": 1},
                            index_elements=["centre_id", "symbol"])
        moved = (await session.exec(_TAKE_NUMBER, params=key)).one()
    return int(moved[0]) - 1


def _invoice_row(invoice_id: str, fair: FairPriceList, buyer: BuyerSnapshot, draft: InvoiceDraft, *,
                 assignment_id: str | None, number: int, now: datetime, purpose: str, note: str) -> Invoice:
    totals, split = draft.totals, draft.subsidy
    return Invoice(
        id=invoice_id, fair_id=fair.fair_id, centre_id=fair.centre_id, registration_id=buyer.registration_id,
        exhibitor_id=buyer.exhibitor_id, assignment_id=assignment_id, purpose=purpose, form=draft.symbol.form,
        symbol=str(draft.symbol), number=number, issued_on=draft.issued_on, due_on=draft.due_on, issued_at=now,
        seller_name=fair.seller_name, seller_tax_code=fair.seller_tax_code, seller_address=fair.seller_address,
        buyer_name=buyer.name, buyer_tax_code=buyer.tax_code,
        buyer_address=postal_address(buyer.address, commune_code=buyer.commune_code,
                                     province_code=buyer.province_code),
        buyer_province_code=buyer.province_code, net_vnd=totals.net, vat_vnd=totals.vat, total_vnd=totals.total,
        subsidy_vnd=split.amount_vnd if split else 0, subsidy_requested_vnd=split.requested_vnd if split else 0,
        subsidy_programme_id=split.programme_id if split else None, subsidy_note=note,
        payable_vnd=draft.payable, amount_in_words=draft.amount_in_words, status=InvoiceStatus.ISSUED)


async def _insert_issued(session: AsyncSession, invoice: Invoice, draft: InvoiceDraft, *, now: datetime) -> None:
    """Write the invoice, its lines and its pending submission (queued for the tax authority with
    invoice.issued, service/submission.py) by Core INSERTs, the invoice first (the others refer to it), then
    hand the invoice to the session as a row it holds: a change made to it later (paid on issue, an HTTP
    command) is an UPDATE at flush, and a query of this transaction returns this same object. No unit of work
    sorts and flushes three kinds of ORM objects for each invoice; the unique assignment id and number are
    checked by the INSERT, within the handler."""
    values = {column.name: getattr(invoice, column.name) for column in _INVOICES.columns}
    await session.exec(_INSERT_INVOICE, params=values)
    await session.exec(_INSERT_LINES, params=_line_rows(invoice.id, draft))
    await session.exec(_INSERT_SUBMISSION, params={**_submission_defaults(), "invoice_id": invoice.id,
                                                   "next_attempt_at": now})
    make_transient_to_detached(invoice)
    session.add(invoice)


@cache
def _submission_defaults() -> dict[str, Any]:
    """A new submission's columns as the model defaults them (pending, no attempt yet)."""
    row = InvoiceSubmission(invoice_id="", next_attempt_at=datetime.min)
    return {column.name: getattr(row, column.name) for column in _SUBMISSIONS.columns}


def _line_rows(invoice_id: str, draft: InvoiceDraft) -> list[dict[str, Any]]:
    return [{"invoice_id": invoice_id, "position": position, "kind": c.kind, "description": c.line.description,
             "unit": c.line.unit, "quantity": c.line.quantity, "unit_price_vnd": c.line.unit_price,
             "net_vnd": c.line.net, "vat_rate": c.line.vat.code, "vat_percent": c.line.vat.percent,
             "vat_vnd": c.line.vat_amount, "vat_basis": c.vat_basis}
            for position, c in enumerate(draft.lines, start=1)]


def issued_event(invoice: Invoice) -> ev.InvoiceIssued:
    """The invoice.issued of a saved invoice."""
    return ev.InvoiceIssued(
        fair_id=invoice.fair_id, invoice_id=invoice.id, registration_id=invoice.registration_id,
        exhibitor_id=invoice.exhibitor_id, form=invoice.form, symbol=invoice.symbol,
        number=format_invoice_number(invoice.number), issued_on=invoice.issued_on, due_on=invoice.due_on,
        net_vnd=invoice.net_vnd, vat_vnd=invoice.vat_vnd, total_vnd=invoice.total_vnd,
        subsidy_vnd=invoice.subsidy_vnd, payable_vnd=invoice.payable_vnd, amount_in_words=invoice.amount_in_words,
        subsidy_programme_id=invoice.subsidy_programme_id)


def mark_paid(uow: UnitOfWork, invoice: Invoice, *, now: datetime) -> None:
    """The exhibitor's share is settled: status paid, invoice.paid staged (once: the status guards it)."""
    invoice_rules.INVOICE_TRANSITIONS.check(invoice.status, InvoiceStatus.PAID)
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = now
    uow.session.add(invoice)
    uow.emit(ev.InvoicePaid(fair_id=invoice.fair_id, invoice_id=invoice.id, registration_id=invoice.registration_id,
                            paid_on=invoice_rules.issue_date(now), paid_vnd=invoice.paid_vnd))
    log.info("billing.invoice_paid", invoice_id=invoice.id, paid_vnd=invoice.paid_vnd)


async def void(uow: UnitOfWork, invoice: Invoice, *, reason: str, now: datetime) -> Invoice:
    """Void by a cancellation document that refers to the invoice; release its subsidy, credit what was paid."""
    session = uow.session
    invoice_rules.INVOICE_TRANSITIONS.check(invoice.status, InvoiceStatus.VOIDED)
    invoice.status = InvoiceStatus.VOIDED
    invoice.voided_at = now
    session.add(invoice)
    cancellation = InvoiceCancellation(invoice_id=invoice.id, reason=reason, created_at=now,
                                       number=invoice_rules.cancellation_number(invoice.symbol, invoice.number))
    session.add(cancellation)
    if invoice.paid_vnd > 0:
        # Money received on an invoice that no longer exists is the exhibitor's: kept as a credit.
        session.add(Credit(centre_id=invoice.centre_id, exhibitor_id=invoice.exhibitor_id,
                           amount_vnd=invoice.paid_vnd, reason="voided", invoice_id=invoice.id, created_at=now))
    uow.emit(ev.InvoiceVoided(fair_id=invoice.fair_id, invoice_id=invoice.id, registration_id=invoice.registration_id,
                              reason=reason, cancellation_number=cancellation.number))
    for event in await subsidy_shares.release_share(session, invoice, reason=reason, now=now):
        uow.emit(event)
    log.info("billing.invoice_voided", invoice_id=invoice.id, registration_id=invoice.registration_id,
             reason=reason, cancellation_number=cancellation.number)
    return invoice
