"""Transactional outbox: events are rows written in the use case's transaction; a relay publishes them.

A crash between commit and publish loses nothing (the row stays unsent and the relay retries);
a crash between publish and marking sent publishes twice, which consumers' inboxes absorb.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import structlog
from sqlalchemy import Column, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, select

from shared.contracts.base import Event
from shared.envelope import event_headers
from shared.logs import current_correlation_id

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

    def header_dict(self) -> dict[str, str]:
        """The stored headers."""
        value: dict[str, str] = json.loads(self.headers)
        return value


def add_event(session: AsyncSession, event: Event, *, source: str) -> OutboxMessage:
    """Stage `event` in the current transaction; it is published only if the transaction commits."""
    headers = event_headers(event, source=source, correlation_id=current_correlation_id())
    row = OutboxMessage(
        event_id=headers["ce_id"],
        topic=event.topic,
        key=event.key(),
        event_type=headers["ce_type"],
        headers=json.dumps(headers),
        payload=event.model_dump_json(),
    )
    session.add(row)
    session.info["outbox_pending"] = True
    log.info("event.staged", event_type=event.event_name, event_id=row.event_id, key=row.key)
    return row


Publish = Callable[[OutboxMessage], Awaitable[Awaitable[object] | None]]
"""Sends one row; may return a confirmation to await (pipelined sends), or None once confirmed."""


class OutboxPublishError(RuntimeError):
    """The broker refused or did not confirm a row; it stays unsent and is retried."""


class OutboxRelay:
    """Publishes unsent outbox rows in order, marks them sent, retries the failures with backoff."""

    def __init__(self, sessions: Callable[[], AsyncSession], publish: Publish, *,
                 poll_interval_s: float = 0.5, batch_size: int = 200, max_backoff_s: float = 5.0) -> None:
        self._sessions = sessions
        self._publish = publish
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._max_backoff_s = max_backoff_s
        self._wake = asyncio.Event()
        self._failures = 0
        self._error: str | None = None
        self._stopping = False

    def stop(self) -> None:
        """Finish the pass in progress, then leave the loop (never cancelled mid-transaction: on SQLite a
        cancelled commit can leave the write lock held)."""
        self._stopping = True
        self._wake.set()

    def wake(self) -> None:
        """Publish now rather than at the next poll (called after a commit that staged events)."""
        self._wake.set()

    async def run(self) -> None:
        """Loop until stopped (or cancelled)."""
        while not self._stopping:
            try:
                await self.flush()
                self._failures = 0
                delay = self._poll_interval_s
            except Exception as exc:
                self._failures += 1
                delay = min(self._max_backoff_s, self._poll_interval_s * 2**self._failures)
                log.warning("outbox.relay_failed", error=str(exc), retry_in_s=delay)
            if self._stopping:
                return
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass
            self._wake.clear()

    async def flush(self) -> int:
        """Publish every unsent row, oldest first; stop at the first failure so order is kept."""
        published = 0
        while True:
            async with self._sessions() as session:
                rows = (await session.exec(  # type: ignore[attr-defined]
                    select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))  # type: ignore[union-attr]
                    .order_by(OutboxMessage.id).limit(self._batch_size)  # type: ignore[arg-type]
                )).all()
                if not rows:
                    return published
                confirmed = await self._send_batch(rows)
                now = datetime.now(UTC)
                for row in rows[:confirmed]:
                    row.sent_at = now
                    row.attempts += 1
                published += confirmed
                if confirmed < len(rows):
                    failed = rows[confirmed]
                    failed.attempts += 1
                    failed.last_error = self._error or "unknown"
                await session.commit()
                if confirmed < len(rows):
                    raise OutboxPublishError(self._error or "publish failed")

    async def _send_batch(self, rows: Sequence[OutboxMessage]) -> int:
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
