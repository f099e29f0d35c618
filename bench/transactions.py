"""Benchmark: what one transaction costs the kernel on SQLite, in CPU, against raw sqlite3 on the same disk in
the same run. At 50 sagas/s most consumer batches hold one event, so this fixed cost, paid per batch, was most
of a saga's CPU: this module shows it apart from the services' own work.

  floor         raw sqlite3 (WAL, synchronous=NORMAL): BEGIN IMMEDIATE, one INSERT, COMMIT
  transaction   `Database.transaction()` running the same INSERT
  event staged  `Database.transaction()` staging one event in the outbox (`add_event`)
  consumer      `EventConsumer.handle_batch` of one record, its handler adding one row (inbox included);
                and per event in batches of 50

    uv run python -m bench.transactions [--n 2000]

CPU is the process's own (`time.process_time`), every figure the median of three rounds: on a shared machine
the neighbours' load moves wall time much more than it moves this. Prints the table and writes
bench/results/transactions.json. No target: the issue's targets are end to end (bench.saga, bench.messaging).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import uvloop
from sqlalchemy import text
from sqlmodel import Field, SQLModel

from bench.support import procs
from bench.support.stats import Row, jsonable, render_table
from shared.contracts.markets import SessionCancelled
from shared.db import Database
from shared.envelope import event_headers
from shared.logs import configure_logging
from shared.messaging import KERNEL_TABLES, EventConsumer
from shared.outbox import add_event

RESULTS = Path(__file__).parent / "results"
ROUNDS = 3


class Effect(SQLModel, table=True):
    """A benchmark handler's effect: one row per applied event."""

    __tablename__ = "bench_tx_effects"
    id: int | None = Field(default=None, primary_key=True)
    session_id: str


class _NoDeadLetters:
    async def publish(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing is dead-lettered here")


def record(event: SessionCancelled, offset: int) -> SimpleNamespace:
    """A broker record carrying `event` (CloudEvents binary mode)."""
    headers = event_headers(event, source="/bench", correlation_id=f"c-{offset}")
    return SimpleNamespace(topic=event.topic, key=event.key().encode(), partition=0, offset=offset,
                           timestamp=offset, value=event.model_dump_json().encode(),
                           headers=[(k, v.encode()) for k, v in headers.items()])


def cancelled(n: int) -> SessionCancelled:
    return SessionCancelled(programme_id="p1", session_id=f"s{n}", reason="bench")


def raw_floor(path: Path, n: int) -> float:
    """CPU µs per raw sqlite3 transaction of one INSERT."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, v TEXT)")
    started = time.process_time()
    for i in range(n):
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO floor (v) VALUES (?)", (f"s{i}",))
        connection.execute("COMMIT")
    spent = time.process_time() - started
    connection.close()
    return spent / n * 1e6


async def per_call(n: int, call: Callable[[int], Awaitable[None]]) -> float:
    """CPU µs per call of `call(i)`, after a warm-up."""
    for i in range(min(50, n)):
        await call(-1 - i)
    started = time.process_time()
    for i in range(n):
        await call(i)
    return (time.process_time() - started) / n * 1e6


async def kernel(path: Path, n: int) -> dict[str, float]:
    db = Database(f"sqlite+aiosqlite:///{path}", source="/bench")
    await db.create_tables([*KERNEL_TABLES, Effect])
    insert = text("INSERT INTO bench_tx_effects (session_id) VALUES (:v)")
    handled = 0

    async def handler(session: Any, event: SessionCancelled, meta: Any) -> None:
        session.add(Effect(session_id=event.session_id))

    consumer = EventConsumer(name="bench", topics=(SessionCancelled.topic,), handlers={SessionCancelled: handler},
                             db=db, broker=_NoDeadLetters(), max_attempts=3, backoff_s=0.0)  # type: ignore[arg-type]
    records = [record(cancelled(i), i) for i in range(n * 52 + 200)]

    async def transaction(i: int) -> None:
        async with db.transaction() as session:
            await session.exec(insert, params={"v": f"s{i}"})  # type: ignore[call-overload]

    async def staged(i: int) -> None:
        async with db.transaction() as session:
            add_event(session, cancelled(i), source="/bench")

    async def alone(i: int) -> None:
        nonlocal handled
        await consumer.handle_batch([records[handled]])
        handled += 1

    async def fifty(i: int) -> None:
        nonlocal handled
        await consumer.handle_batch(records[handled:handled + 50])
        handled += 50

    try:
        return {"transaction": await per_call(n, transaction), "event staged": await per_call(n, staged),
                "consumer, one-event batch": await per_call(n, alone),
                "consumer, per event in batches of 50": await per_call(max(1, n // 50), fifty) / 50}
    finally:
        await db.dispose()


def quiet_logging() -> None:
    """The services' JSON logging, its lines written to /dev/null: formatting them is part of the cost."""
    saved, sys.stderr = sys.stderr, open(os.devnull, "w")  # lives as long as the process
    try:
        configure_logging("bench")
    finally:
        sys.stderr = saved


def main(n: int) -> dict[str, Any]:
    quiet_logging()
    rounds: list[dict[str, float]] = []
    load_start = procs.load_average()
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            figures = {"floor": raw_floor(Path(tmp) / "floor.db", n)}
            figures.update(uvloop.run(kernel(Path(tmp) / "kernel.db", n)))
            rounds.append(figures)
    median = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    return {"n": n, "rounds": rounds, "median_cpu_us": median,
            "load_average": {"start": load_start, "end": procs.load_average()}}


def report(result: dict[str, Any]) -> str:
    median = result["median_cpu_us"]
    floor = median["floor"]
    rows = [Row("raw sqlite3: BEGIN IMMEDIATE, INSERT, COMMIT", round(floor, 1), "µs CPU")]
    rows += [Row(name, round(value, 1), "µs CPU", floors=[("raw sqlite3 transaction", round(floor, 1))])
             for name, value in median.items() if name != "floor"]
    load = result["load_average"]
    return render_table(f"one transaction on SQLite, CPU per call (median of {ROUNDS} rounds of {result['n']}), "
                        f"load {load['start']} → {load['end']}", rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="calls per figure and round (2000)")
    outcome = main(parser.parse_args().n)
    print(report(outcome))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "transactions.json").write_text(json.dumps(jsonable(outcome), indent=2))
    sys.exit(0)
