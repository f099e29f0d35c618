"""Benchmark: our delivery path (outbox → relay → Kafka → idempotent consumer) against raw aiokafka through
the same embedded Tansu broker, in the same run. Prints a table and writes bench/results/messaging.json.

    uv run python -m bench.messaging [--events 2000] [--latency-samples 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faststream.kafka import KafkaBroker
from sqlmodel import Field, SQLModel, func, select

from shared.contracts.markets import SessionCancelled
from shared.db import Database
from shared.embedded import start_infra
from shared.envelope import EventMeta
from shared.inbox import InboxMessage
from shared.messaging import EventConsumer, make_broker, make_outbox_publisher, subscribe
from shared.outbox import OutboxMessage, OutboxRelay, add_event
from shared.settings import load_settings

RESULTS = Path(__file__).parent / "results"
PAYLOAD = b"x" * 512


class Applied(SQLModel, table=True):
    """The benchmark consumer's effect: one row per applied event, with when it was applied."""

    __tablename__ = "bench_applied"
    id: int | None = Field(default=None, primary_key=True)
    session_id: str
    applied_at: float


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def raw_throughput(bootstrap: str, n: int) -> dict[str, float]:
    """Raw aiokafka: produce n 512-byte messages (acks=all), then consume them."""
    topic = f"bench.raw.{uuid.uuid4().hex[:6]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    start = time.perf_counter()
    futures = [await producer.send(topic, PAYLOAD, key=f"k{i % 16}".encode()) for i in range(n)]
    await asyncio.gather(*futures)
    produce_s = time.perf_counter() - start
    await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"g-{topic}",
                                auto_offset_reset="earliest", fetch_max_wait_ms=10, session_timeout_ms=6000,
                                heartbeat_interval_ms=2000)
    await consumer.start()
    got = 0
    first = await consumer.getone()  # after the group join, so both paths are timed without it
    start = time.perf_counter()
    got = 1 if first else 0
    while got < n:
        batch = await consumer.getmany(timeout_ms=1000)
        got += sum(len(v) for v in batch.values())
    consume_s = time.perf_counter() - start
    await consumer.stop()
    return {"produce_per_s": n / produce_s, "consume_per_s": n / consume_s}


async def raw_latency(bootstrap: str, samples: int) -> list[float]:
    """Raw aiokafka end-to-end latency: send one, wait until a consumer sees it."""
    topic = f"bench.lat.{uuid.uuid4().hex[:6]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"g-{topic}",
                                auto_offset_reset="earliest", fetch_max_wait_ms=10, session_timeout_ms=6000,
                                heartbeat_interval_ms=2000)
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up")
    await consumer.start()
    await consumer.getone()
    latencies = []
    for _ in range(samples):
        start = time.perf_counter()
        await producer.send_and_wait(topic, PAYLOAD)
        await consumer.getone()
        latencies.append((time.perf_counter() - start) * 1000)
    await consumer.stop()
    await producer.stop()
    return latencies


async def ours(bootstrap: str, db_dir: Path, n: int, samples: int) -> dict[str, Any]:
    """Outbox staging, relay publishing, idempotent consumption, and end-to-end latency through all three."""
    settings = load_settings("bench", kafka_bootstrap_servers=bootstrap)
    producer_db = Database(f"sqlite+aiosqlite:///{db_dir / 'producer.db'}")
    consumer_db = Database(f"sqlite+aiosqlite:///{db_dir / 'consumer.db'}")
    await producer_db.create_tables([OutboxMessage])
    await consumer_db.create_tables([InboxMessage, Applied])
    publisher_broker: KafkaBroker = make_broker(settings)
    await publisher_broker.start()
    relay = OutboxRelay(producer_db.sessions, make_outbox_publisher(publisher_broker))

    start = time.perf_counter()
    for chunk in range(0, n, 100):
        async with producer_db.transaction() as session:
            for i in range(chunk, min(n, chunk + 100)):
                add_event(session, SessionCancelled(programme_id="p", session_id=f"s{i}", reason="bench"),
                          source="/bench")
    stage_s = time.perf_counter() - start
    start = time.perf_counter()
    await relay.flush()
    relay_s = time.perf_counter() - start

    async def apply(session: Any, event: SessionCancelled, meta: EventMeta) -> None:
        session.add(Applied(session_id=event.session_id, applied_at=time.perf_counter()))

    consumer_broker = make_broker(settings)
    consumer = EventConsumer(name="bench", topics=("markets.events",), handlers={SessionCancelled: apply},
                             db=consumer_db, broker=consumer_broker)
    subscribe(consumer, settings)
    await consumer_broker.start()
    await _wait_applied(consumer_db, 1, poll_s=0.01)  # the group join is not part of the figure
    async with consumer_db.sessions() as session:
        start = (await session.exec(select(func.min(Applied.applied_at)))).one()
    await _wait_applied(consumer_db, n, poll_s=0.01)
    async with consumer_db.sessions() as session:
        end = (await session.exec(select(func.max(Applied.applied_at)))).one()
    consume_s = end - start

    latencies = []
    relay_task = asyncio.create_task(relay.run())
    producer_db.on_events_committed(relay.wake)
    for i in range(samples):
        sent = time.perf_counter()
        async with producer_db.transaction() as session:
            add_event(session, SessionCancelled(programme_id="p", session_id=f"lat{i}", reason="bench"),
                      source="/bench")
        await _wait_applied(consumer_db, n + i + 1, poll_s=0.001)
        latencies.append((time.perf_counter() - sent) * 1000)
    relay_task.cancel()
    await consumer_broker.stop()
    await publisher_broker.stop()
    await producer_db.dispose()
    await consumer_db.dispose()
    return {"stage_per_s": n / stage_s, "relay_per_s": n / relay_s, "consume_per_s": (n - 1) / consume_s,
            "latencies_ms": latencies}


async def _wait_applied(db: Database, count: int, poll_s: float = 0.05) -> None:
    while True:
        async with db.sessions() as session:
            if (await session.exec(select(func.count()).select_from(Applied))).one() >= count:
                return
        await asyncio.sleep(poll_s)


async def main(events: int, samples: int) -> dict[str, Any]:
    """Run both paths on one broker and report."""
    with tempfile.TemporaryDirectory() as tmp:
        infra = await start_infra(Path(tmp), {"markets.events": 3, "markets.events.dlq": 1})
        try:
            raw = await raw_throughput(infra.bootstrap, events)
            raw_lat = await raw_latency(infra.bootstrap, samples)
            our = await ours(infra.bootstrap, Path(tmp), events, samples)
        finally:
            infra.stop()
    rows = [
        ("publish (msg/s)", raw["produce_per_s"], our["relay_per_s"], "outbox relay, acks=all, ordered"),
        ("consume (msg/s)", raw["consume_per_s"], our["consume_per_s"], "inbox + effect in one transaction"),
        ("e2e latency p50 (ms)", _pct(raw_lat, 0.5), _pct(our["latencies_ms"], 0.5), "commit → applied"),
        ("e2e latency p99 (ms)", _pct(raw_lat, 0.99), _pct(our["latencies_ms"], 0.99), "commit → applied"),
    ]
    report = {"events": events, "latency_samples": samples, "outbox_stage_per_s": our["stage_per_s"],
              "rows": [{"metric": m, "raw_aiokafka": r, "hangviet": h, "ratio": h / r, "note": note}
                       for m, r, h, note in rows],
              "hangviet_latency_mean_ms": statistics.mean(our["latencies_ms"])}
    return report


def print_table(report: dict[str, Any]) -> None:
    """The report as a table on stdout."""
    import sys

    out = sys.stdout
    out.write(f"\nmessaging benchmark — {report['events']} events, {report['latency_samples']} latency samples\n")
    out.write(f"{'metric':<22}{'raw aiokafka':>14}{'hangviet':>12}{'ratio':>8}  note\n")
    for row in report["rows"]:
        out.write(f"{row['metric']:<22}{row['raw_aiokafka']:>14.1f}{row['hangviet']:>12.1f}"
                  f"{row['ratio']:>8.2f}  {row['note']}\n")
    out.write(f"outbox staging (SQLite, 100 events per transaction): {report['outbox_stage_per_s']:.0f} events/s\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=200)
    args = parser.parse_args()
    result = asyncio.run(main(args.events, args.latency_samples))
    print_table(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "messaging.json").write_text(json.dumps(result, indent=2))
