"""The live stream: Server-Sent Events of the events a filter matches, read from the event store in store
order, so a client resumes from `Last-Event-ID` (the CloudEvents id it saw last) without losing any.

Store positions are assigned when a row is inserted, and concurrent consumer transactions may commit out
of that order (PostgreSQL). A stream therefore never passes a missing position at once: it waits for it
up to a gap timeout (the row may still be committing), and only then passes it as rolled back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

from sse_starlette import ServerSentEvent

from services.subscriptions.domain import matching
from services.subscriptions.domain.stream import Cursor, advance
from services.subscriptions.models import StoredEvent
from services.subscriptions.service import eventstore
from shared.db import Database

BATCH = 200
RETRY_MS = 3000
T = TypeVar("T")


class Signal:
    """Wakes every waiting stream when the consumer has committed a new event (same process)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """New events are stored: wake the waiters (later waiters wait for the next notification)."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    def snapshot(self) -> asyncio.Event:
        """Take before reading; wait on it after, so a commit in between is not missed."""
        return self._event

    @staticmethod
    async def wait(snapshot: asyncio.Event, timeout_s: float) -> None:
        """Until notified or the timeout."""
        try:
            await asyncio.wait_for(snapshot.wait(), timeout=timeout_s)
        except TimeoutError:
            pass


def to_sse(row: StoredEvent) -> ServerSentEvent:
    """One stored event as an SSE message: id = CloudEvents id, event = its name, data = the CloudEvent."""
    return ServerSentEvent(data=row.body, id=row.id, event=row.event_type)


async def _shielded(read: Coroutine[Any, Any, T]) -> T:
    """A read that runs to its end even when the client leaves meanwhile. The stream is cancelled through
    anyio, which cancels every later await too: a read cut short could not close its session, and on SQLite
    (every session begins IMMEDIATE) the write lock it holds would stop every writer until collected."""
    return await asyncio.shield(asyncio.ensure_future(read))


async def events(db: Database, signal: Signal, wanted: matching.Filter, *, position: int, poll_s: float,
                 gap_timeout_s: float, alive: Callable[[], Coroutine[Any, Any, bool]] | None = None,
                 ) -> AsyncIterator[ServerSentEvent]:
    """The matching events after `position`, then each new one as it is stored, until the client leaves
    or `alive` says no more (a subscription's stream ends when the subscription is deactivated)."""
    yield ServerSentEvent(comment="hangviet", retry=RETRY_MS)
    cursor = Cursor(position)
    while True:
        snapshot = signal.snapshot()
        rows = await _shielded(eventstore.read_after(db, cursor.position, limit=BATCH))
        # Asked after the read: whatever was stored after a deactivation is read before it is seen, never sent.
        if alive is not None and not await _shielded(alive()):
            return
        passed, cursor = advance(cursor, [r.seq or 0 for r in rows], now=time.monotonic(),
                                 gap_timeout_s=gap_timeout_s)
        for row in rows[:passed]:
            if matching.matches(wanted, eventstore.facts(row)):
                yield to_sse(row)
        if passed == BATCH:
            continue  # more is stored already
        wait_s = poll_s if cursor.gap_since is None else min(poll_s, max(gap_timeout_s / 4, 0.05))
        await Signal.wait(snapshot, wait_s)
