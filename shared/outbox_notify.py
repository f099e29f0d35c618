"""Relays of replicas sharing a PostgreSQL database, woken by each other's commits (LISTEN/NOTIFY).

Replicas of a service share its database and take turns publishing its outbox through a lease
(`shared.outbox.OutboxRelay`): one relay publishes what every replica commits. A commit wakes the relay of its own
process at once, but the lease holder in another process saw it only at its next poll (every 0.5 s, every 2 s after
ten idle ones): with two replicas of booths and billing, the sagas whose steps a non-holder committed waited for
that poll (bench.replicas: two replicas at 0.61× one replica's sagas/s, p50 1.5 s against 1.0 s).

A transaction that stages events therefore also runs NOTIFY, which PostgreSQL delivers when (and only if) it
commits, to every connection LISTENing on the same database. Each relay listens on a connection of its own, outside
the pool, and wakes when it holds the lease. A lost listening connection is opened again after a pause; meanwhile
the relay polls as before, so a notification is a shortcut, never the only way an event goes out. SQLite has no
replicas, and nothing here runs on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

log = structlog.get_logger(__name__)

CHANNEL = "hangviet_outbox"  # per database: replicas of one service share it, other services' databases do not
_NOTIFY = text(f"NOTIFY {CHANNEL}")


@sa_event.listens_for(Session, "before_commit")
def _notify_replicas(session: Session) -> None:
    """In a PostgreSQL transaction that staged outbox events: NOTIFY, delivered with its commit."""
    if session.info.get("outbox_pending") and session.get_bind().dialect.name == "postgresql":
        session.execute(_NOTIFY)


def listen_dsn(url: str) -> str:
    """The libpq DSN asyncpg connects with, from the service's SQLAlchemy URL (postgresql+asyncpg://…)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen_forever(url: str, on_notify: Callable[[], None], *, retry_s: float = 5.0,
                         on_listening: Callable[[], None] = lambda: None) -> None:
    """LISTEN on the database at `url` and call `on_notify` for every notification, until cancelled; a connection
    that fails or is lost is opened again `retry_s` later (logged). `on_listening` is called each time the
    connection listens."""
    import asyncpg  # only a service on PostgreSQL needs it: an SQLite one never gets here

    dsn = listen_dsn(url)
    while True:
        try:
            await _listen_until_lost(asyncpg, dsn, on_notify, on_listening)
            log.warning("outbox.listen_lost", retry_in_s=retry_s)
        except (OSError, asyncpg.PostgresError) as exc:  # OSError: refused, reset, timed out
            log.warning("outbox.listen_failed", error=repr(exc), retry_in_s=retry_s)
        await asyncio.sleep(retry_s)


async def _listen_until_lost(asyncpg: Any, dsn: str, on_notify: Callable[[], None],
                             on_listening: Callable[[], None]) -> None:
    connection = await asyncpg.connect(dsn)
    lost = asyncio.Event()
    try:
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(CHANNEL, lambda *_: on_notify())
        on_listening()
        await lost.wait()
    finally:
        connection.terminate()  # nothing to finish on a connection that only listens
