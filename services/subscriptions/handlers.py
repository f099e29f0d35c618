"""Kafka side of the subscriptions service: every event of every topic goes into the delivery outbox."""

from __future__ import annotations

from collections.abc import Callable

from faststream.kafka import KafkaBroker
from sqlmodel.ext.asyncio.session import AsyncSession

from services.subscriptions.service import reactions
from services.subscriptions.service.per_transaction import Intake
from shared.contracts import EVENT_CLASSES, EVENT_TOPICS
from shared.contracts.base import Event
from shared.db import Database
from shared.envelope import EventMeta
from shared.messaging import EventConsumer, Handler
from shared.settings import Settings

CONSUMER = "subscriptions"


def make_consumer(*, db: Database, broker: KafkaBroker, settings: Settings, wake: Callable[[], None],
                  stored: Callable[[], None] = lambda: None) -> EventConsumer:
    """One consumer for all four topics; once a transaction of events commits, `stored` tells the live
    streams and `wake` the delivery worker (when some event is owed to a webhook)."""

    def committed(intake: Intake) -> None:
        # Waking before the commit would let the readers look too early and miss the new rows.
        stored()
        if intake.owed:
            wake()

    async def on_event(session: AsyncSession, event: Event, meta: EventMeta) -> None:
        """Store the event and owe it to the subscriptions that want it."""
        await reactions.take_event(db.joined(session), event=event, meta=meta,
                                   committed=committed)

    handlers: dict[type[Event], Handler] = {cls: on_event for cls in EVENT_CLASSES}
    return EventConsumer(name=CONSUMER, topics=EVENT_TOPICS, handlers=handlers, db=db,
                         broker=broker, max_attempts=settings.consumer_max_attempts,
                         backoff_s=settings.consumer_retry_backoff_s)
