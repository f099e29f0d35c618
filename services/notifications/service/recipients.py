"""Use cases of recipients: an exhibitor reads and sets where their notices go, in which language, and which."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlmodel import col, update

from services.notifications.domain.notices import Language, NoticeKind, muted_of, wanted
from services.notifications.domain.sending import MailStatus
from services.notifications.models import Mail, Recipient
from shared.db import Database, utcnow
from shared.errors import Forbidden
from shared.principal import Principal

log = structlog.get_logger()


@dataclass(frozen=True)
class RecipientView:
    """A recipient as its exhibitor sees it."""

    exhibitor_id: str
    email: str | None
    language: Language
    notices: list[NoticeKind]


def _exhibitor_of(principal: Principal) -> str:
    if not principal.exhibitor_id:
        raise Forbidden("Tài khoản không gắn với nhà trưng bày / the token names no exhibitor", code="no-exhibitor")
    return principal.exhibitor_id


def _view(exhibitor_id: str, row: Recipient | None) -> RecipientView:
    if row is None:
        return RecipientView(exhibitor_id, None, Language.VI, wanted(()))
    return RecipientView(exhibitor_id, row.email, Language(row.language), wanted(row.muted))


async def read_recipient(*, db: Database, principal: Principal) -> RecipientView:
    """The caller's recipient settings (the defaults when never set: no address, Vietnamese, every notice)."""
    exhibitor_id = _exhibitor_of(principal)
    async with db.sessions() as session:
        return _view(exhibitor_id, await session.get(Recipient, exhibitor_id))


async def update_recipient(*, db: Database, principal: Principal, email: str | None, language: Language,
                           notices: list[NoticeKind]) -> RecipientView:
    """Set the caller's address, language and wanted notices. Mails recorded without an address stay so (their
    moment has passed); later notices go to the new address."""
    exhibitor_id = _exhibitor_of(principal)
    async with db.transaction() as session:
        row = await session.get(Recipient, exhibitor_id) or Recipient(exhibitor_id=exhibitor_id)
        row.email, row.language, row.muted, row.updated_at = email, language.value, muted_of(notices), utcnow()
        session.add(row)
        if email:  # mails still waiting go to the address in force
            await session.exec(update(Mail).where(col(Mail.exhibitor_id) == exhibitor_id,
                                                  col(Mail.status) == MailStatus.PENDING.value)
                               .values(to_address=email))
    log.info("recipient.updated", exhibitor_id=exhibitor_id, language=language.value)
    return _view(exhibitor_id, row)
