"""The use cases events run: keep what the mails need to know (fairs, registrations, invoices) and owe each
exhibitor the notice an event brings them — a row of the mail outbox, in the consumer's transaction, unique per
(event, exhibitor, kind), so a redelivered event owes nothing more. The sender is woken after the commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from services.notifications.domain.notices import Language, NoticeKind
from services.notifications.domain.sending import MailStatus
from services.notifications.models import FairCopy, InvoiceCopy, Mail, Recipient, RegistrationCopy
from shared import prefetch as rows
from shared.contracts import billing, booths, registration
from shared.contracts.base import Event
from shared.db import utcnow
from shared.envelope import EventMeta
from shared.errors import NotYet
from shared.uow import UnitOfWork, insert_ignore

log = structlog.get_logger()

# Moves and swaps re-send booths.assigned with the same assignment: the exhibitor was told of their booths once.
_REASSIGNMENTS = frozenset({"move", "swap"})

Reaction = Callable[[UnitOfWork, Any, EventMeta, Callable[[], None]], Awaitable[None]]


async def take_event(uow: UnitOfWork, *, event: Event, meta: EventMeta, wake: Callable[[], None]) -> None:
    """Apply one event: the reaction of its type (events this service does not handle never get here)."""
    await REACTIONS[type(event)](uow, event, meta, wake)


async def keep_fair(uow: UnitOfWork, event: registration.FairInfo, meta: EventMeta, wake: Callable[[], None]) -> None:
    """Keep the fair's name, venue, dates and allocation mode."""
    fair = await rows.get(uow.session, FairCopy, event.fair_id)
    if fair is None:
        fair = FairCopy(fair_id=event.fair_id, name=event.name)
        rows.remember(uow.session, fair)
    fair.name, fair.venue, fair.allocation_mode = event.name, event.venue, event.allocation_mode
    fair.starts_on, fair.ends_on = event.starts_on.isoformat(), event.ends_on.isoformat()
    uow.session.add(fair)


async def registration_received(uow: UnitOfWork, event: registration.RegistrationSubmitted, meta: EventMeta,
                                wake: Callable[[], None]) -> None:
    """Keep the registration; tell the exhibitor it was received."""
    copy = await _registration(uow.session, event.registration_id, event.fair_id, event.exhibitor_id)
    copy.exhibitor_name = event.exhibitor.name
    uow.session.add(copy)
    await _default_address(uow.session, event.exhibitor)
    await owe(uow, meta, wake, exhibitor_id=event.exhibitor_id, kind=NoticeKind.RECEIVED, fair_id=event.fair_id,
              registration_id=event.registration_id, booths_requested=event.booths_requested,
              submitted_at=event.submitted_at.isoformat())


async def registration_approved(uow: UnitOfWork, event: registration.RegistrationApproved, meta: EventMeta,
                                wake: Callable[[], None]) -> None:
    """Remember a promotion; tell the exhibitor now only where they pick their own booths (elsewhere the
    approval is told with its booths, on booths.assigned)."""
    copy = await _registration(uow.session, event.registration_id, event.fair_id, event.exhibitor_id)
    copy.exhibitor_name = event.exhibitor.name
    copy.promoted = event.promoted or copy.waitlisted
    uow.session.add(copy)
    await _default_address(uow.session, event.exhibitor)
    fair = await rows.get(uow.session, FairCopy, event.fair_id)
    if fair is not None and fair.allocation_mode == "exhibitor_picks":
        await owe(uow, meta, wake, exhibitor_id=event.exhibitor_id, fair_id=event.fair_id,
                  kind=NoticeKind.PROMOTED if copy.promoted else NoticeKind.APPROVED,
                  registration_id=event.registration_id, booth_codes=[], picks=True)


async def registration_waitlisted(uow: UnitOfWork, event: registration.RegistrationWaitlisted, meta: EventMeta,
                                  wake: Callable[[], None]) -> None:
    """Remember it waits; tell the exhibitor their place on the list."""
    copy = await _registration(uow.session, event.registration_id, event.fair_id, event.exhibitor_id)
    copy.waitlisted = True
    uow.session.add(copy)
    await owe(uow, meta, wake, exhibitor_id=event.exhibitor_id, kind=NoticeKind.WAITLISTED, fair_id=event.fair_id,
              registration_id=event.registration_id, position=event.position)


async def registration_rejected(uow: UnitOfWork, event: registration.RegistrationRejected, meta: EventMeta,
                                wake: Callable[[], None]) -> None:
    """Tell the exhibitor it was rejected, and why."""
    await owe(uow, meta, wake, exhibitor_id=event.exhibitor_id, kind=NoticeKind.REJECTED, fair_id=event.fair_id,
              registration_id=event.registration_id, reason=event.reason)


async def changes_requested(uow: UnitOfWork, event: registration.RegistrationChangesRequested, meta: EventMeta,
                            wake: Callable[[], None]) -> None:
    """Tell the exhibitor what the organizer asks them to change."""
    await owe(uow, meta, wake, exhibitor_id=event.exhibitor_id, kind=NoticeKind.CHANGES_REQUESTED,
              fair_id=event.fair_id, registration_id=event.registration_id, reason=event.reason)


async def registration_cancelled(uow: UnitOfWork, event: registration.RegistrationCancelled, meta: EventMeta,
                                 wake: Callable[[], None]) -> None:
    """Tell the exhibitor it was cancelled, by whom or why."""
    await owe(uow, meta, wake, exhibitor_id=event.exhibitor_id, kind=NoticeKind.CANCELLED, fair_id=event.fair_id,
              registration_id=event.registration_id, cause=event.reason, note=event.note)


async def booths_assigned(uow: UnitOfWork, event: booths.BoothsAssigned, meta: EventMeta,
                          wake: Callable[[], None]) -> None:
    """Tell the exhibitor they were approved (or promoted), with their booths; a move or swap tells nothing."""
    if event.operation in _REASSIGNMENTS:
        return
    copy = await rows.get(uow.session, RegistrationCopy, event.registration_id)
    await owe(uow, meta, wake, exhibitor_id=event.exhibitor_id, fair_id=event.fair_id,
              kind=NoticeKind.PROMOTED if copy is not None and copy.promoted else NoticeKind.APPROVED,
              registration_id=event.registration_id, booth_codes=sorted(event.booth_codes), picks=False)


async def invoice_issued(uow: UnitOfWork, event: billing.InvoiceIssued, meta: EventMeta,
                         wake: Callable[[], None]) -> None:
    """Keep the invoice; tell the exhibitor it was issued (the sender attaches its PDF)."""
    number = f"{event.symbol}-{event.number}"
    if await rows.get(uow.session, InvoiceCopy, event.invoice_id) is None:
        invoice = InvoiceCopy(invoice_id=event.invoice_id, registration_id=event.registration_id,
                              exhibitor_id=event.exhibitor_id, number=number, payable_vnd=event.payable_vnd)
        uow.session.add(invoice)
        rows.remember(uow.session, invoice)
    await owe(uow, meta, wake, exhibitor_id=event.exhibitor_id, kind=NoticeKind.INVOICE_ISSUED,
              fair_id=event.fair_id, registration_id=event.registration_id, invoice_id=event.invoice_id,
              number=number, issued_on=event.issued_on.isoformat(), due_on=event.due_on.isoformat(),
              net_vnd=event.net_vnd, vat_vnd=event.vat_vnd, total_vnd=event.total_vnd,
              subsidy_vnd=event.subsidy_vnd, payable_vnd=event.payable_vnd)


async def payment_received(uow: UnitOfWork, event: billing.PaymentReceived, meta: EventMeta,
                           wake: Callable[[], None]) -> None:
    """Tell the exhibitor their payment arrived."""
    exhibitor_id, number = await _invoice_owner(uow.session, event)
    await owe(uow, meta, wake, exhibitor_id=exhibitor_id, kind=NoticeKind.PAYMENT_RECEIVED, fair_id=event.fair_id,
              registration_id=event.registration_id, invoice_id=event.invoice_id, number=number,
              amount_vnd=event.amount_vnd, method=event.method, received_on=event.received_on.isoformat())


async def invoice_paid(uow: UnitOfWork, event: billing.InvoicePaid, meta: EventMeta, wake: Callable[[], None]) -> None:
    """Tell the exhibitor the invoice is paid in full."""
    exhibitor_id, number = await _invoice_owner(uow.session, event)
    await owe(uow, meta, wake, exhibitor_id=exhibitor_id, kind=NoticeKind.INVOICE_PAID, fair_id=event.fair_id,
              registration_id=event.registration_id, invoice_id=event.invoice_id, number=number,
              paid_on=event.paid_on.isoformat(), paid_vnd=event.paid_vnd)


async def invoice_overdue(uow: UnitOfWork, event: billing.InvoiceOverdue, meta: EventMeta,
                          wake: Callable[[], None]) -> None:
    """Remind the exhibitor the invoice is overdue."""
    invoice = await rows.get(uow.session, InvoiceCopy, event.invoice_id)
    await owe(uow, meta, wake, exhibitor_id=event.exhibitor_id, kind=NoticeKind.OVERDUE, fair_id=event.fair_id,
              registration_id=event.registration_id, invoice_id=event.invoice_id,
              number=invoice.number if invoice else "", due_on=event.due_on.isoformat(),
              outstanding_vnd=event.outstanding_vnd)


async def owe(uow: UnitOfWork, meta: EventMeta, wake: Callable[[], None], *, exhibitor_id: str, kind: NoticeKind,
              fair_id: str, registration_id: str, **facts: Any) -> None:
    """Owe one mail, unless the exhibitor muted that notice: to their address in their language, or recorded
    as `no_address` when there is none. A second time for the same event owes nothing."""
    session = uow.session
    recipient = await rows.get(session, Recipient, exhibitor_id)
    if recipient is not None and kind.value in recipient.muted:
        log.info("notice.muted", exhibitor_id=exhibitor_id, kind=kind.value, event_id=meta.event_id)
        return
    fair = await rows.get(session, FairCopy, fair_id)
    copy = await rows.get(session, RegistrationCopy, registration_id)
    address = recipient.email if recipient is not None else None
    status = MailStatus.PENDING if address else MailStatus.NO_ADDRESS
    mail = mail_row(event_id=meta.event_id, exhibitor_id=exhibitor_id, kind=kind, status=status, to_address=address,
                    language=recipient.language if recipient else Language.VI.value, now=utcnow(),
                    facts={**facts, "registration_id": registration_id, "fair_id": fair_id,
                           "fair_name": fair.name if fair else "", "fair_venue": fair.venue if fair else "",
                           "fair_starts_on": fair.starts_on if fair else "",
                           "fair_ends_on": fair.ends_on if fair else "",
                           "exhibitor_name": copy.exhibitor_name if copy else "", "event_time": meta.time})
    if not await insert_ignore(session, Mail, mail, index_elements=("event_id", "exhibitor_id", "kind")):
        return
    log.info("notice.owed", exhibitor_id=exhibitor_id, kind=kind.value, status=status.value, event_id=meta.event_id)
    if status is MailStatus.PENDING:
        uow.after_commit(wake)


async def _default_address(session: AsyncSession, exhibitor: registration.ExhibitorInfo) -> None:
    """An exhibitor who never set a recipient gets their profile's e-mail (carried by the event), in Vietnamese."""
    if exhibitor.email and await rows.get(session, Recipient, exhibitor.exhibitor_id) is None:
        recipient = Recipient(exhibitor_id=exhibitor.exhibitor_id, email=exhibitor.email)
        session.add(recipient)
        rows.remember(session, recipient)


async def _registration(session: AsyncSession, registration_id: str, fair_id: str,
                        exhibitor_id: str) -> RegistrationCopy:
    copy = await rows.get(session, RegistrationCopy, registration_id)
    if copy is None:
        copy = RegistrationCopy(registration_id=registration_id, fair_id=fair_id, exhibitor_id=exhibitor_id)
        rows.remember(session, copy)
    return copy


async def _invoice_owner(session: AsyncSession, event: billing.InvoiceEvent) -> tuple[str, str]:
    """Whose the invoice is, and its number: from the invoice, else its registration; else wait for them."""
    invoice = await rows.get(session, InvoiceCopy, event.invoice_id)
    if invoice is not None:
        return invoice.exhibitor_id, invoice.number
    copy = await rows.get(session, RegistrationCopy, event.registration_id)
    if copy is not None:
        return copy.exhibitor_id, ""
    raise NotYet(f"invoice {event.invoice_id} not known yet", waits_for=event.invoice_id)


async def prefetch(session: AsyncSession, events: Sequence[Event]) -> list[object]:
    """What a batch's reactions read by key, in four queries: its fairs, registrations, invoices, recipients."""
    def keys(name: str) -> set[str]:
        return {str(value) for event in events if (value := getattr(event, name, None))}

    return [*await rows.load(session, FairCopy, keys("fair_id")),
            *await rows.load(session, RegistrationCopy, keys("registration_id")),
            *await rows.load(session, InvoiceCopy, keys("invoice_id")),
            *await rows.load(session, Recipient, keys("exhibitor_id"))]


REACTIONS: dict[type[Event], Reaction] = {
    registration.FairPublished: keep_fair,
    registration.FairUpdated: keep_fair,
    registration.RegistrationSubmitted: registration_received,
    registration.RegistrationApproved: registration_approved,
    registration.RegistrationWaitlisted: registration_waitlisted,
    registration.RegistrationRejected: registration_rejected,
    registration.RegistrationChangesRequested: changes_requested,
    registration.RegistrationCancelled: registration_cancelled,
    booths.BoothsAssigned: booths_assigned,
    billing.InvoiceIssued: invoice_issued,
    billing.PaymentReceived: payment_received,
    billing.InvoicePaid: invoice_paid,
    billing.InvoiceOverdue: invoice_overdue,
}


def mail_row(*, event_id: str, exhibitor_id: str, kind: NoticeKind, status: MailStatus, to_address: str | None,
             language: str, facts: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new mail as a plain row, every column but the id given: a `Mail` object built only to be dumped again
    cost a tenth of the consumer's CPU (SQLModel validates and instruments it); the columns' types still convert
    each value on the way in."""
    return {"event_id": event_id, "exhibitor_id": exhibitor_id, "kind": kind.value, "status": status.value,
            "to_address": to_address, "language": language, "facts": facts, "subject": "", "attached": False,
            "attempts": 0, "next_attempt_at": now, "locked_until": None, "last_error": None, "created_at": now,
            "sent_at": None}
