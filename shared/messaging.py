"""Kafka plumbing every service shares: one consumer per topic dispatching on `ce_type`, idempotent
through the inbox, with bounded retries and a dead-letter topic; and the outbox relay's publisher."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, Union

import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import inbox, parking
from shared.contracts import dlq_topic
from shared.contracts.base import Event
from shared.db import Database
from shared.envelope import EventMeta, MalformedEvent, decode_headers, parse_event, read_meta
from shared.errors import NotYet
from shared.logs import correlation_scope
from shared.outbox import OutboxMessage
from shared.settings import Settings

log = structlog.get_logger()

Handler = Callable[[AsyncSession, Any, EventMeta], Awaitable[None]]


def _key_text(record: Any) -> str:
    key = getattr(record, "key", None)
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    return str(key) if key is not None else ""


def make_broker(settings: Settings) -> KafkaBroker:
    """The service's broker; nothing connects until it is started in the app's lifespan."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        acks="all",
        client_id=f"hangviet-{settings.service}",
        logger=None,
    )


def make_outbox_publisher(broker: KafkaBroker) -> Callable[[OutboxMessage], Awaitable[Awaitable[object]]]:
    """Sends an outbox row with its CloudEvents headers and key; returns the acks=all confirmation to await.

    Sending does not wait for the broker, so one relay pass pipelines a whole batch; one producer keeps the
    send order within a partition, and the relay marks rows sent only once their confirmations arrived.
    """

    async def publish(row: OutboxMessage) -> Awaitable[object]:
        headers = row.header_dict()
        return await broker.publish(row.payload.encode(), topic=row.topic, key=row.key.encode(), headers=headers,
                                    correlation_id=headers.get("ce_correlationid"), no_confirm=True)

    return publish


@dataclass
class EventConsumer:
    """Applies the events of one topic that a service handles, each at most once."""

    name: str
    topics: tuple[str, ...]
    handlers: Mapping[type[Event], Handler]
    db: Database
    broker: KafkaBroker
    max_attempts: int = 3
    backoff_s: float = 0.2
    park_ttl: timedelta = timedelta(days=1)

    def __post_init__(self) -> None:
        self._by_type = {cls.ce_type(): handler for cls, handler in self.handlers.items()}

    async def handle(self, headers: Mapping[str, str], body: bytes, record: Any) -> None:
        """Apply one message; malformed or hopeless ones go to the dead-letter topic. Raises only
        when even dead-lettering fails, so the offset is not committed and the message comes back."""
        try:
            meta = read_meta(headers)
        except MalformedEvent as exc:
            await self._dead_letter(headers, body, record, reason=str(exc), attempts=0)
            return
        handler = self._by_type.get(meta.event_type)
        if handler is None:
            return  # not an event this service reacts to
        with correlation_scope(meta.correlation_id, event_id=meta.event_id, event_type=meta.event_type):
            try:
                event = parse_event(meta, body)
            except MalformedEvent as exc:
                await self._dead_letter(headers, body, record, reason=str(exc), attempts=0)
                return
            await self._apply_with_retries(handler, event, meta, headers, body, record)

    async def _apply_with_retries(self, handler: Handler, event: Event, meta: EventMeta,
                                  headers: Mapping[str, str], body: bytes, record: Any) -> None:
        topic, key = self._topic_of(record), _key_text(record)
        if await self._queue_behind_parked(topic, key, meta, headers, body):
            return
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self._apply_once(handler, event, meta)
                await self._retry_parked()
                return
            except NotYet as exc:
                await self._park(topic, key, meta, headers, body, reason=str(exc))
                return
            except Exception as exc:
                log.warning("event.apply_failed", consumer=self.name, attempt=attempt, error=repr(exc))
                if attempt == self.max_attempts:
                    await self._dead_letter(headers, body, record, reason=repr(exc), attempts=attempt)
                    return
                await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))

    async def _apply_once(self, handler: Handler, event: Event, meta: EventMeta) -> None:
        async with self.db.transaction() as session:
            if await inbox.seen(session, consumer=self.name, event_id=meta.event_id):
                log.info("event.duplicate_ignored", consumer=self.name)
                return
            await handler(session, event, meta)
            inbox.record(session, consumer=self.name, event_id=meta.event_id, event_type=meta.event_type)
        log.info("event.applied", consumer=self.name)

    async def _queue_behind_parked(self, topic: str, key: str, meta: EventMeta, headers: Mapping[str, str],
                                   body: bytes) -> bool:
        async with self.db.sessions() as session:
            if not await parking.has_parked(session, consumer=self.name, topic=topic, key=key):
                return False
        await self._park(topic, key, meta, headers, body, reason="queued behind an earlier parked event")
        return True

    async def _park(self, topic: str, key: str, meta: EventMeta, headers: Mapping[str, str], body: bytes, *,
                    reason: str) -> None:
        async with self.db.transaction() as session:
            parking.park(session, consumer=self.name, topic=topic, key=key, event_id=meta.event_id,
                         headers=headers, body=body, reason=reason)
        log.info("event.parked", consumer=self.name, reason=reason, topic=topic, key=key)

    async def _retry_parked(self) -> None:
        """Apply what was waiting, oldest first; a (topic, key) still waiting blocks only its own queue."""
        async with self.db.sessions() as session:
            parked = await parking.oldest_parked(session, consumer=self.name)
        blocked: set[tuple[str, str]] = set()
        for row in parked:
            if (row.topic, row.key) in blocked:
                continue
            if not await self._apply_parked(row):
                blocked.add((row.topic, row.key))

    async def _apply_parked(self, row: parking.ParkedEvent) -> bool:
        headers = row.header_dict()
        meta = read_meta(headers)
        handler = self._by_type[meta.event_type]
        event = parse_event(meta, row.body.encode())
        record = SimpleNamespace(topic=row.topic, key=row.key.encode() or None, partition="parked", offset=row.id)
        expired = datetime.now(UTC) - row.parked_at > self.park_ttl
        with correlation_scope(meta.correlation_id, event_id=meta.event_id, event_type=meta.event_type):
            try:
                async with self.db.transaction() as session:
                    if not await inbox.seen(session, consumer=self.name, event_id=meta.event_id):
                        await handler(session, event, meta)
                        inbox.record(session, consumer=self.name, event_id=meta.event_id, event_type=meta.event_type)
                    await session.delete(await session.get(parking.ParkedEvent, row.id))
                log.info("event.applied_from_parking", consumer=self.name)
                return True
            except NotYet as exc:
                if not expired:
                    return False
                reason = f"still not applicable after {self.park_ttl}: {exc}"
            except Exception as exc:
                reason = repr(exc)
            await self._dead_letter(headers, row.body.encode(), record, reason=reason, attempts=1)
            async with self.db.transaction() as session:
                await session.delete(await session.get(parking.ParkedEvent, row.id))
            return True

    def _topic_of(self, record: Any) -> str:
        topic = getattr(record, "topic", None)
        return topic if isinstance(topic, str) and topic else self.topics[0]

    async def _dead_letter(self, headers: Mapping[str, str], body: bytes, record: Any, *,
                           reason: str, attempts: int) -> None:
        dlq_headers = {
            **headers,
            "dlq_reason": reason[:2000],
            "dlq_consumer": self.name,
            "dlq_attempts": str(attempts),
            "dlq_original_topic": self._topic_of(record),
            "dlq_original_partition": str(getattr(record, "partition", "")),
            "dlq_original_offset": str(getattr(record, "offset", "")),
        }
        key = getattr(record, "key", None)
        await self.broker.publish(body, topic=dlq_topic(self._topic_of(record)), key=key, headers=dlq_headers)
        log.error("event.dead_lettered", consumer=self.name, reason=reason, attempts=attempts)


async def raw_body(message: StreamMessage[Any]) -> bytes:
    """Leave the body as bytes: FastStream would decode JSON before our handler runs, and a body that is not
    JSON would then fail outside it, be nacked and come back forever instead of reaching the DLQ."""
    body: bytes = message.body
    return body


def subscribe(consumer: EventConsumer, settings: Settings, *, description: str = "") -> None:
    """Register the consumer on its broker: one subscriber for all its topics (one slow group join),
    a group per service, offsets committed only after the effect."""
    handled = ", ".join(sorted(cls.event_name for cls in consumer.handlers))
    topics = ", ".join(consumer.topics)

    @consumer.broker.subscriber(
        *consumer.topics,
        group_id=f"hangviet.{consumer.name}",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        decoder=raw_body,
        title=f"{consumer.name}:consume",
        description=description or f"{consumer.name} applies {handled} from {topics}.",
    )
    async def on_message(message: KafkaMessage) -> None:
        await consumer.handle(decode_headers(message.headers), message.body, message.raw_message)


def document_publisher(broker: KafkaBroker, topic: str, events: list[type[Event]]) -> None:
    """Declare what a service emits on its topic, for the AsyncAPI document (the relay publishes): the
    payload schema is the union of the event contracts, each with its docstring."""
    names = ", ".join(cls.event_name for cls in events)
    schema: Any = Union[tuple(events)] if len(events) > 1 else events[0]  # noqa: UP007 - runtime union of classes
    broker.publisher(topic, title=f"{topic}:publish", schema=schema,
                     description=f"Emits {names} (CloudEvents binary mode; the type is in the ce_type header).")
