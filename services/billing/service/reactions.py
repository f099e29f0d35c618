"""Use cases of the billing service that react to events; each runs in the consumer's transaction.

The consumer applies a batch of events in one transaction (one per event when it falls back) and records
each event's id in the inbox inside it, so every function here gets that ``session`` (wrapped in a unit of work,
``uow``, by the handler when the reaction emits events) and never commits: state, invoice number, subsidy
commitment and outbox rows are committed together, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import structlog
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.domain import invoices as invoice_rules
from services.billing.domain.invoices import InvoiceStatus, Order
from services.billing.domain.vat import DEFAULT_VAT_TABLE, VatRule
from services.billing.models import BuyerSnapshot, FairPriceList, Invoice
from services.billing.service import invoicing, lookup
from services.billing.service.extras import extras_of, pending_extras
from services.billing.service.invoicing import take_number
from services.billing.service.lookup import UnknownFair, UnknownRegistration
from shared.contracts.booths import BoothsAssigned
from shared.contracts.registration import FairInfo, RegistrationApproved, RegistrationCancelled
from shared.db import utcnow
from shared.uow import UnitOfWork

__all__ = ["UnknownFair", "UnknownRegistration", "issue_invoice", "record_buyer", "record_fair", "take_number",
           "void_registration_invoices"]

log = structlog.get_logger()


async def record_fair(*, session: AsyncSession, fair: FairInfo) -> FairPriceList:
    """Keep the fair's standard price and seller (fair.published, fair.updated): the latest state wins."""
    values = {
        "centre_id": fair.centre_id, "name": fair.name, "starts_on": fair.starts_on, "ends_on": fair.ends_on,
        "booth_price_vnd": fair.booth_price_vnd, "seller_name": fair.seller.name,
        "seller_tax_code": fair.seller.tax_code, "seller_address": fair.seller.address,
        "seller_province_code": fair.seller.province_code, "province_code": fair.province_code,
        "updated_at": utcnow(),
    }
    row = await session.get(FairPriceList, fair.fair_id)
    if row is None:
        row = FairPriceList(fair_id=fair.fair_id, **values)  # type: ignore[arg-type]
    else:
        row.sqlmodel_update(values)  # the organizer's price configuration is kept
    session.add(row)
    log.info("billing.fair_recorded", fair_id=fair.fair_id, booth_price_vnd=fair.booth_price_vnd)
    return row


async def record_buyer(*, session: AsyncSession, approved: RegistrationApproved) -> None:
    """Keep the exhibitor of an approved registration as the buyer its invoice will name."""
    who = approved.exhibitor
    values = {
        "fair_id": approved.fair_id, "exhibitor_id": approved.exhibitor_id, "name": who.name,
        "tax_code": who.tax_code, "address": who.address, "province_code": who.province_code,
        "commune_code": who.commune_code, "kind": who.kind, "is_cscnnt": who.is_cscnnt,
        "approved_at": approved.approved_at,
    }
    # One INSERT … ON CONFLICT DO UPDATE, written at once (a cancellation recorded before keeps its date): no
    # read first, no ORM object. A row this transaction already holds (read earlier in a batch) gets the same
    # values, so what it hands out later is not stale.
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    await session.exec(_upsert_buyer(dialect), params={"registration_id": approved.registration_id, **values})
    held = session.sync_session.identity_map.get(identity_key(BuyerSnapshot, approved.registration_id))
    if held is not None:
        held.sqlmodel_update(values)
        session.add(held)
    log.info("billing.buyer_recorded", fair_id=approved.fair_id, registration_id=approved.registration_id)


_BUYER_COLUMNS = ("fair_id", "exhibitor_id", "name", "tax_code", "address", "province_code", "commune_code", "kind",
                  "is_cscnnt", "approved_at")


@cache
def _upsert_buyer(dialect: str) -> Any:
    """The buyer's INSERT … ON CONFLICT DO UPDATE, built once per dialect (PostgreSQL and SQLite alike)."""
    table: Any = BuyerSnapshot.__table__  # type: ignore[attr-defined]
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(index_elements=["registration_id"],
                                           set_={name: statement.excluded[name] for name in _BUYER_COLUMNS})


async def issue_invoice(*, uow: UnitOfWork, assigned: BoothsAssigned, now: datetime,
                        due_in_days: int = invoice_rules.DUE_IN_DAYS,
                        vat_table: Sequence[VatRule] = DEFAULT_VAT_TABLE,
                        approved_at: Callable[[datetime], None] | None = None) -> Invoice | None:
    """Invoice assigned booths (and extras ordered so far), numbered without gaps; None when nothing is due.
    ``approved_at`` is told when the invoiced registration was approved (the saga's end-to-end time).

    Kafka orders nothing across topics: booths.assigned may arrive before the fair.published or
    registration.approved it needs. Then it raises NotYet and the consumer parks it until they have come
    (dead-lettered if they never do). An assignment contradicting its registration is dead-lettered.
    """
    session = uow.session
    found = await lookup.look_up(session, assigned)
    if found.invoiced:
        log.info("billing.assignment_already_invoiced", assignment_id=assigned.assignment_id)
        return None
    fair, buyer = found.fair_and_buyer(assigned)
    if buyer.cancelled_at is not None:
        # registration.cancelled travels on another topic and may overtake booths.assigned.
        log.info("billing.registration_cancelled_no_invoice", registration_id=assigned.registration_id)
        return None
    # No autoflush from here on either: what the batch staged is flushed once, at commit (what would matter
    # here is known without it: pending_extras skips what this transaction invoiced, per_transaction keeps
    # the series and the programmes it read).
    with session.no_autoflush:
        orders = await pending_extras(session, buyer.registration_id) if found.pending_extras else []
        order = Order(fair_name=fair.name, booth_codes=tuple(assigned.booth_codes),
                      corner_count=assigned.corner_count, exhibitor_kind=buyer.kind, extras=extras_of(fair, orders))
        invoice = await invoicing.issue(uow, fair=fair, buyer=buyer, order=order,
                                        assignment_id=assigned.assignment_id, now=now, due_in_days=due_in_days,
                                        vat_table=vat_table)
    lookup.issued_assignments(session).add(assigned.assignment_id)
    if approved_at is not None:
        approved_at(buyer.approved_at)
    for row in orders:
        row.invoice_id = invoice.id
        session.add(row)
    return invoice


async def void_registration_invoices(*, uow: UnitOfWork, cancelled: RegistrationCancelled,
                                     now: datetime) -> list[Invoice]:
    """Void the registration's unpaid invoices by a cancellation document each; paid ones stay."""
    session = uow.session
    buyer = await session.get(BuyerSnapshot, cancelled.registration_id)
    if buyer is not None and buyer.cancelled_at is None:
        buyer.cancelled_at = now
        session.add(buyer)
    invoices = (await session.exec(
        select(Invoice).where(Invoice.registration_id == cancelled.registration_id)
        .order_by(col(Invoice.issued_at)).with_for_update())).all()
    voided = []
    for invoice in invoices:
        if not invoice_rules.is_voidable(InvoiceStatus(invoice.status)):
            log.info("billing.invoice_not_voided", invoice_id=invoice.id, status=invoice.status)
            continue
        voided.append(await invoicing.void(uow, invoice, reason=cancelled.reason, now=now))
    return voided
