"""What one service process holds: settings, database, broker, Redis and the outbox relay.

Built without connecting anything; the app's lifespan starts and stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlmodel import SQLModel

from shared.db import Database
from shared.messaging import KERNEL_TABLES, consumers_of, make_broker, make_outbox_publisher, tune_fetch_forever
from shared.outbox import OutboxRelay
from shared.settings import Settings


def make_redis(url: str) -> aioredis.Redis:
    """A Redis client; it connects on first use."""
    return aioredis.from_url(url, decode_responses=True)


@dataclass
class ServiceRuntime:
    """The service's connections and background tasks."""

    settings: Settings
    db: Database
    broker: KafkaBroker
    redis: aioredis.Redis
    relay: OutboxRelay
    tables: Sequence[type[SQLModel]] = ()
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _relay_task: asyncio.Task[None] | None = None

    @classmethod
    def build(cls, settings: Settings, tables: Sequence[type[SQLModel]]) -> ServiceRuntime:
        """Wire the parts; nothing connects yet."""
        db = Database(settings.resolved_database_url())
        broker = make_broker(settings)
        relay = OutboxRelay(db, make_outbox_publisher(broker), poll_interval_s=settings.outbox_poll_interval_s)
        db.on_events_committed(relay.wake)
        return cls(settings=settings, db=db, broker=broker, redis=make_redis(settings.redis_url), relay=relay,
                   tables=[*tables, *KERNEL_TABLES])

    async def start(self) -> None:
        """Create tables, connect the broker (which starts the consumers) and start the relay."""
        await self.db.create_tables(self.tables)
        await self.broker.start()
        self._relay_task = asyncio.create_task(self.relay.run())
        for consumer in consumers_of(self.broker):
            self.spawn(consumer.sweep_forever())
        if consumers_of(self.broker) and self.settings.kafka_fetch_idle_wait_ms > self.settings.kafka_fetch_max_wait_ms:
            self.spawn(tune_fetch_forever(self.broker, busy_wait_ms=self.settings.kafka_fetch_max_wait_ms,
                                          idle_wait_ms=self.settings.kafka_fetch_idle_wait_ms))

    def spawn(self, coro: object) -> None:
        """Run a background loop for the life of the service."""
        self._tasks.append(asyncio.create_task(coro))  # type: ignore[arg-type]

    async def stop(self) -> None:
        """Stop the relay gracefully and the other loops, then the broker, then close the pools."""
        if self._relay_task is not None:
            self.relay.stop()
            try:
                await asyncio.wait_for(asyncio.shield(self._relay_task), timeout=10)
            except (TimeoutError, Exception):  # a relay stuck on a dead broker is cancelled after 10 s
                self._relay_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._relay_task
            self._relay_task = None
            with contextlib.suppress(Exception):
                await self.relay.release()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.broker.stop()
        await self.redis.aclose()
        await self.db.dispose()

    async def readiness(self) -> dict[str, str]:
        """Whether the database, the broker and Redis answer."""
        checks: dict[str, str] = {}
        try:
            async with self.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {exc}"
        try:
            checks["broker"] = "ok" if await self.broker.ping(timeout=3) else "error: no answer"
        except Exception as exc:
            checks["broker"] = f"error: {exc}"
        try:
            checks["redis"] = "ok" if await self.redis.ping() else "error: no answer"
        except Exception as exc:
            checks["redis"] = f"error: {exc}"
        return checks
