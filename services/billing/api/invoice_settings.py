"""HTTP routes of a centre's invoice settings: form, symbol, payment terms, bank account (its organizers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.billing.api.deps import DbDep, NowDep
from services.billing.domain.invoices import issue_date
from services.billing.models import CentreSettings
from services.billing.schemas.invoice_settings import InvoiceSettingsBody, InvoiceSettingsPublic
from services.billing.service import invoice_settings
from services.billing.service.invoicing import symbol_of
from shared.auth import Organizer

CentreId = Annotated[str | None, Query(min_length=1, max_length=64, description="admins only: which centre")]

router = APIRouter(prefix="/invoice-settings", tags=["invoice settings"])


def settings_public(row: CentreSettings, year: int) -> InvoiceSettingsPublic:
    """Shape a centre's invoice settings."""
    symbol = symbol_of(row, year).with_form
    return InvoiceSettingsPublic.model_validate({**row.model_dump(), "symbol_this_year": symbol})


@router.get("", response_model=InvoiceSettingsPublic,
            summary="The centre's form, symbol, payment terms and bank account (organizer; admin)")
async def read_invoice_settings(db: DbDep, principal: Organizer, now: NowDep,
                                centre_id: CentreId = None) -> InvoiceSettingsPublic:
    row = await invoice_settings.read_invoice_settings(db=db, principal=principal, centre_id=centre_id)
    return settings_public(row, issue_date(now).year)


@router.put("", response_model=InvoiceSettingsPublic,
            summary="Set the centre's form, symbol, payment terms and bank account (organizer; admin)")
async def set_invoice_settings(body: InvoiceSettingsBody, db: DbDep, principal: Organizer, now: NowDep,
                               centre_id: CentreId = None) -> InvoiceSettingsPublic:
    row = await invoice_settings.set_invoice_settings(db=db, principal=principal, centre_id=centre_id, body=body)
    return settings_public(row, issue_date(now).year)


ROUTERS = (router,)
