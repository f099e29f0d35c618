"""Bodies of the mail outbox and of the development mailbox."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from services.notifications.domain.notices import Language, NoticeKind
from services.notifications.domain.sending import MailStatus


class MailPublic(BaseModel):
    """One notice owed to one exhibitor, and how its sending went."""

    id: int
    event_id: str
    exhibitor_id: str
    kind: NoticeKind
    status: MailStatus
    to_address: str | None
    language: Language
    subject: str
    attached: bool
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class MailsPublic(BaseModel):
    """A page of mails, newest first."""

    data: list[MailPublic]
    count: int


class ReceivedPublic(BaseModel):
    """A mail the local SMTP server received (development)."""

    file: str
    sender: str
    to: str
    subject: str
    date: str
    language: str
    body: str
    attachments: list[str]


class MailboxPublic(BaseModel):
    """The development mailbox, newest first."""

    data: list[ReceivedPublic]
    count: int
