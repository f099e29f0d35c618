"""Transactional outbox: events are rows written in the use case's transaction; a relay publishes them.

A crash between commit and publish loses nothing (the row stays unsent and the relay retries);
a crash between publish and marking sent publishes twice, which consumers' inboxes absorb.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Column, Text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col, func, select

from shared.contracts.base import Event
from shared.db import Database, utc_column
from shared.envelope import event_headers
from shared.logs import current_correlation_id
from shared.outbox_notify import listen_forever
from shared.staged import stage_row
from shared.tracing import current_traceparent

log = structlog.get_logger()


class OutboxMessage(SQLModel, table=True):
    """One event waiting to be published (or published, with `sent_at`)."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(index=True, unique=True, max_length=64)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    event_type: str = Field(max_length=200)
    headers: str = Field(sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    sent_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The W3C trace context of the work that staged the event: the relay sends it as `ce_traceparent`.
    traceparent: str | None = Field(default=None, max_length=64)

    def header_dict(self) -> dict[str, str]:
        """The stored headers."""
        value: dict[str, str] = json.loads(self.headers)
        return value


_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]  # rows staged as plain dicts (shared.staged)


@dataclass(frozen=True, slots=True)
class PendingRow:
    """An unsent outbox row as the relay reads it (Core columns, no ORM object: a pass re-reads the rows it has
    published but not yet marked sent)."""

    id: int
    event_id: str
    topic: str
    key: str
    event_type: str
    headers: str
    payload: str
    traceparent: str | None

    def header_dict(self) -> dict[str, str]:
        """The stored headers."""
        value: dict[str, str] = json.loads(self.headers)
        return value


_PENDING = select(*(getattr(OutboxMessage, name) for name in PendingRow.__slots__)).where(
    col(OutboxMessage.sent_at).is_(None)).order_by(col(OutboxMessage.id))


@dataclass(frozen=True, slots=True)
class StagedEvent:
    """An event staged in a transaction: its outbox row is written at the commit, with the transaction."""

    event_id: str
    topic: str
    key: str
    event_type: str
    traceparent: str | None


def add_event(session: AsyncSession | Session, event: Event, *, source: str) -> StagedEvent:
    """Stage `event` in the current transaction; it is published only if the transaction commits.

    The row is a plain dict, written with the transaction's other changes by one Core INSERT just before it
    commits (`shared.staged`): an ORM object per event cost a transaction of one event about 170 µs more
    (construction, the unit of work's flush)."""
    headers = event_headers(event, source=source, correlation_id=current_correlation_id())
    staged = StagedEvent(event_id=headers["ce_id"], topic=event.topic, key=event.key(), event_type=headers["ce_type"],
                         traceparent=current_traceparent())
    stage_row(session, _OUTBOX, {
        "event_id": staged.event_id, "topic": staged.topic, "key": staged.key, "event_type": staged.event_type,
        "headers": json.dumps(headers), "payload": event.model_dump_json(), "traceparent": staged.traceparent,
        "created_at": datetime.now(UTC), "attempts": 0})
    session.info["outbox_pending"] = True
    log.info("event.staged", event_type=event.event_name, event_id=staged.event_id, key=staged.key)
    return staged


async def outbox_backlog(db: Database) -> dict[str, Any]:
    """How many rows wait to be published, and how old the oldest is (seconds)."""
    async with db.sessions() as session:
        count, oldest = (await session.exec(select(func.count(), func.min(OutboxMessage.created_at))
                                            .where(col(OutboxMessage.sent_at).is_(None)))).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    age = round((datetime.now(UTC) - oldest).total_seconds(), 1) if oldest is not None else 0.0
    return {"unsent": int(count), "oldest_unsent_age_s": age}


Publish = Callable[[PendingRow], Awaitable[Awaitable[object] | None]]
"""Sends one row; may return a confirmation to await (pipelined sends), or None once confirmed."""


class OutboxPublishError(RuntimeError):
    """The broker refused or did not confirm a row; it stays unsent and is retried."""


class OutboxLease(SQLModel, table=True):
    """Which relay of a service's database publishes now (replicas: one at a time, so a key's order holds)."""

    __tablename__ = "outbox_lease"

    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=64)
    expires_at: datetime = Field(sa_column=utc_column())


class OutboxRelay:
    """Publishes unsent outbox rows in order, marks them sent, retries the failures with backoff.

    A pass reads a batch in a read session and lets it go, publishes (pipelined, acks=all), then marks the
    confirmed rows sent in one short write transaction: no database session is held while the broker is
    waited for, so a slow broker never holds SQLite's write lock. Replicas sharing the database take turns
    through a lease row (renewed while publishing, taken over when it expires); a row published twice by a
    relay that lost its lease mid-pass is absorbed by the consumers' inboxes.
    """

    def __init__(self, db: Database, publish: Publish, *, poll_interval_s: float = 0.5, batch_size: int = 500,
                 max_backoff_s: float = 5.0, lease_s: float = 10.0, mark_every_s: float = 0.1) -> None:
        self._db = db
        self._publish = publish
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._max_backoff_s = max_backoff_s
        self._lease_s = lease_s
        self._holder = uuid.uuid4().hex
        self._lease_until = 0.0
        self._other_holds_until = 0.0  # another relay held the lease when last asked: not asked again before
        self._wake = asyncio.Event()
        self.listening = asyncio.Event()  # set once it listens for the commits of replicas (PostgreSQL)
        self._failures = 0
        self._error: str | None = None
        self._stopping = False
        self.published = 0
        self._confirmed: set[int] = set()  # published and confirmed, not yet seen marked by a read
        self._to_mark: list[int] = []
        self._marked: list[int] = []  # marked sent; forgotten from _confirmed by the next read that starts after
        self._marking: asyncio.Task[None] | None = None
        # Marks wait up to this long to gather: at 50 sagas/s a pass publishes one row, and a write transaction
        # per row to mark it cost more than the pass. A crash before the mark publishes the rows again, which the
        # inboxes absorb; `_wait_marked` (a caller waiting, the stop) does not wait for the gathering.
        self._mark_every_s = mark_every_s
        self._last_mark = float("-inf")
        self._mark_now = asyncio.Event()
        self._idle_passes = 0

    def stop(self) -> None:
        """Finish the pass in progress, then leave the loop (never cancelled mid-transaction: on SQLite a
        cancelled commit can leave the write lock held)."""
        self._stopping = True
        self._wake.set()

    def wake(self) -> None:
        """Publish now rather than at the next poll (called after a commit that staged events)."""
        self._wake.set()

    async def run(self) -> None:
        """Loop until stopped (or cancelled). Polls every `poll_interval_s` while there is work, or while a
        replica holds the lease (it may be the one to publish what this process committed); after ten empty
        polls it polls four times slower (a commit's wake-up still publishes at once)."""
        # Replicas on PostgreSQL: a commit of another process wakes this relay when it holds the lease.
        listening = None if self._db.is_sqlite else asyncio.create_task(
            listen_forever(self._db.url, self._woken_by_a_replica, on_listening=self.listening.set))
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    published = await self.flush(wait_marked=False)
                    self._failures = 0
                    self._idle_passes = 0 if published or not self._lease_until else self._idle_passes + 1
                    delay = self._poll_interval_s * (4 if self._idle_passes > 10 else 1)
                except Exception as exc:
                    self._failures += 1
                    delay = min(self._max_backoff_s, self._poll_interval_s * 2**self._failures)
                    log.warning("outbox.relay_failed", error=str(exc), retry_in_s=delay, failures=self._failures)
                if self._stopping:
                    return
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                except TimeoutError:
                    pass
        finally:
            if listening is not None:
                listening.cancel()
                await asyncio.gather(listening, return_exceptions=True)
            await self._wait_marked()

    def _woken_by_a_replica(self) -> None:
        """A process sharing the database committed events (shared/outbox_notify.py): publish them now if this
        relay holds the lease; a relay that does not would only find the lease taken."""
        if self._lease_until:
            self._wake.set()

    async def flush(self, *, wait_marked: bool = True) -> int:
        """Publish every unsent row, oldest first; stop at the first failure so order is kept.

        Confirmed rows are marked sent by a background task, so the next batch is published without waiting
        for the write lock (on SQLite, behind every queued API write); rows confirmed but not yet marked are
        not read again. `wait_marked` waits for the marks before returning."""
        published = 0
        try:
            while True:
                if not await self._hold_lease():
                    return published
                # Rows marked before this read begins are seen as sent by it; one marked while it runs may
                # still look unsent in its snapshot, so only the former leave the confirmed set (after the
                # read) — forgetting a row sooner would publish it twice.
                forget, self._marked = self._marked, []
                async with self._db.sessions() as session:
                    fetched = [PendingRow(*row) for row in (await session.exec(
                        _PENDING.limit(self._batch_size + len(self._confirmed)))).all()]
                rows = [row for row in fetched if row.id not in self._confirmed][:self._batch_size]
                self._confirmed.difference_update(forget)
                if not rows:
                    return published
                confirmed = await self._send_batch(rows)
                self._confirmed.update(row.id for row in rows[:confirmed] if row.id is not None)
                self._to_mark.extend(row.id for row in rows[:confirmed] if row.id is not None)
                self._start_marking()
                published += confirmed
                self.published += confirmed
                if confirmed < len(rows):
                    await self._mark_failure(rows[confirmed])
                    raise OutboxPublishError(self._error or "publish failed")
                if len(rows) < self._batch_size:
                    return published
        finally:
            if wait_marked:
                await self._wait_marked()

    def _start_marking(self) -> None:
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._mark_pending())

    async def _wait_marked(self) -> None:
        """Wait until every confirmed row is marked sent (now: the marks stop gathering)."""
        self._mark_now.set()
        try:
            while self._marking is not None and not self._marking.done():
                await asyncio.shield(self._marking)
            if self._to_mark:  # a mark that failed: try once more now
                await self._mark_pending()
        finally:
            self._mark_now.clear()

    async def _mark_pending(self) -> None:
        """Mark the confirmed rows sent, as many as have gathered, in one short transaction each round. A row
        whose mark is lost (a crash) is published again later: the inboxes absorb it."""
        while self._to_mark:
            gathering = self._last_mark + self._mark_every_s - time.monotonic()
            if gathering > 0 and not self._mark_now.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._mark_now.wait(), timeout=gathering)
            self._last_mark = time.monotonic()
            ids, self._to_mark = self._to_mark, []
            try:
                async with self._db.transaction() as session:
                    await session.exec(update(OutboxMessage).where(col(OutboxMessage.id).in_(ids))
                                       .values(sent_at=datetime.now(UTC), attempts=OutboxMessage.attempts + 1))
            except Exception as exc:
                self._to_mark = ids + self._to_mark
                log.warning("outbox.mark_failed", rows=len(ids), error=str(exc)[:500])
                return
            self._marked.extend(ids)

    async def _mark_failure(self, row: PendingRow) -> None:
        async with self._db.transaction() as session:
            await session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == row.id)
                               .values(attempts=OutboxMessage.attempts + 1, last_error=self._error or "unknown"))

    async def _hold_lease(self) -> bool:
        """Whether this relay may publish now: renews its lease when half of it is gone, or takes it over."""
        if time.monotonic() < self._lease_until - self._lease_s / 2:
            return True
        if time.monotonic() < self._other_holds_until:
            return False
        now = datetime.now(UTC)
        try:
            async with self._db.transaction() as session:
                # Locked (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises): two relays finding it expired
                # at once must not both take it.
                lease = (await session.exec(select(OutboxLease).where(OutboxLease.name == "relay")
                                            .with_for_update().execution_options(populate_existing=True))).first()
                if lease is not None and lease.holder != self._holder and lease.expires_at > now:
                    # Another replica holds it and publishes what this one commits (woken by NOTIFY on
                    # PostgreSQL): not asked again for a poll interval. Each commit here wakes this relay, and a
                    # locking read of the lease per commit cost both replicas and the database.
                    self._lease_until = 0.0
                    self._other_holds_until = time.monotonic() + min(
                        self._poll_interval_s, (lease.expires_at - now).total_seconds())
                    return False
                if lease is None:
                    lease = OutboxLease(name="relay", holder=self._holder, expires_at=now)
                if lease.holder != self._holder:
                    log.info("outbox.lease_taken", previous=lease.holder)
                lease.holder = self._holder
                lease.expires_at = now + timedelta(seconds=self._lease_s)
                session.add(lease)
        except IntegrityError:  # another relay created the first lease row at the same moment: it holds it
            self._lease_until = 0.0
            return False
        self._lease_until = time.monotonic() + self._lease_s
        return True

    async def release(self) -> None:
        """Give the lease up (a clean stop), so a replica takes over at once."""
        if not self._lease_until:
            return
        async with self._db.transaction() as session:
            lease = await session.get(OutboxLease, "relay")
            if lease is not None and lease.holder == self._holder:
                await session.delete(lease)
        self._lease_until = 0.0

    async def _send_batch(self, rows: Sequence[PendingRow]) -> int:
        """Send rows in order; return how many were confirmed before the first failure."""
        self._error = None
        pending: list[Awaitable[object] | None] = []
        try:
            for row in rows:
                pending.append(await self._publish(row))
        except Exception as exc:
            self._error = str(exc)[:2000]
        for index, confirmation in enumerate(pending):
            if confirmation is None:
                continue
            try:
                await confirmation
            except Exception as exc:
                self._error = str(exc)[:2000]
                return index
        return len(pending)
