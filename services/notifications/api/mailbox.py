"""HTTP route of the development mailbox: the mails the local SMTP server received (organizer, admin; not in
production)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.notifications.api.deps import SettingsDep
from services.notifications.schemas.mails import MailboxPublic, ReceivedPublic
from services.notifications.service import mailbox as service
from shared.auth import Organizer

mailbox = APIRouter(prefix="/mailbox", tags=["mailbox"])


@mailbox.get("", response_model=MailboxPublic,
             summary="Mails the local SMTP server received, newest first (organizer, admin; development only)")
async def read_mailbox(settings: SettingsDep, _: Organizer,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100) -> MailboxPublic:
    assert settings.mailbox_dir is not None  # set by the app from the var directory
    rows = await service.read_mailbox(folder=settings.mailbox_dir, production=settings.env == "production",
                                      limit=limit)
    return MailboxPublic(data=[ReceivedPublic(file=r.file, sender=r.sender, to=r.to, subject=r.subject,
                                              date=r.date, language=r.language, body=r.body,
                                              attachments=list(r.attachments)) for r in rows], count=len(rows))


ROUTERS = (mailbox,)
