"""Kafka entry points of the registration service: the mirror of the routes for events — call a use case."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.service import reactions
from services.registration.service.common import joined
from shared.contracts import billing
from shared.contracts.base import Event
from shared.db import Database
from shared.envelope import EventMeta
from shared.messaging import EventConsumer, Handler
from shared.runtime import ServiceRuntime

CONSUMER_NAME = "registration"


def make_handlers(db: Database) -> dict[type[Event], Handler]:
    """The use case each consumed event calls, in the consumer's transaction (events staged in `db`'s outbox)."""

    async def on_invoice_overdue(session: AsyncSession, event: billing.InvoiceOverdue, meta: EventMeta) -> None:
        """An invoice went unpaid past its due date: cancel its registration (reason unpaid), promote the waitlist."""
        await reactions.cancel_unpaid(uow=joined(db, session), event=event, meta=meta)

    handlers: dict[type[Event], Handler] = {billing.InvoiceOverdue: on_invoice_overdue}
    return handlers


def make_consumer(runtime: ServiceRuntime) -> EventConsumer:
    """The service's one consumer of `billing.events`."""
    settings = runtime.settings
    return EventConsumer(name=CONSUMER_NAME, topics=(billing.TOPIC,), handlers=make_handlers(runtime.db),
                         db=runtime.db, broker=runtime.broker, max_attempts=settings.consumer_max_attempts,
                         backoff_s=settings.consumer_retry_backoff_s)
