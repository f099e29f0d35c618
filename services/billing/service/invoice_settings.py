"""A centre's invoice settings: form and symbol parts, payment terms, bank account for transfers."""

from __future__ import annotations

import structlog

from services.billing.domain.access import own_centre
from services.billing.models import CentreSettings
from services.billing.schemas.invoice_settings import InvoiceSettingsBody
from shared.db import Database, utcnow
from shared.principal import Principal

log = structlog.get_logger()


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
