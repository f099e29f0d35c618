"""A fair's price list: read by exhibitors and the centre's organizers, set by the organizers.

Who may do what is checked here, not in the routes; one transaction each.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.domain.access import check_centre
from services.billing.domain.vat import DEFAULT_VAT_TABLE, VatRule, categories
from services.billing.models import FairPriceList
from services.billing.schemas.price_lists import PriceListBody
from shared.db import Database, utcnow
from shared.errors import Invalid, NotFound
from shared.principal import Principal, Role

log = structlog.get_logger()


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
        fair.price_config = body.model_dump(mode="json")
        fair.updated_at = utcnow()
        session.add(fair)
    log.info("billing.price_list_set", fair_id=fair_id, extras=len(body.extras))
    return fair
