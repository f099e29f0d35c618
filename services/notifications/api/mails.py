"""HTTP routes of the mail outbox: what was owed and how it went (admin), and a parked mail's retry (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.notifications.api.deps import DbDep, SenderDep
from services.notifications.domain.notices import Language, NoticeKind
from services.notifications.domain.sending import MailStatus
from services.notifications.models import Mail
from services.notifications.schemas.mails import MailPublic, MailsPublic
from services.notifications.service import mails as service
from shared.auth import Principal, require

mails = APIRouter(prefix="/mails", tags=["mails"])
Admin = Annotated[Principal, require()]


def mail_public(mail: Mail) -> MailPublic:
    """Shape one mail (its facts stay inside)."""
    pending = mail.status == MailStatus.PENDING
    return MailPublic(id=mail.id or 0, event_id=mail.event_id, exhibitor_id=mail.exhibitor_id,
                      kind=NoticeKind(mail.kind), status=MailStatus(mail.status), to_address=mail.to_address,
                      language=Language(mail.language), subject=mail.subject, attached=mail.attached,
                      attempts=mail.attempts, next_attempt_at=mail.next_attempt_at if pending else None,
                      last_error=mail.last_error, created_at=mail.created_at, sent_at=mail.sent_at)


@mails.get("", response_model=MailsPublic, summary="The mail outbox, newest first (admin)")
async def read_mails(db: DbDep, _: Admin, exhibitor_id: str | None = None, status: MailStatus | None = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100) -> MailsPublic:
    rows = await service.list_mails(db=db, exhibitor_id=exhibitor_id, status=status, limit=limit)
    return MailsPublic(data=[mail_public(m) for m in rows], count=len(rows))


@mails.post("/{mail_id}/retry", response_model=MailPublic,
            summary="Send a parked mail again, with a new round of attempts (admin)")
async def retry_mail(mail_id: int, db: DbDep, _: Admin, sender: SenderDep) -> MailPublic:
    mail = await service.retry_mail(db=db, mail_id=mail_id)
    sender.wake()
    return mail_public(mail)


ROUTERS = (mails,)
