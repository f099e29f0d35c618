"""HTTP routes of the caller's recipient settings (exhibitor: their own)."""

from __future__ import annotations

from fastapi import APIRouter

from services.notifications.api.deps import DbDep
from services.notifications.schemas.recipients import RecipientPublic, RecipientUpdate
from services.notifications.service import recipients as service
from shared.auth import Exhibitor

recipients = APIRouter(prefix="/recipients", tags=["recipients"])


@recipients.get("/me", response_model=RecipientPublic,
                summary="Where my notices go, in which language, and which I want (exhibitor)")
async def read_my_recipient(db: DbDep, principal: Exhibitor) -> RecipientPublic:
    view = await service.read_recipient(db=db, principal=principal)
    return RecipientPublic(exhibitor_id=view.exhibitor_id, email=view.email, language=view.language,
                           notices=view.notices)


@recipients.put("/me", response_model=RecipientPublic,
                summary="Set where my notices go, in which language, and which I want (exhibitor)")
async def update_my_recipient(body: RecipientUpdate, db: DbDep, principal: Exhibitor) -> RecipientPublic:
    view = await service.update_recipient(db=db, principal=principal, email=str(body.email) if body.email else None,
                                          language=body.language, notices=body.notices)
    return RecipientPublic(exhibitor_id=view.exhibitor_id, email=view.email, language=view.language,
                           notices=view.notices)


ROUTERS = (recipients,)
