"""Kafka plumbing every service shares: one consumer per service reading its topics in batches, dispatching on
`ce_type`, idempotent through the inbox, with parking, bounded retries and a dead-letter topic; and the outbox
relay's publisher.

The path of a batch (up to `max_records` records, in partition order):
1. each record is read: malformed headers or body, or a `vn.hangviet.*` type no contract knows, go to the
   dead-letter topic with the reason; a known type this service does not handle is skipped (counted); a
   foreign type is logged and counted;
2. records that must wait behind a parked event of the same queue are parked (see `parking.blocks`);
3. the rest are applied in ONE transaction (the inbox checked for all their ids with one query), and the
   offsets are committed only after it commits;
4. if anything in that transaction fails (a prerequisite missing, `NotYet`, or any error), it is rolled back
   and the batch is applied one event at a time, each with its own retries and backoff, parking or
   dead-lettering — the per-event path the batch only speeds up.
A record is redelivered (its offset not committed) only when even the dead-letter topic refuses it; that
redelivery waits a growing backoff and is logged, never a silent spin.
"""

from __future__ import annotations

import asyncio
import heapq
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain
from types import SimpleNamespace
from typing import Any, Union

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.structs import OffsetAndMetadata
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared import inbox, parking, tracing
from shared.contracts import EVENTS_BY_TYPE, dlq_topic
from shared.contracts.base import CE_TYPE_PREFIX, Event
from shared.db import Database
from shared.envelope import TRACEPARENT_HEADER, EventMeta, MalformedEvent, decode_headers, parse_event, read_meta
from shared.errors import NotYet
from shared.logs import correlation_scope
from shared.outbox import OutboxLease, OutboxMessage, PendingRow
from shared.settings import Settings
from shared.tasks import raise_if_cancelling

log = structlog.get_logger()

Handler = Callable[[AsyncSession, Any, EventMeta], Awaitable[None]]
# Reads in a few queries, before a batch is applied, the rows its handlers will look up by key; what it returns is
# held until the batch ends (the session's identity map is weak: rows nobody holds would be read again).
Prefetch = Callable[[AsyncSession, Sequence[Any]], Awaitable[object]]

KERNEL_TABLES: tuple[type[Any], ...] = (OutboxMessage, OutboxLease, inbox.InboxMessage, parking.ParkedEvent)
"""The delivery tables every service database holds beside its own."""


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


def make_outbox_publisher(broker: KafkaBroker) -> Callable[[PendingRow], Awaitable[Awaitable[object]]]:
    """Sends an outbox row with its CloudEvents headers and key; returns the acks=all confirmation to await.

    Sending does not wait for the broker, so one relay pass pipelines a whole batch; one producer keeps the
    send order within a partition, and the relay marks rows sent only once their confirmations arrived.
    """

    async def publish(row: PendingRow) -> Awaitable[object]:
        headers = row.header_dict()
        correlation_id = headers.get("ce_correlationid", "")
        with tracing.continued(row.traceparent, f"{row.topic} publish", kind=tracing.SpanKind.PRODUCER,
                               attributes={tracing.CORRELATION_ATTRIBUTE: correlation_id,
                                           "messaging.system": "kafka", "messaging.destination.name": row.topic,
                                           "messaging.message.id": row.event_id}):
            traceparent = tracing.current_traceparent()
            if traceparent:
                headers[TRACEPARENT_HEADER] = traceparent
            return await broker.publish(row.payload.encode(), topic=row.topic, key=row.key.encode(),
                                        headers=headers,
                                        correlation_id=correlation_id or None, no_confirm=True)

    return publish


@dataclass
class ConsumerStats:
    """What a consumer did since it started (shown on /admin/delivery)."""

    batches: int = 0
    applied: int = 0
    duplicates: int = 0
    skipped: int = 0
    foreign: int = 0
    retried: int = 0
    parked: int = 0
    unparked: int = 0
    dead_lettered: int = 0
    redelivered: int = 0
    batch_fallbacks: int = 0


class _FailedAt(Exception):
    """The event at `index` of a batch failed; the batch's transaction was rolled back (the cause is chained)."""

    def __init__(self, index: int) -> None:
        super().__init__(f"event {index} of the batch failed")
        self.index = index


@dataclass
class _Item:
    """One received event, read and parsed, with where it came from."""

    record: Any
    headers: dict[str, str]
    body: bytes
    meta: EventMeta
    event: Event
    handler: Handler
    topic: str
    key: str

    @property
    def queue(self) -> parking.Queue:
        return parking.Queue(self.topic, self.key, self.meta.subject or self.key)


@dataclass
class EventConsumer:
    """Applies the events of its topics that a service handles, each at most once."""

    name: str
    topics: tuple[str, ...]
    handlers: Mapping[type[Event], Handler]
    db: Database
    broker: KafkaBroker
    max_attempts: int = 5
    backoff_s: float = 0.25
    max_backoff_s: float = 5.0
    park_ttl: timedelta = timedelta(minutes=10)
    sweep_interval_s: float = 5.0
    stats: ConsumerStats = field(default_factory=ConsumerStats)
    prefetch: Prefetch | None = None
    offsets: _Offsets | None = None  # set by `subscribe`

    def __post_init__(self) -> None:
        # Batch latency, one observation per batch (metrics point it at their histogram; nothing by default).
        self.observe_batch: Callable[[float], None] = _ignore
        self._by_type = {cls.ce_type(): handler for cls, handler in self.handlers.items()}
        self._redelivery_failures = 0
        self._last_record_at = 0.0
        self._warned_parked_at = 0.0
        self._has_parked = True  # unknown at start: the first batch and the sweeper look

    # -- entry points ---------------------------------------------------------------------------------------

    async def handle(self, headers: Mapping[str, str], body: bytes, record: Any) -> None:
        """Apply one message (the per-record entry point; the subscriber reads batches)."""
        await self.handle_batch([SimpleNamespace(topic=getattr(record, "topic", None), key=getattr(record, "key", None),
                                                 partition=getattr(record, "partition", ""),
                                                 offset=getattr(record, "offset", ""), value=body,
                                                 headers=list(headers.items()))])

    async def handle_batch(self, records: Sequence[Any]) -> None:
        """Apply a batch of records in order. Raises only when even dead-lettering fails, after a backoff, so
        the offsets are not committed and the records come back."""
        self._last_record_at = started = time.monotonic()
        self.stats.batches += 1
        try:
            items = [item for record in records if (item := await self._read(record)) is not None]
            if items:
                await self._apply_batch(items)
            self._redelivery_failures = 0
            self.observe_batch(time.monotonic() - started)
        except Exception as exc:
            self._redelivery_failures += 1
            self.stats.redelivered += len(records)
            delay = min(self.max_backoff_s, self.backoff_s * 2 ** self._redelivery_failures)
            log.error("event.batch_redelivered", consumer=self.name, records=len(records), error=repr(exc),
                      failures=self._redelivery_failures, retry_in_s=delay)
            await asyncio.sleep(delay)
            raise

    def _span(self, meta: EventMeta) -> Any:
        """The event's span, a child of the producer's (one per event, also in a batch: each continues the trace
        of its own request); tracing off, its traceparent made current for the events the handler stages."""
        if not tracing.enabled():
            return tracing.carried(meta.traceparent)
        return tracing.continued(meta.traceparent, f"{self.name} process {meta.event_type}",
                                 attributes={tracing.CORRELATION_ATTRIBUTE: meta.correlation_id,
                                             tracing.SERVICE_ATTRIBUTE: self.name,
                                             "messaging.system": "kafka", "messaging.message.id": meta.event_id,
                                             "cloudevents.event_type": meta.event_type})

    # -- reading ------------------------------------------------------------------------------------------

    async def _read(self, record: Any) -> _Item | None:
        """The record as an event to apply; None when it was dead-lettered, skipped or is not ours."""
        headers = decode_headers(getattr(record, "headers", None) or ())
        body: bytes = record.value if isinstance(record.value, bytes) else bytes(record.value or b"")
        try:
            meta = read_meta(headers)
        except MalformedEvent as exc:
            await self._dead_letter(headers, body, record, reason=str(exc), attempts=0)
            return None
        handler = self._by_type.get(meta.event_type)
        if handler is None:
            await self._not_handled(meta, headers, body, record)
            return None
        try:
            event = parse_event(meta, body)
        except MalformedEvent as exc:
            with correlation_scope(meta.correlation_id, event_id=meta.event_id, event_type=meta.event_type):
                await self._dead_letter(headers, body, record, reason=str(exc), attempts=0)
            return None
        return _Item(record, headers, body, meta, event, handler, self._topic_of(record), _key_text(record))

    async def _not_handled(self, meta: EventMeta, headers: Mapping[str, str], body: bytes, record: Any) -> None:
        """A type this consumer has no handler for: skipped if it is one of ours, dead-lettered if it only looks
        like ours (a misspelt or unknown `vn.hangviet.*` type), logged and counted if it is foreign."""
        if meta.event_type in EVENTS_BY_TYPE:
            self.stats.skipped += 1
            return
        if meta.event_type.startswith(CE_TYPE_PREFIX):
            await self._dead_letter(headers, body, record, attempts=0,
                                    reason=f"unknown event type {meta.event_type!r}: no contract of that name")
            return
        self.stats.foreign += 1
        log.warning("event.foreign_type_ignored", consumer=self.name, event_type=meta.event_type,
                    event_id=meta.event_id, topic=self._topic_of(record))

    # -- applying -----------------------------------------------------------------------------------------

    async def _apply_batch(self, items: list[_Item]) -> None:
        """The fast path: one transaction for the whole batch. When an event in it fails (a prerequisite not
        there yet, or any error), the transaction is rolled back, the events before it are applied together
        again, the failing one takes the per-event path (its own `max_attempts`, parking, dead letter; the failed
        batch attempt is not counted as one), and the rest go on together."""
        touched: set[str] = set()  # the subjects and keys of what was applied: what parked events may wait for
        pending = items
        while pending:
            if len(pending) == 1:
                await self._apply_alone(pending[0], touched)
                break
            try:
                await self._apply_together(pending, touched)
                break
            except _FailedAt as failed:
                self.stats.batch_fallbacks += 1
                log.info("event.batch_split", consumer=self.name, events=len(pending), at=failed.index,
                         cause=repr(failed.__cause__)[:300])
                head, item, pending = pending[:failed.index], pending[failed.index], pending[failed.index + 1:]
                await self._apply_all(head, touched)
                await self._apply_alone(item, touched)
            except Exception as exc:  # not a handler: the commit, the inbox, the parking table
                self.stats.batch_fallbacks += 1
                log.info("event.batch_fallback", consumer=self.name, events=len(pending), cause=repr(exc)[:300])
                for item in pending:
                    await self._apply_alone(item, touched)
                break
        if touched and self._has_parked:
            await self._retry_parked(touched)

    async def _apply_all(self, items: list[_Item], touched: set[str]) -> None:
        """Apply events that went through once already: together, else one at a time."""
        if not items:
            return
        try:
            await self._apply_together(items, touched)
        except Exception:
            for item in items:
                await self._apply_alone(item, touched)

    async def _apply_together(self, items: list[_Item], touched: set[str]) -> None:
        waiting = await self._waiting_queues()
        applied: list[_Item] = []
        queued: list[_Item] = []
        async with self.db.transaction() as session:
            ids = [item.meta.event_id for item in items]
            done = set((await session.exec(select(inbox.InboxMessage.event_id).where(
                inbox.InboxMessage.consumer == self.name, col(inbox.InboxMessage.event_id).in_(ids)))).all())
            fresh = [item.event for item in items if item.meta.event_id not in done]
            held = await self.prefetch(session, fresh) if self.prefetch is not None and fresh else None
            for index, item in enumerate(items):
                if parking.blocks(waiting, item.queue):
                    self._stage_park(session, item, reason="queued behind an earlier parked event of "
                                                           f"{item.queue.describe()}")
                    waiting.add(item.queue)
                    queued.append(item)
                    continue
                if item.meta.event_id in done:
                    self.stats.duplicates += 1
                    continue
                with correlation_scope(item.meta.correlation_id, event_id=item.meta.event_id,
                                       event_type=item.meta.event_type), self._span(item.meta):
                    try:
                        await item.handler(session, item.event, item.meta)
                    except Exception as exc:
                        raise _FailedAt(index) from exc
                done.add(item.meta.event_id)
                applied.append(item)
            del held  # the prefetched rows were needed until the last handler ran
            await inbox.record(session, consumer=self.name,
                               events=[(item.meta.event_id, item.meta.event_type) for item in applied])
        self.stats.applied += len(applied)
        self.stats.parked += len(queued)
        self._has_parked = self._has_parked or bool(queued)
        for item in applied:
            touched.update((item.meta.subject, item.key))
            log.info("event.applied", consumer=self.name, event_id=item.meta.event_id,
                     event_type=item.meta.event_type, correlation_id=item.meta.correlation_id)
        for item in queued:
            self._log_parked(item, "queued behind an earlier parked event")

    async def _apply_alone(self, item: _Item, touched: set[str]) -> None:
        """Apply one event with bounded retries: park it (NotYet, or behind a parked one of its queue), or
        dead-letter it after the last attempt."""
        with correlation_scope(item.meta.correlation_id, event_id=item.meta.event_id,
                               event_type=item.meta.event_type), self._span(item.meta):
            for attempt in range(1, self.max_attempts + 1):
                try:
                    waiting = await self._waiting_queues()
                    if parking.blocks(waiting, item.queue):
                        await self._park(item, reason=f"queued behind an earlier parked event of "
                                                      f"{item.queue.describe()}")
                        return
                    try:
                        if await self._apply_once(item):
                            touched.update((item.meta.subject, item.key))
                    except NotYet as exc:
                        await self._park(item, reason=str(exc), waits_for=exc.waits_for)
                    return
                except Exception as exc:
                    failure = exc
                if attempt == self.max_attempts:
                    await self._dead_letter(item.headers, item.body, item.record, reason=repr(failure),
                                            attempts=attempt)
                    return
                delay = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
                self.stats.retried += 1
                log.warning("event.retry", consumer=self.name, attempt=attempt, of=self.max_attempts,
                            error=repr(failure)[:500], retry_in_s=delay)
                await asyncio.sleep(delay)

    async def _apply_once(self, item: _Item) -> bool:
        """Apply in its own transaction; False when it was applied before."""
        async with self.db.transaction() as session:
            if not await inbox.claim(session, consumer=self.name, event_id=item.meta.event_id,
                                     event_type=item.meta.event_type):
                self.stats.duplicates += 1
                log.info("event.duplicate_ignored", consumer=self.name)
                return False
            await item.handler(session, item.event, item.meta)
        self.stats.applied += 1
        log.info("event.applied", consumer=self.name)
        return True

    # -- parking ------------------------------------------------------------------------------------------

    async def _waiting_queues(self) -> set[parking.Queue]:
        """The queues with parked events. Read only when some may exist: this consumer parked one and has not
        seen its parking empty since, or its partitions were (re)assigned — a replica sharing the database
        may have parked events of the partitions it now reads (the sweeper also looks every few seconds)."""
        if not self._has_parked:
            return set()
        async with self.db.sessions() as session:
            waiting = await parking.waiting_queues(session, consumer=self.name)
        self._has_parked = bool(waiting)
        return waiting

    def partitions_changed(self) -> None:
        """The group gave this consumer partitions (at start or after a rebalance): look at the parking again."""
        self._has_parked = True

    def _stage_park(self, session: AsyncSession, item: _Item, *, reason: str, waits_for: str | None = None) -> None:
        parking.park(session, consumer=self.name, topic=item.topic, key=item.key, event_id=item.meta.event_id,
                     headers=item.headers, body=item.body, reason=reason, waits_for=waits_for)

    async def _park(self, item: _Item, *, reason: str, waits_for: str | None = None) -> None:
        async with self.db.transaction() as session:
            self._stage_park(session, item, reason=reason, waits_for=waits_for)
        self._has_parked = True
        self.stats.parked += 1
        self._log_parked(item, reason)

    def _log_parked(self, item: _Item, reason: str) -> None:
        log.warning("event.parked", consumer=self.name, reason=reason, topic=item.topic, key=item.key,
                    subject=item.meta.subject, event_id=item.meta.event_id, event_type=item.meta.event_type,
                    dead_letter_after_s=self.park_ttl.total_seconds())

    async def _retry_parked(self, touched: set[str]) -> None:
        """After an apply: retry what may now apply. A failure here is the sweeper's to retry, never a reason to
        redeliver the records just applied."""
        try:
            await self._retry_parked_now(touched)
        except Exception as exc:
            log.warning("event.parked_retry_failed", consumer=self.name, error=repr(exc)[:500])

    async def _retry_parked_now(self, touched: set[str] | None) -> None:
        """Apply what was waiting, oldest first; a queue still waiting blocks only what it blocks. With
        `touched` (what was just applied), only the events waiting for one of those subjects, or for nothing
        in particular, are tried; the sweeper (None) tries them all."""
        async with self.db.sessions() as session:
            parked = await parking.oldest_parked(session, consumer=self.name, limit=500)
        self._has_parked = bool(parked)
        still: set[parking.Queue] = set()
        for row in parked:
            queue = row.queue()
            if parking.blocks(still, queue):
                still.add(queue)
                continue
            hint = row.waits_for()
            if touched is not None and hint is not None and hint not in touched:
                still.add(queue)
                continue
            if await self._apply_parked(row):
                if touched is not None:
                    touched.add(queue.subject)
            else:
                still.add(queue)
        self._has_parked = bool(still)

    async def _apply_parked(self, row: parking.ParkedEvent) -> bool:
        """Try one parked event: True when it is gone (applied or dead-lettered), False when it still waits."""
        headers = row.header_dict()
        record = SimpleNamespace(topic=row.topic, key=row.key.encode() or None, partition="parked", offset=row.id)
        expired = datetime.now(UTC) - row.parked_at > self.park_ttl
        try:
            meta = read_meta(headers)
        except MalformedEvent as exc:
            return await self._give_up_parked(row, headers, record, reason=str(exc))
        with correlation_scope(meta.correlation_id, event_id=meta.event_id, event_type=meta.event_type), \
                self._span(meta):
            try:
                handler = self._by_type[meta.event_type]
                event = parse_event(meta, row.body.encode())
                async with self.db.transaction() as session:
                    # Claim the row first: a replica sharing the database that took it already (its delete
                    # committed, or waits on ours) makes this a no-op instead of a second apply.
                    if not await parking.claim(session, row.id):
                        return True
                    if await inbox.claim(session, consumer=self.name, event_id=meta.event_id,
                                         event_type=meta.event_type):
                        await handler(session, event, meta)
                self.stats.unparked += 1
                log.info("event.applied_from_parking", consumer=self.name, waited_s=_age_s(row.parked_at))
                return True
            except NotYet as exc:
                if not expired:
                    return False
                reason = f"still not applicable after {self.park_ttl}: {exc} (parked because: {row.reason})"
            except Exception as exc:
                reason = repr(exc)
            return await self._give_up_parked(row, headers, record, reason=reason)

    async def _give_up_parked(self, row: parking.ParkedEvent, headers: Mapping[str, str], record: Any, *,
                              reason: str) -> bool:
        # Dead-lettered before it is taken out (no transaction held across the broker's answer): two replicas
        # giving up on the same event at once may both dead-letter it; none loses it.
        await self._dead_letter(headers, row.body.encode(), record, reason=reason, attempts=1)
        async with self.db.transaction() as session:
            await parking.claim(session, row.id)
        return True

    async def sweep_forever(self) -> None:
        """Retry parked events now and then (a prerequisite may have come in through another consumer, or
        nothing else arrives), dead-letter those older than the time to live, and say so when some wait."""
        while True:
            await asyncio.sleep(self.sweep_interval_s)
            try:
                await self.sweep()
            except Exception as exc:
                log.warning("event.parked_sweep_failed", consumer=self.name, error=repr(exc))
            raise_if_cancelling()

    async def sweep(self) -> None:
        """One pass of the parked-event sweeper."""
        if not self._has_parked:
            self._has_parked = True
            if not await self._waiting_queues():
                return
        await self._retry_parked_now(None)
        if not self._has_parked or time.monotonic() - self._warned_parked_at < 60:
            return
        self._warned_parked_at = time.monotonic()
        rows = await self.parked()
        if rows:
            log.warning("event.parked_waiting", consumer=self.name, count=len(rows),
                        oldest_age_s=max(r["age_s"] for r in rows), oldest_reason=rows[0]["reason"])

    async def parked(self, limit: int = 200) -> list[dict[str, Any]]:
        """The events waiting in this consumer's parking, oldest first, with their reason and age."""
        async with self.db.sessions() as session:
            rows = await parking.oldest_parked(session, consumer=self.name, limit=limit)
        now = datetime.now(UTC)
        return [{"id": r.id, "topic": r.topic, "key": r.key, "subject": r.queue().subject,
                 "event_id": r.event_id, "event_type": r.header_dict().get("ce_type", ""), "reason": r.reason,
                 "parked_at": r.parked_at.isoformat(), "age_s": round((now - r.parked_at).total_seconds(), 1),
                 "dead_letter_in_s": round(max(0.0, (self.park_ttl - (now - r.parked_at)).total_seconds()), 1)}
                for r in rows]

    # -- dead letters ---------------------------------------------------------------------------------------

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
        self.stats.dead_lettered += 1
        log.error("event.dead_lettered", consumer=self.name, reason=reason, attempts=attempts,
                  event_id=headers.get("ce_id", ""), event_type=headers.get("ce_type", ""))

    # -- fetch tuning -----------------------------------------------------------------------------------------

    def idle_for_s(self) -> float:
        """Seconds since the last batch arrived."""
        return time.monotonic() - self._last_record_at


def _ignore(_: float) -> None:
    return None


def _age_s(when: datetime) -> float:
    return round((datetime.now(UTC) - when).total_seconds(), 3)


async def raw_body(message: StreamMessage[Any]) -> bytes:
    """Leave the body as bytes: FastStream would decode JSON before our handler runs, and a body that is not
    JSON would then fail outside it, be nacked and come back forever instead of reaching the DLQ."""
    body: bytes = message.body
    return body


async def raw_batch(message: StreamMessage[Any]) -> Any:
    """Leave a batch undecoded: the consumer reads each record's headers and bytes itself."""
    return message.raw_message


class _Offsets:
    """The offsets one consumer has applied (each partition's next record), committed to the group at most every
    `every_s` rather than after each batch: a commit is a round trip to the broker between two fetches, and one
    more request the broker answers for every batch of every consumer. What is applied but not yet committed is
    committed when the group takes partitions away, by `commit_applied_forever` (every second) when batches stop
    coming, and at stop; after a crash it comes again and the inbox skips it. Explicit offsets only: a commit
    never covers a record fetched but not yet applied."""

    def __init__(self, *, every_s: float) -> None:
        self.every_s = every_s
        self._kafka: Any = None
        self._applied: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._last = float("-inf")  # never committed: the first batch commits
        self._lock = asyncio.Lock()

    def applied(self, kafka_consumer: Any, records: Sequence[Any]) -> None:
        """The batch's records are applied (or dead-lettered, or skipped): their partitions may move past them."""
        if isinstance(kafka_consumer, AIOKafkaConsumer):  # FastStream's in-memory test broker keeps no offsets
            self._kafka = kafka_consumer
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            if record.offset + 1 > self._applied.get(partition, -1):
                self._applied[partition] = record.offset + 1

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.every_s

    def pending(self) -> dict[TopicPartition, int]:
        return {tp: offset for tp, offset in self._applied.items() if self._committed.get(tp) != offset}

    async def commit(self, only: set[TopicPartition] | None = None) -> None:
        """Commit what is applied and not yet committed (of `only`'s partitions when given)."""
        async with self._lock:
            self._last = time.monotonic()
            pending = {tp: offset for tp, offset in self.pending().items() if only is None or tp in only}
            if not pending or self._kafka is None:
                return
            await self._kafka.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in pending.items()})
            self._committed.update(pending)

    async def commit_or_warn(self, consumer: str, only: set[TopicPartition] | None = None) -> None:
        """`commit`, a failure logged: the records come again and the inbox skips them."""
        try:
            await self.commit(only)
        except Exception as exc:
            log.warning("event.offsets_commit_failed", consumer=consumer, error=repr(exc)[:300])

    def forget(self, partitions: set[TopicPartition]) -> None:
        """Partitions the group took away: another member reads them from what was committed."""
        for partition in partitions:
            self._applied.pop(partition, None)
            self._committed.pop(partition, None)


class _PartitionsListener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Commits what was applied of the partitions the group takes away; tells the consumer when it gets some."""

    def __init__(self, consumer: EventConsumer, offsets: _Offsets) -> None:
        self._consumer = consumer
        self._offsets = offsets

    async def on_partitions_revoked(self, revoked: Any) -> None:
        partitions = set(revoked)
        await self._offsets.commit_or_warn(self._consumer.name, only=partitions)
        self._offsets.forget(partitions)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self._consumer.partitions_changed()


_SUBSCRIBED: weakref.WeakKeyDictionary[KafkaBroker, list[tuple[EventConsumer, Any]]] = weakref.WeakKeyDictionary()


def subscribe(consumer: EventConsumer, settings: Settings, *, description: str = "") -> None:
    """Register the consumer on its broker: one batch subscriber for all its topics (one slow group join),
    a group per service, offsets committed only after the effect (a failed batch is sought back)."""
    handled = ", ".join(sorted(cls.event_name for cls in consumer.handlers))
    topics = ", ".join(consumer.topics)
    consumer.park_ttl = timedelta(seconds=settings.consumer_park_ttl_s)
    offsets = consumer.offsets = _Offsets(every_s=settings.consumer_commit_interval_ms / 1000)
    subscriber = consumer.broker.subscriber(
        *consumer.topics,
        group_id=f"hangviet.{consumer.name}",
        ack_policy=AckPolicy.MANUAL,  # on_batch: offsets after the effect (`_Offsets`), sought back on failure
        auto_offset_reset="earliest",
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
        # Range assignment gives a replica the same partition numbers of every topic, and events of one fair
        # have the same key (so the same partition number) on every topic: one replica sees all of a fair's
        # events, and a booths.assigned does not wait on one replica for the approval another one applied.
        partition_assignment_strategy=(RangePartitionAssignor,),
        listener=_PartitionsListener(consumer, offsets),
        batch=True,
        max_records=settings.consumer_batch_max_records,
        batch_timeout_ms=settings.consumer_batch_timeout_ms,
        decoder=raw_batch,
        title=f"{consumer.name}:consume",
        description=description or f"{consumer.name} applies {handled} from {topics}.",
    )

    max_records, wait_ms = settings.consumer_batch_max_records, settings.consumer_batch_timeout_ms
    busy_wait_ms = settings.kafka_fetch_max_wait_ms

    async def next_batch(kafka_consumer: Any) -> tuple[Any, ...]:
        # FastStream's batch subscriber sleeps for its whole batch timeout after an empty poll, so a record
        # arriving then waits up to that long. getmany already returns as soon as records arrive and waits
        # up to the timeout otherwise: without the extra sleep the wait is cheap and costs no latency.
        batches = await kafka_consumer.getmany(timeout_ms=wait_ms, max_records=max_records)
        if batches:
            # Records after an idle spell: back to short fetches at once, not at the next tuning tick (up to
            # half a second later, while every fetch still waited the idle wait: the first half second of a
            # burst of approvals after a quiet spell was the p99 of a whole 50/s phase).
            set_fetch_wait(kafka_consumer, busy_wait_ms)
        if len(batches) < 2:
            return tuple(chain.from_iterable(batches.values()))
        # Partitions interleaved by the time each record was produced, each partition's own order kept (a merge
        # only ever takes the head of a partition): an event and the one it caused on another topic (an approval
        # and its booths) come in that order when one fetch brings both, instead of the effect first — parked,
        # its batch rolled back and split.
        return tuple(heapq.merge(*batches.values(), key=_produced_at))

    subscriber.get_msg = next_batch  # type: ignore[method-assign,assignment]

    # The handler takes the undecoded batch only: asking FastStream for the message (a `KafkaMessage` parameter)
    # resolved it through a synchronous dependency, run in a worker thread for every batch, a thread hand-off
    # per batch that cost a one-event batch about a tenth of its CPU. The aiokafka consumer is the subscriber's.
    @subscriber
    async def on_batch(records: Any) -> None:
        batch = records if isinstance(records, (list, tuple)) else [records]
        kafka_consumer = getattr(subscriber, "consumer", None)
        try:
            await consumer.handle_batch(batch)
        except BaseException:
            rewind(kafka_consumer, batch)  # back to each partition's first record of the batch: it comes again
            raise
        offsets.applied(kafka_consumer, batch)
        if offsets.due():
            await offsets.commit_or_warn(consumer.name)

    _SUBSCRIBED.setdefault(consumer.broker, []).append((consumer, subscriber))


def rewind(kafka_consumer: Any, records: Sequence[Any]) -> None:
    """Seek each partition of a batch back to its earliest record (as FastStream's `nack` of a batch does), so
    the next fetch brings the batch again; FastStream's in-memory test broker has no consumer to seek."""
    if not isinstance(kafka_consumer, AIOKafkaConsumer):
        return
    earliest: dict[TopicPartition, int] = {}
    for record in records:
        partition = TopicPartition(record.topic, record.partition)
        earliest[partition] = min(record.offset, earliest.get(partition, record.offset))
    for partition, offset in earliest.items():
        kafka_consumer.seek(partition, offset)


def _produced_at(record: Any) -> int:
    timestamp = getattr(record, "timestamp", None)
    return timestamp if isinstance(timestamp, int) else 0


def consumers_of(broker: KafkaBroker) -> list[EventConsumer]:
    """The consumers subscribed on `broker` (the runtime runs their sweepers and fetch tuning)."""
    return [consumer for consumer, _ in _SUBSCRIBED.get(broker, [])]


def subscriptions_of(broker: KafkaBroker) -> list[tuple[EventConsumer, Any]]:
    """The consumers subscribed on `broker` with their FastStream subscribers (metrics read the lag there)."""
    return list(_SUBSCRIBED.get(broker, []))


async def tune_fetch_forever(broker: KafkaBroker, *, busy_wait_ms: int, idle_wait_ms: int,
                             warm_wait_ms: int | None = None, warm_for_s: float = 0.0,
                             idle_after_s: float = 2.0, every_s: float = 0.5) -> None:
    """Long-poll the broker while idle, short-poll while events flow (see `fetch_wait_ms`).

    A consumer's fetch wait is both its latency floor and its idle cost (each fetch is a round trip to the
    broker: at 10 ms, about 7 % of a core per consumer on the embedded broker). aiokafka reads the wait from its
    fetcher for every request but offers no setter, hence the private attribute (checked, and left alone when it
    is missing).
    """
    pairs = _SUBSCRIBED.get(broker, [])
    while True:
        await asyncio.sleep(every_s)
        for consumer, subscriber in pairs:
            wanted = fetch_wait_ms(consumer.idle_for_s(), busy_wait_ms=busy_wait_ms, idle_wait_ms=idle_wait_ms,
                                   warm_wait_ms=warm_wait_ms, warm_for_s=warm_for_s, idle_after_s=idle_after_s)
            set_fetch_wait(getattr(subscriber, "consumer", None), wanted)
        raise_if_cancelling()


def fetch_wait_ms(idle_for_s: float, *, busy_wait_ms: int, idle_wait_ms: int, warm_wait_ms: int | None = None,
                  warm_for_s: float = 0.0, idle_after_s: float = 2.0) -> int:
    """How long a consumer's fetches wait after `idle_for_s` seconds without records: `busy_wait_ms` while
    records come (up to `idle_after_s` after the last), then `warm_wait_ms` for `warm_for_s` (the next spell of
    events is likely soon: its first record waits out at most that), then `idle_wait_ms`. The first record brings
    the busy wait back at once (`set_fetch_wait` from the poll that brought it)."""
    if idle_for_s <= idle_after_s:
        return busy_wait_ms
    if warm_wait_ms is not None and idle_for_s <= idle_after_s + warm_for_s:
        return warm_wait_ms
    return idle_wait_ms


def set_fetch_wait(kafka_consumer: Any, wait_ms: int) -> None:
    """Set how long the consumer's next fetches wait (aiokafka reads it from its fetcher for every request but
    offers no setter; left alone when the attribute is missing)."""
    fetcher = getattr(kafka_consumer, "_fetcher", None)
    if fetcher is not None and getattr(fetcher, "_fetch_max_wait_ms", wait_ms) != wait_ms:
        fetcher._fetch_max_wait_ms = wait_ms


async def commit_applied_forever(broker: KafkaBroker, *, every_s: float) -> None:
    """Commit each consumer's applied offsets that its batches left uncommitted (the last ones before a pause)."""
    while True:
        await asyncio.sleep(every_s)
        await commit_applied(broker)
        raise_if_cancelling()


async def commit_applied(broker: KafkaBroker) -> None:
    """Commit every consumer's applied offsets now (a failure is logged: the records come again, the inbox skips
    them)."""
    for consumer in consumers_of(broker):
        if consumer.offsets is not None and consumer.offsets.pending():
            await consumer.offsets.commit_or_warn(consumer.name)


def document_publisher(broker: KafkaBroker, topic: str, events: list[type[Event]]) -> None:
    """Declare what a service emits on its topic, for the AsyncAPI document (the relay publishes): the
    payload schema is the union of the event contracts, each with its docstring."""
    names = ", ".join(cls.event_name for cls in events)
    schema: Any = Union[tuple(events)] if len(events) > 1 else events[0]  # noqa: UP007 - runtime union of classes
    broker.publisher(topic, title=f"{topic}:publish", schema=schema,
                     description=f"Emits {names} (CloudEvents binary mode; the type is in the ce_type header).")
