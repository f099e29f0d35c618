"""Kafka entry points of the registration service: the mirror of the routes for events — call a use case."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.service import reactions
from shared.contracts import billing
from shared.envelope import EventMeta
from shared.messaging import EventConsumer, Handler
from shared.runtime import ServiceRuntime

CONSUMER_NAME = "registration"


async def on_invoice_overdue(session: AsyncSession, event: billing.InvoiceOverdue, meta: EventMeta) -> None:
    """An invoice went unpaid past its due date: cancel its registration (reason unpaid), promote the waitlist."""
    await reactions.cancel_unpaid(session=session, event=event, meta=meta)


HANDLERS: dict[type, Handler] = {billing.InvoiceOverdue: on_invoice_overdue}


def make_consumer(runtime: ServiceRuntime) -> EventConsumer:
    """The service's one consumer of `billing.events`."""
    settings = runtime.settings
    return EventConsumer(name=CONSUMER_NAME, topics=(billing.TOPIC,), handlers=HANDLERS, db=runtime.db,
                         broker=runtime.broker, max_attempts=settings.consumer_max_attempts,
                         backoff_s=settings.consumer_retry_backoff_s)
