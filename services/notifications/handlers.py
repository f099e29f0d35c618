"""Kafka side of the notifications service: the events that concern an exhibitor become mails owed."""

from __future__ import annotations

from collections.abc import Callable

from faststream.kafka import KafkaBroker
from sqlmodel.ext.asyncio.session import AsyncSession

from services.notifications.service import reactions
from shared.contracts import billing, booths, registration
from shared.contracts.base import Event
from shared.db import Database
from shared.envelope import EventMeta
from shared.messaging import EventConsumer, Handler
from shared.settings import Settings

CONSUMER = "notifications"
TOPICS = (registration.TOPIC, booths.TOPIC, billing.TOPIC)


def make_consumer(*, db: Database, broker: KafkaBroker, settings: Settings, wake: Callable[[], None]) -> EventConsumer:
    """One consumer for the three topics; `wake` tells the sender once a transaction owing mails commits."""

    async def on_event(session: AsyncSession, event: Event, meta: EventMeta) -> None:
        """Keep what the mails need and owe the exhibitor the event's notice."""
        await reactions.take_event(db.joined(session), event=event, meta=meta, wake=wake)

    handlers: dict[type[Event], Handler] = dict.fromkeys(reactions.REACTIONS, on_event)
    return EventConsumer(name=CONSUMER, topics=TOPICS, handlers=handlers, db=db, broker=broker,
                         max_attempts=settings.consumer_max_attempts, backoff_s=settings.consumer_retry_backoff_s,
                         prefetch=reactions.prefetch)
