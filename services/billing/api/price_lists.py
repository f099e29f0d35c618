"""HTTP routes of a fair's price list: public to exhibitors, set by the centre's organizers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from services.billing.api.deps import BillingDep, DbDep
from services.billing.models import FairPriceList
from services.billing.schemas.price_lists import PriceListBody, PriceListPublic
from services.billing.service import price_lists
from shared.auth import Organizer, Principal, Role, require

# Prices are public to exhibitors; organizers manage their own centre's.
PriceReader = Annotated[Principal, require(Role.EXHIBITOR, Role.ORGANIZER)]

router = APIRouter(prefix="/fairs", tags=["price lists"])


def price_list_public(fair: FairPriceList) -> PriceListPublic:
    """Shape a price list: the organizer's part as set, with the fair's standard price."""
    return PriceListPublic.model_validate({**fair.price_config, "fair_id": fair.fair_id,
                                           "fair_name": fair.name, "booth_price_vnd": fair.booth_price_vnd,
                                           "updated_at": fair.updated_at})


@router.get("/{fair_id}/price-list", response_model=PriceListPublic,
            summary="A fair's price list (exhibitors: any fair; organizer: its centre's; admin)")
async def read_price_list(fair_id: str, db: DbDep, principal: PriceReader) -> PriceListPublic:
    return price_list_public(await price_lists.read_price_list(db=db, principal=principal, fair_id=fair_id))


@router.put("/{fair_id}/price-list", response_model=PriceListPublic,
            summary="Set surcharges, extras and prices per exhibitor kind (organizer of the centre; admin)")
async def set_price_list(fair_id: str, body: PriceListBody, db: DbDep, principal: Organizer,
                         billing: BillingDep) -> PriceListPublic:
    fair = await price_lists.set_price_list(db=db, principal=principal, fair_id=fair_id, body=body,
                                            vat_table=billing.vat_table())
    return price_list_public(fair)


ROUTERS = (router,)
