"""Tables of the notifications service: recipients, what it keeps of fairs, registrations and invoices (to word a
mail without calling anyone), and the mail outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.notifications.domain.notices import Language
from services.notifications.domain.sending import MailStatus
from shared.db import utc_column, utcnow
from shared.money import MONEY


class Recipient(SQLModel, table=True):
    """Where an exhibitor's notices go: an address, a language, and the notices they muted (none by default)."""

    __tablename__ = "recipients"

    exhibitor_id: str = Field(primary_key=True, max_length=64)
    email: str | None = Field(default=None, max_length=320)
    language: str = Field(default=Language.VI.value, max_length=2)  # a Language
    muted: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class FairCopy(SQLModel, table=True):
    """A fair as the mails name it (from fair.published / fair.updated)."""

    __tablename__ = "fair_copies"

    fair_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=300)
    venue: str = Field(default="", max_length=500)
    starts_on: str = Field(default="", max_length=10)  # ISO date
    ends_on: str = Field(default="", max_length=10)
    allocation_mode: str = Field(default="automatic", max_length=30)


class RegistrationCopy(SQLModel, table=True):
    """A registration: whose it is and whether it waited on the list (a later approval is a promotion)."""

    __tablename__ = "registration_copies"

    registration_id: str = Field(primary_key=True, max_length=64)
    fair_id: str = Field(max_length=64)
    exhibitor_id: str = Field(index=True, max_length=64)
    exhibitor_name: str = Field(default="", max_length=300)
    waitlisted: bool = False
    promoted: bool = False


class InvoiceCopy(SQLModel, table=True):
    """An invoice: whose it is and its number, for the payment notices that carry neither."""

    __tablename__ = "invoice_copies"

    invoice_id: str = Field(primary_key=True, max_length=64)
    registration_id: str = Field(max_length=64)
    exhibitor_id: str = Field(max_length=64)
    number: str = Field(max_length=40)
    payable_vnd: int = Field(default=0, sa_type=MONEY)


class Mail(SQLModel, table=True):
    """One notice owed to one exhibitor for one event: the mail outbox, written in the consumer's transaction.
    Unique per (event, exhibitor, kind): a redelivered event owes nothing more."""

    __tablename__ = "mails"
    __table_args__ = (UniqueConstraint("event_id", "exhibitor_id", "kind", name="uq_mail_event_exhibitor_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64)
    exhibitor_id: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=30)  # a NoticeKind
    status: str = Field(default=MailStatus.PENDING.value, index=True, max_length=20)  # a MailStatus
    to_address: str | None = Field(default=None, max_length=320)
    language: str = Field(default=Language.VI.value, max_length=2)
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    subject: str = Field(default="", max_length=500)  # as sent
    attached: bool = False  # the invoice PDF went with it
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    locked_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


TABLES: list[type[SQLModel]] = [Recipient, FairCopy, RegistrationCopy, InvoiceCopy, Mail]
