"""HTTP routes for setting billing up: a fair's price list, a centre's invoice settings, extras ordered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.billing.api.deps import BillingDep, DbDep, NowDep
from services.billing.domain import invoices as domain
from services.billing.models import CentreSettings, ExtraOrder, FairPriceList
from services.billing.schemas.invoices import ExtrasOrdered
from services.billing.schemas.setup import (
    ExtrasOrder,
    InvoiceSettingsBody,
    InvoiceSettingsPublic,
    PriceListBody,
    PriceListPublic,
)
from services.billing.service import configuration
from services.billing.service.invoicing import symbol_of
from shared.auth import Organizer, Principal, Role, require

# Prices are public to exhibitors; organizers manage their own centre's.
PriceReader = Annotated[Principal, require(Role.EXHIBITOR, Role.ORGANIZER)]
CentreId = Annotated[str | None, Query(min_length=1, max_length=64, description="admins only: which centre")]

price_lists = APIRouter(prefix="/fairs", tags=["price lists"])
invoice_settings = APIRouter(prefix="/invoice-settings", tags=["invoice settings"])
extras = APIRouter(prefix="/registrations", tags=["extras"])


def price_list_public(fair: FairPriceList) -> PriceListPublic:
    """Shape a price list."""
    return PriceListPublic.model_validate({**configuration.price_config(fair), "fair_id": fair.fair_id,
                                           "fair_name": fair.name, "booth_price_vnd": fair.booth_price_vnd,
                                           "updated_at": fair.updated_at})


def settings_public(row: CentreSettings, year: int) -> InvoiceSettingsPublic:
    """Shape a centre's invoice settings."""
    symbol = symbol_of(row, year).with_form
    return InvoiceSettingsPublic.model_validate({**row.model_dump(), "symbol_this_year": symbol})


@price_lists.get("/{fair_id}/price-list", response_model=PriceListPublic,
                 summary="A fair's price list (exhibitors: any fair; organizer: its centre's; admin)")
async def read_price_list(fair_id: str, db: DbDep, principal: PriceReader) -> PriceListPublic:
    return price_list_public(await configuration.read_price_list(db=db, principal=principal, fair_id=fair_id))


@price_lists.put("/{fair_id}/price-list", response_model=PriceListPublic,
                 summary="Set surcharges, extras and prices per exhibitor kind (organizer of the centre; admin)")
async def set_price_list(fair_id: str, body: PriceListBody, db: DbDep, principal: Organizer,
                         billing: BillingDep) -> PriceListPublic:
    fair = await configuration.set_price_list(db=db, principal=principal, fair_id=fair_id, body=body,
                                              vat_table=billing.vat_table())
    return price_list_public(fair)


@invoice_settings.get("", response_model=InvoiceSettingsPublic,
                      summary="The centre's form, symbol, payment terms and bank account (organizer; admin)")
async def read_invoice_settings(db: DbDep, principal: Organizer, now: NowDep,
                                centre_id: CentreId = None) -> InvoiceSettingsPublic:
    row = await configuration.read_invoice_settings(db=db, principal=principal, centre_id=centre_id)
    return settings_public(row, domain.issue_date(now).year)


@invoice_settings.put("", response_model=InvoiceSettingsPublic,
                      summary="Set the centre's form, symbol, payment terms and bank account (organizer; admin)")
async def set_invoice_settings(body: InvoiceSettingsBody, db: DbDep, principal: Organizer, now: NowDep,
                               centre_id: CentreId = None) -> InvoiceSettingsPublic:
    row = await configuration.set_invoice_settings(db=db, principal=principal, centre_id=centre_id, body=body)
    return settings_public(row, domain.issue_date(now).year)


@extras.post("/{registration_id}/extras", response_model=ExtrasOrdered,
             summary="Order extras (the registration's exhibitor, the organizer; admin)")
async def order_extras(registration_id: str, body: ExtrasOrder, db: DbDep, now: NowDep, billing: BillingDep,
                       principal: PriceReader) -> ExtrasOrdered:
    orders, invoice = await configuration.order_extras(db=db, principal=principal, registration_id=registration_id,
                                                       body=body, now=now, due_in_days=billing.due_days,
                                                       vat_table=billing.vat_table())
    return ExtrasOrdered(items=[_ordered(row) for row in orders], invoice_id=invoice.id if invoice else None)


def _ordered(row: ExtraOrder) -> dict[str, object]:
    return {"code": row.code, "quantity": row.quantity, "invoice_id": row.invoice_id, "ordered_at": row.ordered_at}


ROUTERS = (price_lists, invoice_settings, extras)
