"""Use cases of the mail outbox: what was owed to whom and how it went, and a parked mail's retry."""

from __future__ import annotations

import structlog
from sqlmodel import col, select

from services.notifications.domain.sending import MAIL_TRANSITIONS, MailStatus
from services.notifications.models import Mail
from shared.db import Database, utcnow
from shared.errors import NotFound, Rejected

log = structlog.get_logger()


async def list_mails(*, db: Database, exhibitor_id: str | None = None, status: MailStatus | None = None,
                     limit: int = 100) -> list[Mail]:
    """The outbox's mails, newest first, maybe of one exhibitor or in one status."""
    query = select(Mail)
    if exhibitor_id is not None:
        query = query.where(Mail.exhibitor_id == exhibitor_id)
    if status is not None:
        query = query.where(Mail.status == status.value)
    async with db.sessions() as session:
        return list((await session.exec(query.order_by(col(Mail.id).desc()).limit(limit))).all())


async def retry_mail(*, db: Database, mail_id: int) -> Mail:
    """Put a parked mail back in the queue, due now, with a new round of attempts."""
    async with db.transaction() as session:
        mail = await session.get(Mail, mail_id)
        if mail is None:
            raise NotFound(f"Không tìm thấy thư / mail {mail_id} not found", code="not-found")
        if mail.status != MailStatus.PARKED.value:
            raise Rejected(f"Chỉ gửi lại được thư đã dừng / only a parked mail can be retried (this one is "
                           f"{mail.status})", code="not-parked")
        MAIL_TRANSITIONS.check(mail.status, MailStatus.PENDING)
        mail.status, mail.attempts, mail.next_attempt_at, mail.locked_until = (
            MailStatus.PENDING.value, 0, utcnow(), None)
        session.add(mail)
    log.info("mail.retried", mail_id=mail_id)
    return mail
