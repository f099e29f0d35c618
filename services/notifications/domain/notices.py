"""What an exhibitor is told: the kinds of notice, the languages, and which notices a recipient wants."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class NoticeKind(StrEnum):
    """One kind of e-mail; each has a template per language (templates/<language>/<kind>.txt)."""

    RECEIVED = "received"  # registration.submitted
    CHANGES_REQUESTED = "changes_requested"  # registration.changes_requested
    APPROVED = "approved"  # booths.assigned (with the booths), or registration.approved in exhibitor_picks fairs
    PROMOTED = "promoted"  # the same, for a registration that came off the waitlist
    WAITLISTED = "waitlisted"  # registration.waitlisted
    REJECTED = "rejected"  # registration.rejected
    INVOICE_ISSUED = "invoice_issued"  # invoice.issued (the PDF attached when billing gives it)
    PAYMENT_RECEIVED = "payment_received"  # payment.received
    INVOICE_PAID = "invoice_paid"  # invoice.paid
    OVERDUE = "overdue"  # invoice.overdue
    CANCELLED = "cancelled"  # registration.cancelled


class Language(StrEnum):
    """The language of a recipient's e-mails: one language per mail."""

    VI = "vi"
    EN = "en"


ALL_NOTICES: frozenset[NoticeKind] = frozenset(NoticeKind)


def wanted(muted: Iterable[str]) -> list[NoticeKind]:
    """The notices a recipient wants, in declaration order: every kind but the muted ones (all by default, so a
    kind added later is wanted until muted)."""
    off = set(muted)
    return [kind for kind in NoticeKind if kind.value not in off]


def muted_of(wanted_kinds: Iterable[NoticeKind]) -> list[str]:
    """What a recipient mutes, from the notices they want."""
    on = set(wanted_kinds)
    return [kind.value for kind in NoticeKind if kind not in on]
