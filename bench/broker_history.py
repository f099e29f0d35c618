"""Benchmark: what a partition's history costs the embedded broker. One hop (produce acks=all → a consumer at the
end of the partition, the services' fetch wait) through one Tansu, on a fresh partition (the floor) and on
partitions that already hold N record batches — a topic of the running stack after N events, each sent alone as
the relays send them at a steady rate — and, as a control, N records in a few large batches.

Tansu 0.6's memory engine costs a fetch that returns records in proportion to the record batches the partition
holds (an empty fetch at the end does not): a saga's consumers (booths, billing) fetch each event on its own at
50/s, so the broker's CPU per event, and the hop's latency, grow with every event the stack has carried since the
broker started. Apache Kafka finds an offset through its index and does not. This is why a saga phase's latency
grows from its first third to its last on the embedded stack (bench.saga --sagas shows each hop's share).

    uv run python -m bench.broker_history [--samples 300] [--sizes 1000,2000,4000,8000]

Prints the table and writes bench/results/broker_history.json. No target: it explains figures of bench.saga.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
from aiokafka import AIOKafkaProducer

from bench.support import kafka, procs
from bench.support.stats import Row, jsonable, render_table, summarize
from devstack.embedded import start_infra
from shared.logs import configure_logging

RESULTS = Path(__file__).parent / "results"
PAYLOAD = b"x" * 700  # about an event's size


async def fill(producer: AIOKafkaProducer, topic: str, records: int, *, batched: bool) -> None:
    """`records` records into the topic's one partition: each in its own batch (sent and acknowledged one at a
    time), or all at once so the producer packs them into a few large batches."""
    if batched:
        pending = [await producer.send(topic, PAYLOAD) for _ in range(records)]
        await asyncio.gather(*pending)
        return
    for _ in range(records):
        await producer.send_and_wait(topic, PAYLOAD)


async def hops(bootstrap: str, producer: AIOKafkaProducer, topic: str, samples: int,
               broker: psutil.Process) -> dict[str, Any]:
    """One record at a time from the producer to a consumer at the partition's end: latency and broker CPU."""
    reader = kafka.consumer(bootstrap, topic)
    await reader.start()
    try:
        while await reader.getmany(timeout_ms=500):  # read the history: the consumer waits at the end
            pass
        latencies: list[float] = []
        cpu = broker.cpu_times()
        for _ in range(samples):
            started = time.perf_counter()
            await producer.send_and_wait(topic, PAYLOAD)
            await reader.getone()
            latencies.append((time.perf_counter() - started) * 1000)
        after = broker.cpu_times()
    finally:
        await reader.stop()
    cpu_ms = (after.user + after.system - cpu.user - cpu.system) * 1000
    return {**summarize(latencies), "broker_cpu_ms_per_hop": cpu_ms / samples}


async def main(samples: int, sizes: Sequence[int]) -> dict[str, Any]:
    loads = {"start": procs.load_average()}
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("fresh", 0, False), *((f"{n:,} batches", n, False) for n in sizes),
                 (f"{max(sizes):,} records, batched", max(sizes), True)]
        topics = {f"history.{index}": 1 for index in range(len(cases))}
        infra = await start_infra(Path(tmp), topics)
        broker = psutil.Process(infra.broker_proc.pid)
        producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
        await producer.start()
        try:
            for (label, records, batched), topic in zip(cases, topics, strict=True):
                await fill(producer, topic, records, batched=batched)
                figures = await hops(infra.bootstrap, producer, topic, samples, broker)
                results.append({"case": label, "records_before": records, "batched": batched, **figures})
                print(f"  {label}: p50 {figures['p50']:.2f} ms", file=sys.stderr, flush=True)
        finally:
            await producer.stop()
            infra.broker_proc.terminate()
            infra.redis_proc.terminate()
    loads["end"] = procs.load_average()
    return {"samples": samples, "cases": results, "load_average": loads}


def rows(result: dict[str, Any]) -> list[Row]:
    """Each case's p50, p99 and broker CPU per hop against the fresh partition's."""
    fresh = result["cases"][0]
    out: list[Row] = []
    for case in result["cases"]:
        for figure, unit in (("p50", "ms"), ("p99", "ms"), ("broker_cpu_ms_per_hop", "ms CPU")):
            name = figure if figure != "broker_cpu_ms_per_hop" else "broker CPU per hop"
            floors = [] if case is fresh else [("fresh partition", fresh[figure])]
            out.append(Row(f"{case['case']}: {name}", case[figure], unit, floors))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=300, help="hops measured per case")
    parser.add_argument("--sizes", default="1000,2000,4000,8000", help="record batches already in the partition")
    args = parser.parse_args()
    configure_logging("bench-broker-history", level=logging.WARNING)
    outcome = asyncio.run(main(args.samples, [int(size) for size in args.sizes.split(",")]))
    table = rows(outcome)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "broker_history.json").write_text(json.dumps(jsonable(outcome), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.write(f"\nbroker history — one hop at a partition's end, {outcome['samples']} samples per case, load "
                     f"average {outcome['load_average']['start']} → {outcome['load_average']['end']}\n\n")
    sys.stdout.write(render_table("one hop after N record batches", table) + "\n")
