"""HTTP routes of extras ordered for a registration (its exhibitor, the centre's organizers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from services.billing.api.deps import BillingDep, DbDep, NowDep
from services.billing.models import ExtraOrder
from services.billing.schemas.extras import ExtrasOrder, ExtrasOrdered
from services.billing.service import extras
from shared.auth import Principal, Role, require

Orderer = Annotated[Principal, require(Role.EXHIBITOR, Role.ORGANIZER)]

router = APIRouter(prefix="/registrations", tags=["extras"])


@router.post("/{registration_id}/extras", response_model=ExtrasOrdered,
             summary="Order extras (the registration's exhibitor, the organizer; admin)")
async def order_extras(registration_id: str, body: ExtrasOrder, db: DbDep, now: NowDep, billing: BillingDep,
                       principal: Orderer) -> ExtrasOrdered:
    orders, invoice = await extras.order_extras(db=db, principal=principal, registration_id=registration_id,
                                                body=body, now=now, due_in_days=billing.due_days,
                                                vat_table=billing.vat_table())
    return ExtrasOrdered(items=[_ordered(row) for row in orders], invoice_id=invoice.id if invoice else None)


def _ordered(row: ExtraOrder) -> dict[str, object]:
    return {"code": row.code, "quantity": row.quantity, "invoice_id": row.invoice_id, "ordered_at": row.ordered_at}


ROUTERS = (router,)
