"""HTTP use cases of setting up billing: a fair's price list, a centre's invoice settings, extras ordered.

One transaction each; who may do what is checked here, not in the routes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.domain.invoices import Order
from services.billing.domain.vat import DEFAULT_VAT_TABLE, VatRule, categories
from services.billing.models import BuyerSnapshot, CentreSettings, ExtraOrder, FairPriceList, Invoice
from services.billing.schemas.setup import ExtrasOrder, InvoiceSettingsBody, PriceListBody
from services.billing.service import invoicing
from services.billing.service.reactions import extras_of, pending_extras
from shared.principal import Principal, Role
from shared.db import Database, utcnow
from shared.errors import Forbidden, Invalid, NotFound, Rejected

log = structlog.get_logger()


def check_centre(principal: Principal, centre_id: str) -> None:
    """Only the centre's own organizers (and admins) manage its billing; others do not see it at all."""
    if not (principal.is_admin() or (principal.role is Role.ORGANIZER and principal.centre_id == centre_id)):
        raise NotFound("Không tìm thấy / not found", code="not-found")


def own_centre(principal: Principal, centre_id: str | None) -> str:
    """The centre an organizer manages (an admin names one)."""
    chosen = centre_id if principal.is_admin() else principal.centre_id
    if not chosen:
        raise Forbidden("Tài khoản không thuộc trung tâm nào / the token names no centre", code="no-centre")
    check_centre(principal, chosen)
    return chosen


async def fair_of(session: AsyncSession, fair_id: str) -> FairPriceList:
    """Billing's copy of a fair, or 404 (it is known once fair.published has reached billing)."""
    fair = await session.get(FairPriceList, fair_id)
    if fair is None:
        raise NotFound(f"Không tìm thấy hội chợ / fair {fair_id} not found", code="not-found")
    return fair


async def read_price_list(*, db: Database, principal: Principal, fair_id: str) -> FairPriceList:
    """A fair's price list: public to exhibitors, the centre's organizers see their own fairs'."""
    async with db.sessions() as session:
        fair = await fair_of(session, fair_id)
    if principal.role is not Role.EXHIBITOR:
        check_centre(principal, fair.centre_id)
    return fair


async def set_price_list(*, db: Database, principal: Principal, fair_id: str, body: PriceListBody,
                         vat_table: Sequence[VatRule] = DEFAULT_VAT_TABLE) -> FairPriceList:
    """Replace the organizer's part of the price list; invoices already issued keep their prices."""
    async with db.transaction() as session:
        fair = await fair_of(session, fair_id)
        check_centre(principal, fair.centre_id)
        unknown = body.unknown_vat_category(categories(vat_table))
        if unknown is not None:
            raise Invalid(f"Không có nhóm thuế suất này / no such VAT category; one of "
                          f"{', '.join(sorted(categories(vat_table)))}", field=unknown, code="unknown-vat-category")
        body.to_price_list(fair.booth_price_vnd)  # the pure model re-checks every rule
        fair.price_config = body.model_dump_json()
        fair.updated_at = utcnow()
        session.add(fair)
    log.info("billing.price_list_set", fair_id=fair_id, extras=len(body.extras))
    return fair


async def read_invoice_settings(*, db: Database, principal: Principal, centre_id: str | None) -> CentreSettings:
    """The centre's invoice settings (defaults until it sets its own)."""
    chosen = own_centre(principal, centre_id)
    async with db.sessions() as session:
        return await session.get(CentreSettings, chosen) or CentreSettings(centre_id=chosen)


async def set_invoice_settings(*, db: Database, principal: Principal, centre_id: str | None,
                               body: InvoiceSettingsBody) -> CentreSettings:
    """Set the centre's form, symbol parts, payment terms and bank account; numbering follows the symbol."""
    chosen = own_centre(principal, centre_id)
    async with db.transaction() as session:
        row = await session.get(CentreSettings, chosen) or CentreSettings(centre_id=chosen)
        row.sqlmodel_update({**body.model_dump(), "updated_at": utcnow()})
        session.add(row)
    log.info("billing.invoice_settings_set", centre_id=chosen, series=body.series)
    return row


async def order_extras(*, db: Database, principal: Principal, registration_id: str, body: ExtrasOrder,
                       now: datetime, due_in_days: int,
                       vat_table: Sequence[VatRule] = DEFAULT_VAT_TABLE) -> tuple[list[ExtraOrder], Invoice | None]:
    """Order extras: added to the booth invoice if not issued yet, else invoiced at once on their own."""
    async with db.transaction() as session:
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
            invoice = await _invoice_extras(session, fair, buyer, now=now, due_in_days=due_in_days,
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


async def _invoice_extras(session: AsyncSession, fair: FairPriceList, buyer: BuyerSnapshot, *, now: datetime,
                          due_in_days: int, vat_table: Sequence[VatRule]) -> Invoice:
    orders = await pending_extras(session, buyer.registration_id)
    order = Order(fair_name=fair.name, exhibitor_kind=buyer.kind, extras=extras_of(fair, orders))
    # Programmes support booth rent only, so an invoice of extras has no second payer.
    invoice = await invoicing.issue(session, fair=fair, buyer=buyer, order=order, assignment_id=None, now=now,
                                    due_in_days=due_in_days, with_subsidy=False, vat_table=vat_table)
    for row in orders:
        row.invoice_id = invoice.id
        session.add(row)
    return invoice


async def _orders_of(session: AsyncSession, registration_id: str) -> list[ExtraOrder]:
    return list((await session.exec(select(ExtraOrder).where(ExtraOrder.registration_id == registration_id)
                                    .order_by(col(ExtraOrder.id)))).all())


def price_config(fair: FairPriceList) -> dict[str, object]:
    """The stored configuration as a dict (for the response)."""
    return dict(json.loads(fair.price_config or "{}"))

