"""Kafka subscribers of the billing service: decode, call a reaction (service/reactions.py); the mirror of api/.

Each handler runs inside the consumer's transaction, beside the inbox record of the event, so a
redelivered event (same ``ce_id``) changes nothing. A handler that raises is retried a bounded number
of times and then dead-lettered to ``<topic>.dlq``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.domain.vat import DEFAULT_VAT_TABLE, VatRule
from services.billing.service import reactions
from shared.contracts import booths, registration
from shared.contracts.booths import BoothsAssigned
from shared.contracts.registration import FairInfo, RegistrationApproved, RegistrationCancelled
from shared.envelope import EventMeta
from shared.messaging import EventConsumer
from shared.metrics import SAGA_BUCKETS, metrics_of, observe_after_commit
from shared.runtime import ServiceRuntime

Clock = Callable[[], datetime]
CONSUMER_NAME = "billing"


def build_consumer(runtime: ServiceRuntime, *, clock: Clock, due_in_days: int,
                   vat_table: Sequence[VatRule] = DEFAULT_VAT_TABLE) -> EventConsumer:
    """The one consumer of registration.events and booths.events; ``clock`` dates the invoices."""
    saga_seconds = metrics_of(runtime.db).histogram(
        "hangviet_saga_approval_to_invoice_seconds",
        "From registration.approved (its approved_at) to the commit of the invoice billing issued for it",
        buckets=SAGA_BUCKETS)

    async def on_fair(session: AsyncSession, event: FairInfo, meta: EventMeta) -> None:
        """fair.published / fair.updated: keep the fair's booth price and seller."""
        await reactions.record_fair(session=session, fair=event)

    async def on_registration_approved(session: AsyncSession, event: RegistrationApproved, meta: EventMeta) -> None:
        """registration.approved: keep the exhibitor as the buyer of the registration's invoice."""
        await reactions.record_buyer(session=session, approved=event)

    async def on_booths_assigned(session: AsyncSession, event: BoothsAssigned, meta: EventMeta) -> None:
        """booths.assigned: issue the invoice, committing a programme's share (emits invoice.issued,
        subsidy.committed, subsidy.exhausted)."""
        await reactions.issue_invoice(uow=runtime.db.joined(session), assigned=event, now=clock(),
                                      due_in_days=due_in_days, vat_table=vat_table,
                                      approved_at=lambda at: observe_after_commit(session, saga_seconds, since=at))

    async def on_registration_cancelled(session: AsyncSession, event: RegistrationCancelled,
                                        meta: EventMeta) -> None:
        """registration.cancelled: void the registration's unpaid invoices and release their subsidies
        (emits invoice.voided, subsidy.released)."""
        await reactions.void_registration_invoices(uow=runtime.db.joined(session), cancelled=event,
                                                   now=clock())

    settings = runtime.settings
    return EventConsumer(
        name=CONSUMER_NAME, topics=(registration.TOPIC, booths.TOPIC),
        handlers={registration.FairPublished: on_fair, registration.FairUpdated: on_fair,
                  RegistrationApproved: on_registration_approved, BoothsAssigned: on_booths_assigned,
                  RegistrationCancelled: on_registration_cancelled},
        db=runtime.db, broker=runtime.broker, max_attempts=settings.consumer_max_attempts,
        backoff_s=settings.consumer_retry_backoff_s)
