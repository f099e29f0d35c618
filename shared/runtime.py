"""What one service process holds: settings, database, broker, Redis and the outbox relay.

Built without connecting anything; the app's lifespan starts and stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlmodel import SQLModel

from shared.db import Database
from shared.messaging import (
    KERNEL_TABLES,
    commit_applied,
    commit_applied_forever,
    consumers_of,
    make_broker,
    make_outbox_publisher,
    tune_fetch_forever,
)
from shared.migrations import History, Outcome, SchemaMismatch, SchemaNotCurrent, prepare
from shared.outbox import OutboxRelay
from shared.replay import replay_outbox
from shared.settings import Settings
from shared.tasks import stop_tasks

if TYPE_CHECKING:
    import redis.asyncio as aioredis

READINESS_TIMEOUT_S = 3.0
log = structlog.get_logger()


def make_redis(url: str) -> aioredis.Redis:
    """A Redis client; it connects on first use. redis-py (8 MiB) is imported here: only by a service that uses it."""
    import redis.asyncio as aioredis

    return aioredis.from_url(url, decode_responses=True)


@dataclass
class ServiceRuntime:
    """The service's connections and background tasks."""

    settings: Settings
    db: Database
    broker: KafkaBroker
    relay: OutboxRelay
    tables: Sequence[type[SQLModel]] = ()
    # What /ready checks: only what the service uses (a Redis stall must not fail a service without Redis).
    dependencies: frozenset[str] = frozenset({"database", "broker"})
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _relay_task: asyncio.Task[None] | None = None
    _redis: aioredis.Redis | None = None

    @property
    def redis(self) -> aioredis.Redis:
        """The Redis client, made on first use (a service that uses no Redis never makes one)."""
        if self._redis is None:
            self._redis = make_redis(self.settings.redis_url)
        return self._redis

    @classmethod
    def build(cls, settings: Settings, tables: Sequence[type[SQLModel]], *, uses_redis: bool = False,
              uses_broker: bool = True) -> ServiceRuntime:
        """Wire the parts; nothing connects yet. `uses_redis` / `uses_broker` say what the service needs, and so
        what its readiness checks (a service without Redis makes no client, nor imports redis-py)."""
        db = Database(settings.resolved_database_url(), source=f"/services/{settings.service}")
        broker = make_broker(settings)
        relay = OutboxRelay(db, make_outbox_publisher(broker), poll_interval_s=settings.outbox_poll_interval_s)
        db.on_events_committed(relay.wake)
        dependencies = {"database"} | ({"broker"} if uses_broker else set()) | ({"redis"} if uses_redis else set())
        return cls(settings=settings, db=db, broker=broker, relay=relay, tables=[*tables, *KERNEL_TABLES],
                   dependencies=frozenset(dependencies))

    async def start(self) -> None:
        """Prepare the schema, mark the outbox for replay on a fresh broker, connect the broker (which starts the
        consumers) and start the relay. A service that uses no broker connects none."""
        await self._prepare_schema()
        await replay_outbox(self.db, window_s=self.settings.outbox_replay_window_s, epoch=self.settings.broker_epoch)
        if "broker" not in self.dependencies:
            return
        await self.broker.start()
        self._relay_task = asyncio.create_task(self.relay.run())
        for consumer in consumers_of(self.broker):
            self.spawn(consumer.sweep_forever())
        if consumers_of(self.broker):  # what the last batches before a pause left uncommitted, within a second
            self.spawn(commit_applied_forever(self.broker, every_s=max(1.0, self.settings.consumer_commit_interval_ms
                                                                        / 1000)))
        if consumers_of(self.broker) and self.settings.kafka_fetch_idle_wait_ms > self.settings.kafka_fetch_max_wait_ms:
            self.spawn(tune_fetch_forever(self.broker, busy_wait_ms=self.settings.kafka_fetch_max_wait_ms,
                                          idle_wait_ms=self.settings.kafka_fetch_idle_wait_ms,
                                          warm_wait_ms=self.settings.kafka_fetch_warm_wait_ms,
                                          warm_for_s=self.settings.kafka_fetch_warm_for_s))

    async def _prepare_schema(self) -> None:
        """An empty database gets the tables and the head revision, one made before migrations is adopted, one
        at the head is used as it is; one behind (or differing from the models) stops the start with what to
        run (shared/migrations.py). A runtime without a migrations folder (kernel tests) gets its tables."""
        history = History.of(self.settings.service, self.tables)
        if not history.directory.is_dir():
            await self.db.create_tables(self.tables)
            return
        try:
            outcome = await prepare(self.db.engine, history)
        except (SchemaNotCurrent, SchemaMismatch) as exc:
            log.error("schema.refused", reason=str(exc))
            raise
        if outcome is not Outcome.CURRENT:
            log.info("schema.prepared", outcome=outcome.value, revision=history.head())

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
                await stop_tasks([self._relay_task])
            self._relay_task = None
            with contextlib.suppress(Exception):
                await self.relay.release()
        await stop_tasks(self._tasks)
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(commit_applied(self.broker), timeout=5)
        await self.broker.stop()
        if self._redis is not None:
            await self._redis.aclose()
        await self.db.dispose()

    async def readiness(self) -> dict[str, str]:
        """Whether what the service uses answers (database, and broker and Redis when it uses them), each
        within a few seconds: a stalled dependency makes the service not ready, it never hangs the check."""
        probes = {"database": self._database_answers, "broker": self._broker_answers, "redis": self._redis_answers}
        names = [name for name in probes if name in self.dependencies]
        results = await asyncio.gather(*(_check(probes[name]()) for name in names))
        return dict(zip(names, results, strict=True))

    async def _database_answers(self) -> bool:
        async with self.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def _broker_answers(self) -> bool:
        return bool(await self.broker.ping(timeout=READINESS_TIMEOUT_S))

    async def _redis_answers(self) -> bool:
        return bool(await self.redis.ping())


async def _check(probe: Awaitable[bool]) -> str:
    """"ok", or what went wrong (no answer in time included)."""
    try:
        answered = await asyncio.wait_for(probe, timeout=READINESS_TIMEOUT_S)
    except TimeoutError:
        return f"error: no answer within {READINESS_TIMEOUT_S:g}s"
    except Exception as exc:
        return f"error: {exc}"
    return "ok" if answered else "error: no answer"
