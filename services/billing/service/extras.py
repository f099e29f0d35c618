"""Extras ordered for a registration: on its booth invoice while that is not issued, else invoiced at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.domain.invoices import Order
from services.billing.domain.pricing import Extra
from services.billing.domain.vat import DEFAULT_VAT_TABLE, VatRule
from services.billing.models import BuyerSnapshot, ExtraOrder, FairPriceList, Invoice
from services.billing.schemas.extras import ExtrasOrder
from services.billing.service import invoicing
from shared.db import Database
from shared.errors import Invalid, NotFound, Rejected
from shared.principal import Principal, Role
from shared.uow import UnitOfWork

log = structlog.get_logger()


async def order_extras(*, db: Database, principal: Principal, registration_id: str, body: ExtrasOrder,
                       now: datetime, due_in_days: int,
                       vat_table: Sequence[VatRule] = DEFAULT_VAT_TABLE) -> tuple[list[ExtraOrder], Invoice | None]:
    """Order extras: added to the booth invoice if not issued yet, else invoiced at once on their own."""
    async with db.unit_of_work() as uow:
        session = uow.session
        buyer = await session.get(BuyerSnapshot, registration_id)
        fair = None if buyer is None else await session.get(FairPriceList, buyer.fair_id)
        if buyer is None or fair is None or not _may_order(principal, buyer, fair):
            raise NotFound(f"Không tìm thấy hồ sơ / registration {registration_id} not found", code="not-found")
        if buyer.cancelled_at is not None:
            raise Rejected("Hồ sơ đã hủy / the registration is cancelled", code="registration-cancelled")
        offered = {extra.code for extra in invoicing.price_list_of(fair).extras}
        for index, item in enumerate(body.items):
            if item.code not in offered:
                raise Invalid(f"Hội chợ không có dịch vụ {item.code} / the fair offers no extra {item.code}",
                              field=f"items.{index}.code", code="unknown-extra")
        session.add_all([ExtraOrder(registration_id=registration_id, code=item.code, quantity=item.quantity,
                                    ordered_at=now) for item in body.items])
        await session.flush()
        invoice = None
        if await _booth_invoice(session, registration_id) is not None:
            invoice = await _invoice_extras(uow, fair, buyer, now=now, due_in_days=due_in_days,
                                            vat_table=vat_table)
        orders = await _orders_of(session, registration_id)
    return orders, invoice


def _may_order(principal: Principal, buyer: BuyerSnapshot, fair: FairPriceList) -> bool:
    if principal.is_admin():
        return True
    if principal.role is Role.EXHIBITOR:
        return principal.exhibitor_id == buyer.exhibitor_id
    return principal.role is Role.ORGANIZER and principal.centre_id == fair.centre_id


async def _booth_invoice(session: AsyncSession, registration_id: str) -> Invoice | None:
    return (await session.exec(select(Invoice).where(Invoice.registration_id == registration_id,
                                                     Invoice.purpose == "booths"))).first()


async def _invoice_extras(uow: UnitOfWork, fair: FairPriceList, buyer: BuyerSnapshot, *, now: datetime,
                          due_in_days: int, vat_table: Sequence[VatRule]) -> Invoice:
    session = uow.session
    orders = await pending_extras(session, buyer.registration_id)
    order = Order(fair_name=fair.name, exhibitor_kind=buyer.kind, extras=extras_of(fair, orders))
    # Programmes support booth rent only, so an invoice of extras has no second payer.
    invoice = await invoicing.issue(uow, fair=fair, buyer=buyer, order=order, assignment_id=None, now=now,
                                    due_in_days=due_in_days, with_subsidy=False, vat_table=vat_table)
    for row in orders:
        row.invoice_id = invoice.id
        session.add(row)
    return invoice


async def _orders_of(session: AsyncSession, registration_id: str) -> list[ExtraOrder]:
    return list((await session.exec(select(ExtraOrder).where(ExtraOrder.registration_id == registration_id)
                                    .order_by(col(ExtraOrder.id)))).all())


async def pending_extras(session: AsyncSession, registration_id: str) -> list[ExtraOrder]:
    """Extras ordered for a registration that no invoice charges yet (this transaction's invoices included)."""
    rows = (await session.exec(
        select(ExtraOrder).where(ExtraOrder.registration_id == registration_id,
                                 col(ExtraOrder.invoice_id).is_(None)).order_by(col(ExtraOrder.id)))).all()
    # Read without autoflush, a row an invoice of this transaction charges is still NULL in the database; the
    # session hands back its own object, which knows.
    return [row for row in rows if row.invoice_id is None]


def extras_of(fair: FairPriceList, orders: list[ExtraOrder]) -> tuple[tuple[Extra, int], ...]:
    """The priced extras of ``orders``; an extra the price list no longer offers is skipped (and logged)."""
    prices = invoicing.price_list_of(fair)
    priced: list[tuple[Extra, int]] = []
    for row in orders:
        try:
            priced.append((prices.extra_of(row.code), row.quantity))
        except KeyError:
            log.warning("billing.extra_no_longer_offered", fair_id=fair.fair_id, code=row.code)
    return tuple(priced)
