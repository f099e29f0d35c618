"""Benchmark: the fair saga (approve → booths assigned → invoice issued) through the real processes — the
embedded Tansu broker and redis-server, the six services on SQLite in a temporary var dir — with the floor
measured in the same run. Issue 12's targets are printed beside each figure.

  setup     one fair published over HTTP, N exhibitor profiles (development tokens)
  idle      CPU (% of one core) and resident memory of every process of the stack, idle: from when it has
            settled (under 10 % of a core: the setup's events applied, the consumers back to long polls)
  floor     raw aiokafka through the same broker: one hop, and two hops (produce → consume → produce →
            consume, the shape of approved → assigned → issued), one message at a time
  rush      the exhibitors submit to the fair at a fixed concurrency; `/health` at the same concurrency
            is its floor; `GET /fairs/{id}` and `/health` polled during the rush
  phases    approvals at 10, 50 and 100 per second, then a burst; each saga timed from the approve call to
            the `ce_time` of its `registration.approved`, `booths.assigned` and `invoice.issued`, read
            from the topics (not polled over HTTP). Waits are bounded: what did not finish is counted. Each
            phase starts once the stack has gone quiet (under 25 % of a core over a second, at most 2 minutes):
            measured straight after the rush, a phase counted the CPU of the rush's events as its own.

    uv run python -m bench.saga            # the full run (≥ 30 s per phase; takes 10+ minutes today)
    uv run python -m bench.saga --quick    # a smoke run, about 3 minutes

Prints the tables and writes bench/results/saga.json.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import uvloop

from bench.support import http, kafka, procs
from bench.support.events import EventReader
from bench.support.saga_tables import print_report, rows
from bench.support.sagas import Approval, phase_figures
from bench.support.stats import jsonable, summarize, targets_summary
from devstack.platform import Platform, start_platform
from shared.logs import configure_logging

RESULTS = Path(__file__).parent / "results"
Approve = Callable[[str], Coroutine[Any, Any, Approval]]


@dataclass
class Options:
    """What to run; `--quick` shrinks every part."""

    rates: tuple[float, ...] = (10, 50, 100)
    duration_s: float = 30
    burst: int = 1000
    burst_concurrency: int = 50
    rush: int = 5000
    concurrency: int = 50
    health_requests: int = 2000
    idle_s: float = 60
    drain_s: float = 60
    floor_samples: int = 200
    keep: str = ""
    sagas: str = ""

    @property
    def approvals_needed(self) -> int:
        return sum(round(rate * self.duration_s) for rate in self.rates) + self.burst


QUICK = {"duration_s": 3, "burst": 100, "rush": 300, "health_requests": 300, "idle_s": 10, "drain_s": 10,
         "floor_samples": 100}


@dataclass
class Exhibitor:
    id: str
    headers: dict[str, str]


async def setup(client: http.Client, platform: Platform, reader: EventReader, opts: Options
                ) -> tuple[str, list[Exhibitor], dict[str, Any]]:
    """The fair (published, its floor plan built) and the exhibitors' profiles."""
    url, org = platform.url("registration"), http.organizer()
    capacity = min(10_000, max(2000, opts.approvals_needed))
    fair = await client.post(f"{url}/fairs", json=http.fair_body(capacity), headers=org)
    fair.raise_for_status()
    fair_id = fair.json()["id"]
    (await client.post(f"{url}/fairs/{fair_id}/publish", headers=org)).raise_for_status()
    if not await reader.wait_for(lambda: fair_id in reader.log.floorplans, 120):
        raise RuntimeError("booths published no floor plan for the fair within 120 s")
    codes = http.tax_codes()
    people = [Exhibitor(f"bx{i}", http.exhibitor(f"bx{i}")) for i in range(max(opts.rush, opts.approvals_needed))]
    bodies = [http.exhibitor_body(i, next(codes)) for i in range(len(people))]
    calls = await http.pool(list(zip(people, bodies, strict=True)), lambda pb: http.timed(
        client.post(f"{url}/exhibitors", json=pb[1], headers=pb[0].headers)), opts.concurrency)
    created = [p for p, c in zip(people, calls, strict=True) if c.status == "201"]
    return fair_id, created, {"fair_id": fair_id, "capacity_booths": capacity,
                              "profiles": http.calls_summary(calls, "201")}


def stack_pids(platform: Platform) -> dict[str, int]:
    """Every process of the stack by name: the services, the broker and redis."""
    pids = {name: platform.supervisor.process(name).pid for name in platform.supervisor.names}
    if platform.infra is not None:
        pids["broker (tansu)"] = platform.infra.broker_proc.pid
        pids["redis"] = platform.infra.redis_proc.pid
    return pids


async def measure_floor(bootstrap: str, samples: int) -> dict[str, Any]:
    """Raw aiokafka latency through the platform's broker: one hop and two hops."""
    return {"one_hop": summarize(await kafka.hop_latencies(bootstrap, 1, samples)),
            "two_hop": summarize(await kafka.hop_latencies(bootstrap, 2, samples))}


async def rush(client: http.Client, platform: Platform, fair_id: str, people: Sequence[Exhibitor],
               opts: Options) -> tuple[dict[str, Any], list[str]]:
    """/health at the rush's concurrency (the floor), then the rush with a read and /health polled."""
    url = platform.url("registration")
    health = await http.pool(range(opts.health_requests), lambda _: http.timed(client.get(f"{url}/health")),
                             opts.concurrency)
    polled: dict[str, list[float]] = {"read": [], "health": []}
    stop = asyncio.Event()

    async def poll() -> None:
        async with http.client(2) as poller:
            while not stop.is_set():
                for name, path in (("read", f"/fairs/{fair_id}"), ("health", "/health")):
                    polled[name].append((await http.timed(poller.get(f"{url}{path}"))).ms)
                await asyncio.sleep(0.05)

    load_start, cpu_before = procs.load_average(), procs.cpu_snapshot(stack_pids(platform))
    poller = asyncio.create_task(poll())
    submits = await http.pool(people, lambda p: http.timed(client.post(
        f"{url}/fairs/{fair_id}/registrations", json={"booths_requested": 1}, headers=p.headers)), opts.concurrency)
    cpu_after = procs.cpu_snapshot(stack_pids(platform))
    stop.set()
    await poller
    ids = [c.body["id"] for c in submits if c.status == "201"]
    return {"concurrency": opts.concurrency, "exhibitors": len(people),
            "health_floor": http.calls_summary(health, "200"), "submits": http.calls_summary(submits, "201"),
            "polled": {name: summarize(values) for name, values in polled.items()},
            "cpu_ms_per_submit": procs.cpu_ms_per(cpu_before, cpu_after, len(ids)),
            "load_average": {"start": load_start, "end": procs.load_average()}}, ids


async def submit_rest(client: http.Client, platform: Platform, fair_id: str, people: Sequence[Exhibitor],
                      concurrency: int) -> list[str]:
    """Registrations beyond the rush's, for the approvals (not timed)."""
    url = platform.url("registration")
    calls = await http.pool(people, lambda p: http.timed(client.post(
        f"{url}/fairs/{fair_id}/registrations", json={"booths_requested": 1}, headers=p.headers)), concurrency)
    return [c.body["id"] for c in calls if c.status == "201"]


def approver(client: http.Client, platform: Platform) -> Approve:
    url, org = platform.url("registration"), http.organizer()

    async def approve(registration_id: str) -> Approval:
        call = await http.timed(client.post(f"{url}/registrations/{registration_id}/approve", headers=org))
        decision = call.body.get("status", "") if isinstance(call.body, dict) else ""
        return Approval(registration_id, call.started, call.ended, call.status, decision)

    return approve


async def at_rate(ids: Sequence[str], rate: float, approve: Approve) -> list[Approval]:
    """Open loop: the i-th approval is sent at i/rate whatever the earlier ones are doing."""
    start, tasks = time.perf_counter(), list[asyncio.Task[Approval]]()
    for i, registration_id in enumerate(ids):
        wait = start + i / rate - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(approve(registration_id)))
    return list(await asyncio.gather(*tasks))


async def burst(ids: Sequence[str], concurrency: int, approve: Approve
                ) -> list[Approval]:
    """As fast as `concurrency` callers go."""
    results: list[Approval] = []
    queue = list(reversed(ids))

    async def caller() -> None:
        while queue:
            results.append(await approve(queue.pop()))

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return sorted(results, key=lambda a: a.sent)


async def phases(client: http.Client, platform: Platform, reader: EventReader, ids: list[str],
                 opts: Options) -> list[dict[str, Any]]:
    """Each phase on fresh registrations; after its sends, a bounded wait for its invoices."""
    approve, done, out = approver(client, platform), list[Approval](), list[dict[str, Any]]()
    pids = stack_pids(platform)
    plan: list[tuple[str, float | None, int]] = [(f"{r:g}/s", r, round(r * opts.duration_s)) for r in opts.rates]
    plan.append(("burst", None, opts.burst))
    for name, rate, count in plan:
        batch, ids = ids[:count], ids[count:]
        if len(batch) < count:
            print(f"warning: phase {name} gets {len(batch)} registrations, not {count}", file=sys.stderr)
        backlog = sum(1 for a in done if a.ok and reader.log.step(a.registration_id, "issued") is None)
        # What came before (the rush's submissions, the last phase's mails and webhooks) is not this phase's cost.
        settled = await procs.settle(pids)
        load_start, started = procs.load_average(), time.monotonic()
        cpu_before = procs.cpu_snapshot(pids)
        approvals = await (at_rate(batch, rate, approve) if rate else burst(batch, opts.burst_concurrency, approve))
        sent_s = time.monotonic() - started
        wanted = [a.registration_id for a in approvals if a.ok]
        drained = await reader.wait_for(functools.partial(all_issued, reader, wanted), opts.drain_s)
        cpu_after = procs.cpu_snapshot(pids)
        figures = phase_figures(name, approvals, reader.log.step, offered_per_s=rate, backlog_at_start=backlog)
        figures["cpu_ms_per_saga"] = procs.cpu_ms_per(cpu_before, cpu_after, figures["completed"])
        figures["settled_before"] = settled
        figures.update({"sending_s": round(sent_s, 1), "drained": drained,
                        "waited_after_sending_s": round(time.monotonic() - started - sent_s, 1),
                        "load_average": {"start": load_start, "end": procs.load_average()}})
        out.append(figures)
        if opts.sagas:
            dump_sagas(Path(opts.sagas), name, approvals, reader)
        done += approvals
        print(f"  phase {name}: {figures['completed']}/{len(approvals)} invoices, "
              f"{figures['sagas_per_s']:.1f} sagas/s", file=sys.stderr)
    return out


async def with_load(work: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """The work's result with the load average at its start and end."""
    start = procs.load_average()
    result = await work
    return {**result, "load_average": {"start": start, "end": procs.load_average()}}


def dump_sagas(path: Path, phase: str, approvals: Sequence[Approval], reader: EventReader) -> None:
    """Append one JSON line per saga of the phase: the approve call and each step's emitted/published times
    (epoch s), to find when slow sagas happen (clustered in time or spread out)."""
    with path.open("a") as out:
        for a in approvals:
            steps = {name: asdict(s) for name in ("approved", "assigned", "issued")
                     if (s := reader.log.step(a.registration_id, name)) is not None}
            out.write(json.dumps({"phase": phase, "registration_id": a.registration_id, "sent": a.sent,
                                  "answered": a.answered, "status": a.status, **steps}) + "\n")


def all_issued(reader: EventReader, registration_ids: list[str]) -> bool:
    return reader.log.issued(registration_ids) >= len(registration_ids)


async def main(opts: Options) -> dict[str, Any]:
    """Start the platform, set up, then idle → floor → rush → phases; stop everything whatever happens."""
    report: dict[str, Any] = {"options": asdict(opts), "cores": os.cpu_count(), "load_average": {}}
    report["load_average"]["start"] = procs.load_average()
    with tempfile.TemporaryDirectory() as tmp:
        var_dir = Path(opts.keep or tmp)
        started = time.monotonic()
        platform = await start_platform(var_dir)
        report["cold_start_s"] = round(time.monotonic() - started, 1)
        reader = EventReader(platform.bootstrap)
        try:
            await reader.start()
            async with http.client(max(opts.concurrency, opts.burst_concurrency) + 100) as client:
                step("setup: fair, profiles")
                fair_id, people, report["setup"] = await setup(client, platform, reader, opts)
                step(f"idle: {opts.idle_s:g} s")
                # Idle starts when the setup's events are applied and the consumers have gone back to long polls
                # (2 s after their last record): under 10 % of a core, where two busy-polling consumers are ~14 %.
                settled = await procs.settle(stack_pids(platform), below_pct=10.0)
                with reader.paused():  # the bench's own 10 ms polling is not the stack's idle cost
                    report["idle"] = await with_load(procs.idle_cost(stack_pids(platform), opts.idle_s))
                report["idle"]["settled_before"] = settled
                step("floor: raw aiokafka through the platform's broker")
                report["floor"] = await with_load(measure_floor(platform.bootstrap, opts.floor_samples))
                step(f"rush: {min(opts.rush, len(people))} submits at concurrency {opts.concurrency}")
                report["rush"], ids = await rush(client, platform, fair_id, people[:opts.rush], opts)
                if len(ids) < opts.approvals_needed:
                    ids += await submit_rest(client, platform, fair_id, people[opts.rush:], opts.concurrency)
                step(f"phases: {', '.join(f'{r:g}/s' for r in opts.rates)} for {opts.duration_s:g} s, "
                     f"burst of {opts.burst}")
                report["phases"] = await phases(client, platform, reader, ids, opts)
                report["events"] = {"records_read": reader.log.records, "waitlisted": len(reader.log.waitlisted),
                                    "dead_letters": dict(reader.log.dead_letters)}
        finally:
            await reader.stop()
            platform.stop()
    report["load_average"]["end"] = procs.load_average()
    return report


def step(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def parse_options(argv: list[str] | None = None) -> Options:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK}")
    parser.add_argument("--rates", help="approvals per second of the phases, comma-separated (10,50,100)")
    parser.add_argument("--duration", type=float, dest="duration_s", help="seconds per phase (30)")
    parser.add_argument("--burst", type=int, help="approvals of the burst (1000)")
    parser.add_argument("--burst-concurrency", type=int, help="concurrent approve calls in the burst (50)")
    parser.add_argument("--rush", type=int, help="exhibitors submitting in the rush (5000)")
    parser.add_argument("--concurrency", type=int, help="concurrent callers in the rush and setup (50)")
    parser.add_argument("--health-requests", type=int, help="/health calls of the rush's floor (2000)")
    parser.add_argument("--idle", type=float, dest="idle_s", help="seconds of idle measurement (60)")
    parser.add_argument("--drain", type=float, dest="drain_s", help="longest wait for a phase's invoices (60)")
    parser.add_argument("--floor-samples", type=int, help="messages per floor measurement (200)")
    parser.add_argument("--sagas", help="append each saga's times to this file, a JSON line per saga")
    parser.add_argument("--keep", help="run the platform in this var dir and keep it (logs, databases)")
    args = vars(parser.parse_args(argv))
    values: dict[str, Any] = dict(QUICK) if args.pop("quick") else {}
    rates = args.pop("rates")
    if rates:
        values["rates"] = tuple(float(r) for r in rates.split(","))
    values.update({k: v for k, v in args.items() if v is not None})
    return Options(**values)


if __name__ == "__main__":
    options = parse_options()
    configure_logging("bench-saga", level=logging.WARNING)
    outcome = uvloop.run(main(options))  # the load generator on the services' loop: it shares their 2 cores
    judged_rows = rows(outcome)
    outcome["targets"] = [row.as_json() for row in judged_rows]
    outcome["targets_summary"] = targets_summary(judged_rows)
    RESULTS.mkdir(exist_ok=True)  # written before printing: a long run's figures are kept whatever happens
    (RESULTS / "saga.json").write_text(json.dumps(jsonable(outcome), indent=2, ensure_ascii=False) + "\n")
    print_report(outcome, judged_rows)
