"""Benchmark: the kernel's delivery path (outbox → relay → Kafka → EventConsumer with its inbox) against raw
aiokafka and against plain FastStream with the kernel's subscriber settings, all through one embedded Tansu
broker in one run. Every consumer reads the same events (the relay's) in its own group and writes the same
effect row per event to its own SQLite file; rates leave the group join out (first to last commit).

    uv run python -m bench.messaging [--events 2000] [--latency-samples 200] [--timeout 120]

Prints the tables and writes bench/results/messaging.json. Target (issue 12): the kernel's consumer at
≥ 50 % of FastStream's per-message rate with the same settings.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import logging
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from sqlalchemy import event as sa_event
from sqlmodel import Field, SQLModel, func, select

from bench.support import kafka, procs
from bench.support.stats import MISSING, Row, Target, finite, jsonable, render_table, summarize, targets_summary
from devstack.embedded import start_infra
from shared.contracts.markets import SessionCancelled
from shared.db import Database
from shared.logs import configure_logging
from shared.messaging import EventConsumer, make_broker, make_outbox_publisher, subscribe
from shared.outbox import OutboxRelay, add_event
from shared.settings import Settings, load_settings

RESULTS = Path(__file__).parent / "results"
TOPIC = SessionCancelled.topic


class Applied(SQLModel, table=True):
    """A benchmark consumer's effect: one row per applied event."""

    __tablename__ = "bench_applied"
    id: int | None = Field(default=None, primary_key=True)
    session_id: str
    applied_at: float


def kernel_tables() -> list[type[SQLModel]]:
    """Every table the kernel defines (outbox, inbox, parked events, and whatever it adds): a consumer's
    database needs them all, or each delivery fails."""
    import shared.inbox
    import shared.outbox
    import shared.parking  # noqa: F401 - imported for their tables

    found, todo = [], list(SQLModel.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if hasattr(cls, "__table__") and cls.__module__.startswith("shared."):
            found.append(cls)
    return found


class Commits:
    """When each event's effect was committed (first time only), and waiters for single events."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.received: dict[str, float] = {}
        self._waiters: dict[str, asyncio.Future[float]] = {}

    def receive(self, key: str) -> None:
        """The handler got the event (before its transaction)."""
        self.received.setdefault(key, time.perf_counter())

    def done(self, key: str) -> None:
        now = time.perf_counter()
        self.at.setdefault(key, now)
        waiter = self._waiters.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now)

    def after_commit(self, session: Any, key: str) -> None:
        """Call done(key) once the session's transaction commits (the handler runs inside it)."""
        sync = getattr(session, "sync_session", None)
        if sync is None:  # not a SQLAlchemy session: count it when the handler ran
            self.done(key)
            return
        sa_event.listen(sync, "after_commit", lambda _s: self.done(key), once=True)

    def expect(self, key: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters[key] = future
        return future

    def rate(self, prefix: str) -> float | None:
        """Events per second with keys starting with `prefix`, from the first one received to the last one
        committed (a batch commits many at once, so first-to-last commit would overstate it)."""
        done = [t for k, t in self.at.items() if k.startswith(prefix)]
        first = min((t for k, t in self.received.items() if k.startswith(prefix)), default=None)
        if not done or first is None or max(done) <= first:
            return None
        return len(done) / (max(done) - first)

    async def wait_count(self, prefix: str, n: int, timeout_s: float, stall_s: float = 30.0) -> int:
        """Wait until n keys with `prefix` committed, the timeout passes, or nothing commits for `stall_s`."""
        deadline, last_count, last_change = time.monotonic() + timeout_s, -1, time.monotonic()
        while True:
            count = sum(1 for k in self.at if k.startswith(prefix))
            now = time.monotonic()
            if count != last_count:
                last_count, last_change = count, now
            if count >= n or now > deadline or now - last_change > stall_s:
                return count
            await asyncio.sleep(0.05)


async def consumer_db(path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.create_tables([*kernel_tables(), Applied])
    return db


def make_relay(db: Database, broker: KafkaBroker) -> OutboxRelay:
    """The relay as the kernel builds it. Its first argument is moving from `db.sessions` to `db` while the
    kernel is being rewritten: follow whichever the signature names."""
    first = next(iter(inspect.signature(OutboxRelay).parameters))
    return OutboxRelay(db.sessions if first == "sessions" else db, make_outbox_publisher(broker))  # type: ignore[arg-type]


async def stage_and_relay(settings: Settings, db_dir: Path, n: int) -> tuple[Database, OutboxRelay, KafkaBroker,
                                                                               dict[str, float]]:
    """n events staged in the outbox (100 per transaction), then published by the relay in one flush."""
    db = await consumer_db(db_dir / "producer.db")
    broker = make_broker(settings)
    await broker.start()
    relay = make_relay(db, broker)
    start = time.perf_counter()
    for chunk in range(0, n, 100):
        async with db.transaction() as session:
            for i in range(chunk, min(n, chunk + 100)):
                add_event(session, SessionCancelled(programme_id="p", session_id=f"s{i}", reason="bench"),
                          source="/bench")
    stage_s = time.perf_counter() - start
    start = time.perf_counter()
    await relay.flush()
    relay_s = time.perf_counter() - start
    return db, relay, broker, {"stage_per_s": n / stage_s, "relay_per_s": n / relay_s}


async def faststream_publish_rate(broker: KafkaBroker, bootstrap: str, n: int) -> float:
    """Plain FastStream publishing n events, pipelined like the relay (no_confirm, then every ack)."""
    (topic,) = await kafka.fresh_topics(bootstrap, "fspub", 1, partitions=3)
    events = [SessionCancelled(programme_id="p", session_id=f"s{i}", reason="bench") for i in range(n)]
    start = time.perf_counter()
    pending = [await broker.publish(e.model_dump_json().encode(), topic=topic, key=b"p", no_confirm=True)
               for e in events]
    await asyncio.gather(*pending)
    return n / (time.perf_counter() - start)


def kernel_like(settings: Settings, group: str, *, batch: bool = False) -> dict[str, Any]:
    """The subscriber options shared.messaging.subscribe() uses; the batch ones as the kernel sets them (read
    with defaults: the kernel's settings are changing)."""
    options: dict[str, Any] = {
        "group_id": group, "ack_policy": AckPolicy.NACK_ON_ERROR, "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_heartbeat_interval_ms,
        "fetch_max_wait_ms": settings.kafka_fetch_max_wait_ms}
    if batch:
        options.update(batch=True, max_records=getattr(settings, "consumer_batch_max_records", 500),
                       batch_timeout_ms=getattr(settings, "consumer_batch_timeout_ms", 200))
    return options


async def raw_commit_each(bootstrap: str, db: Database, commits: Commits, n: int, timeout_s: float) -> int:
    """Raw aiokafka: for each message, the effect row in one transaction, then the offset committed."""
    reader = kafka.consumer(bootstrap, TOPIC, group=f"bench.raw.{uuid.uuid4().hex[:6]}", enable_auto_commit=False)
    await reader.start()

    async def loop() -> None:
        async for record in reader:
            event = SessionCancelled.model_validate_json(record.value)
            commits.receive(event.session_id)
            async with db.transaction() as session:
                session.add(Applied(session_id=event.session_id, applied_at=time.perf_counter()))
            commits.done(event.session_id)
            await reader.commit({TopicPartition(record.topic, record.partition): record.offset + 1})

    task = asyncio.create_task(loop())
    try:
        return await commits.wait_count("s", n, timeout_s)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await reader.stop()


async def run_broker(broker: KafkaBroker, work: Callable[[], Awaitable[Any]]) -> Any:
    await broker.start()
    try:
        return await work()
    finally:
        await broker.stop()


async def faststream_consumers(settings: Settings, db_dir: Path, n: int, samples: int,
                               timeout_s: float) -> dict[str, Any]:
    """Plain FastStream with the kernel's settings: per-message (rate, then publish → commit latency on a
    topic of its own), then a batch subscriber (rate)."""
    lat_topic = (await kafka.fresh_topics(settings.kafka_bootstrap_servers, "fslat", 1, partitions=3))[0]
    db, commits, broker = await consumer_db(db_dir / "fs.db"), Commits(), make_broker(settings)

    @broker.subscriber(TOPIC, lat_topic, **kernel_like(settings, f"bench.fs.{uuid.uuid4().hex[:6]}"))
    async def on_event(event: SessionCancelled) -> None:
        commits.receive(event.session_id)
        async with db.transaction() as session:
            session.add(Applied(session_id=event.session_id, applied_at=time.perf_counter()))
        commits.done(event.session_id)

    async def per_message() -> dict[str, Any]:
        applied = await commits.wait_count("s", n, timeout_s)
        latencies = await latency(commits, samples, lambda e: broker.publish(e, topic=lat_topic, key=b"p"))
        return {"applied": applied, "rate": commits.rate("s"), "latencies_ms": latencies}

    result = {"per_message": await run_broker(broker, per_message)}
    db_b, commits_b, broker_b = await consumer_db(db_dir / "fsb.db"), Commits(), make_broker(settings)

    @broker_b.subscriber(TOPIC, **kernel_like(settings, f"bench.fsb.{uuid.uuid4().hex[:6]}", batch=True))
    async def on_batch(events: list[SessionCancelled]) -> None:
        for e in events:
            commits_b.receive(e.session_id)
        async with db_b.transaction() as session:
            now = time.perf_counter()
            session.add_all([Applied(session_id=e.session_id, applied_at=now) for e in events])
        for e in events:
            commits_b.done(e.session_id)

    async def batch() -> dict[str, Any]:
        return {"applied": await commits_b.wait_count("s", n, timeout_s), "rate": commits_b.rate("s")}

    result["batch"] = await run_broker(broker_b, batch)
    result["rows_written"] = await count_and_close(db) + await count_and_close(db_b)
    return result


async def latency(commits: Commits, samples: int, send: Callable[[SessionCancelled], Awaitable[Any]],
                  timeout_s: float = 10.0) -> list[float]:
    """Milliseconds from sending one event to its effect committed, one at a time; MISSING on timeout."""
    out = []
    for i in range(samples):
        key = f"lat{i}"
        waiter = commits.expect(key)
        start = time.perf_counter()
        await send(SessionCancelled(programme_id="p", session_id=key, reason="bench"))
        try:
            out.append((await asyncio.wait_for(waiter, timeout_s) - start) * 1000)
        except TimeoutError:
            out.append(MISSING)
    return out


async def kernel_consumer(settings: Settings, db_dir: Path, producer_db: Database, relay: OutboxRelay, n: int,
                          samples: int, timeout_s: float) -> dict[str, Any]:
    """shared.messaging.EventConsumer registered by subscribe(): rate, then outbox commit → effect committed."""
    db, commits, broker = await consumer_db(db_dir / "kernel.db"), Commits(), make_broker(settings)

    async def apply(session: Any, event: SessionCancelled, meta: Any) -> None:
        commits.receive(event.session_id)
        session.add(Applied(session_id=event.session_id, applied_at=time.perf_counter()))
        commits.after_commit(session, event.session_id)

    consumer = EventConsumer(name=f"bench-{uuid.uuid4().hex[:6]}", topics=(TOPIC,),
                             handlers={SessionCancelled: apply}, db=db, broker=broker)
    subscribe(consumer, settings)

    async def stage(event: SessionCancelled) -> None:
        async with producer_db.transaction() as session:
            add_event(session, event, source="/bench")

    async def work() -> dict[str, Any]:
        applied = await commits.wait_count("s", n, timeout_s)
        producer_db.on_events_committed(relay.wake)
        relay_task = asyncio.create_task(relay.run())
        try:
            latencies = await latency(commits, samples, stage)
        finally:
            relay.stop()
            await asyncio.wait_for(relay_task, 30)
        return {"applied": applied, "rate": commits.rate("s"), "latencies_ms": latencies}

    result: dict[str, Any] = await run_broker(broker, work)
    result["rows_written"] = await count_and_close(db)
    return result


async def count_and_close(db: Database) -> int:
    async with db.sessions() as session:
        count: int = (await session.exec(select(func.count()).select_from(Applied))).one()
    await db.dispose()
    return count


async def main(events: int, samples: int, timeout_s: float) -> tuple[dict[str, Any], tuple[list[Row], list[Row]]]:
    """Every path on one broker, one after the other (the machine has two cores)."""
    loads = {"start": procs.load_average()}
    with tempfile.TemporaryDirectory() as tmp:
        infra = await start_infra(Path(tmp), {TOPIC: 3, f"{TOPIC}.dlq": 1})
        try:
            bootstrap = infra.bootstrap
            settings = load_settings("bench", kafka_bootstrap_servers=bootstrap)
            raw = await kafka.produce_consume_rates(bootstrap, events)
            raw_lat = await kafka.hop_latencies(bootstrap, 1, samples)
            producer_db, relay, pub_broker, outbox = await stage_and_relay(settings, Path(tmp), events)
            fs_pub = await faststream_publish_rate(pub_broker, bootstrap, events)
            raw_db, raw_commits = await consumer_db(Path(tmp) / "raw.db"), Commits()
            raw_applied = await raw_commit_each(bootstrap, raw_db, raw_commits, events, timeout_s)
            await count_and_close(raw_db)
            fs = await faststream_consumers(settings, Path(tmp), events, samples, timeout_s)
            ours = await kernel_consumer(settings, Path(tmp), producer_db, relay, events, samples, timeout_s)
            await pub_broker.stop()
            await producer_db.dispose()
        finally:
            infra.stop()
    loads["end"] = procs.load_average()
    consumed = {"raw_commit_each": {"applied": raw_applied, "rate": raw_commits.rate("s")},
                "faststream": fs["per_message"], "faststream_batch": fs["batch"], "kernel": ours}
    return report(events, samples, raw, raw_lat, outbox, fs_pub, consumed, loads)


def report(events: int, samples: int, raw: dict[str, float], raw_lat: list[float], outbox: dict[str, float],
           fs_pub: float, consumed: dict[str, dict[str, Any]], loads: dict[str, list[float]]
           ) -> tuple[dict[str, Any], tuple[list[Row], list[Row]]]:
    """The tables' rows and the results file's content."""
    fs, fsb, rce, ours = (consumed[k] for k in ("faststream", "faststream_batch", "raw_commit_each", "kernel"))

    def applied(c: dict[str, Any]) -> str:
        return "" if c["applied"] >= events else f"only {c['applied']} of {events} applied before the wait ended"

    throughput = [
        Row("raw aiokafka produce (acks=all)", raw["produce_per_s"], "msg/s"),
        Row("raw aiokafka consume", raw["consume_per_s"], "msg/s"),
        Row("FastStream publish (pipelined, acks=all)", fs_pub, "msg/s", [("raw produce", raw["produce_per_s"])]),
        Row("kernel outbox relay publish", outbox["relay_per_s"], "msg/s",
            [("raw produce", raw["produce_per_s"]), ("FastStream publish", fs_pub)]),
        Row("kernel outbox staging (100/transaction)", outbox["stage_per_s"], "msg/s"),
        Row("raw consume + effect row, commit each", rce["rate"], "msg/s", [("raw consume", raw["consume_per_s"])],
            note=applied(rce)),
        Row("FastStream per-message + effect row", fs["rate"], "msg/s",
            [("raw consume", raw["consume_per_s"]), ("raw commit-each", rce["rate"])], note=applied(fs)),
        Row("FastStream batch + effect rows per batch", fsb["rate"], "msg/s",
            [("raw consume", raw["consume_per_s"])], note=applied(fsb)),
        Row("kernel EventConsumer (inbox + effect row)", ours["rate"], "msg/s",
            [("FastStream per-message", fs["rate"]), ("FastStream batch", fsb["rate"]),
             ("raw consume", raw["consume_per_s"]), ("raw commit-each", rce["rate"])],
            (Target(">=", 0.5, on="ratio"),), note=applied(ours)),
    ]
    lat = {name: summarize(values) for name, values in
           (("raw", raw_lat), ("faststream", fs["latencies_ms"]), ("kernel", ours["latencies_ms"]))}
    latency_rows = []
    for q in ("p50", "p99"):
        latency_rows += [
            Row(f"raw aiokafka one hop {q}", lat["raw"][q], "ms"),
            Row(f"FastStream publish → effect committed {q}", lat["faststream"][q], "ms",
                [("raw one hop", lat["raw"][q])]),
            Row(f"kernel outbox commit → effect committed {q}", lat["kernel"][q], "ms",
                [("FastStream", lat["faststream"][q]), ("raw one hop", lat["raw"][q])]),
        ]
    return {"events": events, "latency_samples": samples, "load_average": loads,
            "throughput": [r.as_json() for r in throughput], "latency": [r.as_json() for r in latency_rows],
            "latency_summary": {k: {m: finite(v) for m, v in s.items()} for k, s in lat.items()},
            "consumers": {k: {"applied": v["applied"], "rate": v["rate"]} for k, v in consumed.items()},
            "targets": targets_summary(throughput + latency_rows)}, (throughput, latency_rows)


def print_report(result: dict[str, Any], throughput: list[Row], latency_rows: list[Row]) -> None:
    """The tables on stdout."""
    out = sys.stdout
    out.write(f"\nmessaging benchmark — {result['events']} events, {result['latency_samples']} latency samples, "
              f"load average {result['load_average']['start']} → {result['load_average']['end']}\n\n")
    out.write(render_table("throughput", throughput) + "\n\n")
    out.write(render_table("latency (one event at a time)", latency_rows) + "\n")
    t = result["targets"]
    out.write(f"\ntargets: {t['met']} met, {t['missed']} missed, {t['unknown']} not judged\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=120.0, help="longest wait for one consumer's events (s)")
    args = parser.parse_args()
    configure_logging("bench-messaging", level=logging.WARNING)
    outcome, tables = asyncio.run(main(args.events, args.latency_samples, args.timeout))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "messaging.json").write_text(json.dumps(jsonable(outcome), indent=2, ensure_ascii=False) + "\n")
    print_report(outcome, *tables)
