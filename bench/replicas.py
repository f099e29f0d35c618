"""Benchmark: does a second replica of booths and billing make the saga faster? The saga (approve → booths
assigned → invoice issued) through the real processes on the local PostgreSQL, run twice in one run: once
with one replica of booths and billing, once with two of each (the second replica of a service shares its
database and consumer group: each replica gets some of the partitions, one relay at a time publishes the
outbox). Issue 12 wants two replicas to be faster than one.

Each configuration gets a fresh platform: the embedded broker and redis-server in a temporary var dir, fresh
PostgreSQL databases for registration, booths and billing (`hv_bench_<uuid>`, dropped at the end whatever
happens), and only those three services (the saga needs no other, and the machine is small). Then:

  setup     fairs published over HTTP, `--fairs-per-partition` of them on each of the 3 partitions (a fair's
            events are keyed by its id), so both replicas get the same share of work in every configuration;
            exhibitor profiles and one registration each, spread round robin over the fairs (not timed)
  warm-up   one saga per fair, waited for: connections open and the consumer group settled
  floor     raw aiokafka through the same broker: one hop and two hops (approved → assigned → issued's shape)
  burst     `--sagas` approvals at `--concurrency` concurrent calls (a fixed offered load, more than the saga
            keeps up with), interleaved across the fairs; each saga timed from the approve call to the
            `ce_time` of its `invoice.issued`, read from the topics. The wait for the invoices is bounded
            (`--drain`): what did not finish is counted, never waited for forever. The approve endpoint (one
            registration process in both configurations) answers only some 30 calls a second here, so the
            burst alone may not saturate booths and billing; the table says whether it did.
  backlog   booths and billing (every replica) stopped, `--backlog` approvals sent and published, booths and
            billing started again: invoices/s from the first `booths.assigned` to the last invoice is what
            they do on their own, whatever pace the approvals came at.

It prints sagas/s and approve → invoice p50/p95/p99 for both, the backlog's invoices/s, the ratio two/one, the
raw two-hop floor of each run, what each replica applied (and parked, retried, dead-lettered), and the load
average at the start and end of each part.

    uv run python -m bench.replicas                       # 300 + 300 sagas per configuration, about 5 minutes
    uv run python -m bench.replicas --order 1,2,2,1        # each twice, the comparison on medians

Without a reachable PostgreSQL it says so and exits 0 (as the PostgreSQL tests skip without TEST_POSTGRES_URL).
In the two-replica backlog, the two processes of a service start together and the group rebalances when the
second joins: that pause is in its figures, as it would be after a real restart.
    HANGVIET_BENCH_POSTGRES_URL=postgresql+asyncpg://user@host:5432/postgres uv run python -m bench.replicas

Writes bench/results/replicas.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench.saga import Approve, all_issued, approver, burst, step
from bench.support import http, kafka, procs
from bench.support.events import EventReader
from bench.support.replicas import (
    PARTITIONS,
    QUANTILES,
    backlog_figures,
    balanced,
    comparison_rows,
    conclusion,
    delivery_text,
    interleave,
    load_text,
    median_run,
    partition_of,
    saturated,
    shares,
    steady_rate,
    wanted,
)
from bench.support.sagas import phase_figures
from bench.support.stats import Row, jsonable, ratio, render_table, summarize, targets_summary
from devstack.embedded import free_port
from devstack.platform import Platform, start_platform
from devstack.supervisor import ServiceSpec
from shared.auth import Role
from shared.logs import configure_logging

RESULTS = Path(__file__).parent / "results"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SERVICES = ("registration", "booths", "billing")
REPLICATED = ("booths", "billing")


@dataclass
class Options:
    """What to run."""

    sagas: int = 300
    backlog: int = 300
    concurrency: int = 50
    fairs_per_partition: int = 2
    order: tuple[int, ...] = (1, 2)
    drain_s: float = 120
    floor_samples: int = 100
    postgres_url: str = ""
    keep: str = ""


def parse_options(argv: list[str] | None = None) -> Options:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sagas", type=int, help="approvals of each configuration's burst (300)")
    parser.add_argument("--backlog", type=int, help="approvals queued while booths and billing are stopped "
                        "(300; 0: no backlog part)")
    parser.add_argument("--concurrency", type=int, help="concurrent approve calls, and callers in the setup (50)")
    parser.add_argument("--fairs-per-partition", type=int, help="fairs on each of the 3 partitions (2)")
    parser.add_argument("--order", help="replicas of each configuration, in the order run (1,2); a configuration "
                        "named twice runs twice and the comparison takes medians, e.g. 1,2,2,1")
    parser.add_argument("--drain", type=float, dest="drain_s", help="longest wait for the invoices after the "
                                                                     "last approval (120)")
    parser.add_argument("--floor-samples", type=int, help="messages per floor measurement (100)")
    parser.add_argument("--postgres", dest="postgres_url", help="PostgreSQL server URL whose user may create "
                        "databases (HANGVIET_BENCH_POSTGRES_URL, TEST_POSTGRES_URL, else the local one)")
    parser.add_argument("--keep", help="run in this var dir and keep it (logs; the databases are dropped anyway)")
    args = vars(parser.parse_args(argv))
    order = args.pop("order")
    values: dict[str, Any] = {k: v for k, v in args.items() if v is not None}
    if order:
        values["order"] = tuple(int(n) for n in order.split(","))
    opts = Options(**values)
    if set(opts.order) != {1, 2}:
        parser.error("--order must name 1 and 2 replicas, and nothing else (e.g. 1,2 or 1,2,2,1)")
    if opts.sagas < 1 or opts.concurrency < 1 or opts.fairs_per_partition < 1 or opts.backlog < 0:
        parser.error("--sagas, --concurrency and --fairs-per-partition must be positive, --backlog not negative")
    return opts


def postgres_url(opts: Options) -> str:
    return (opts.postgres_url or os.environ.get("HANGVIET_BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
            or DEFAULT_POSTGRES)


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@contextlib.asynccontextmanager
async def fresh_databases(server_url: str, services: Sequence[str]) -> AsyncIterator[dict[str, str]]:
    """One new database per service (`<SERVICE>_DATABASE_URL` → its URL), dropped on the way out."""
    names = {s: f"hv_bench_{uuid.uuid4().hex[:12]}" for s in services}
    root = server_url.rpartition("/")[0]
    conn = await asyncpg.connect(_plain(server_url))
    try:
        for name in names.values():
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield {f"{s.upper()}_DATABASE_URL": f"{root}/{name}" for s, name in names.items()}
    finally:
        conn = await asyncpg.connect(_plain(server_url))
        try:
            for name in names.values():
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def add_replicas(platform: Platform) -> None:
    """A second process of booths and of billing: same database, same consumer group, another port."""
    specs = []
    for name in REPLICATED:
        port = free_port()
        spec = ServiceSpec(f"{name}-2", port, f"services.{name}")
        platform.supervisor.start(spec, {**platform.env, f"{name.upper()}_PORT": str(port)},
                                  platform.var_dir / "logs" / f"{name}-2.log")
        platform.ports[spec.name] = port
        specs.append(spec)
    await asyncio.gather(*(platform.supervisor.wait_ready(s, timeout=120) for s in specs))


def replica_names(platform: Platform) -> dict[str, list[str]]:
    """Each replicated service's running processes, by the name the supervisor knows them by."""
    return {s: [n for n in (s, f"{s}-2") if n in platform.ports] for s in REPLICATED}


async def delivery(client: http.Client, platform: Platform) -> dict[str, dict[str, int]]:
    """What each replica's consumers did since it started (from /admin/delivery: applied, parked, duplicates,
    dead-lettered, ...), summed over its consumers."""
    admin = http.bearer(role=Role.ADMIN, subject="bench")
    out: dict[str, dict[str, int]] = {}
    for names in replica_names(platform).values():
        for name in names:
            res = await client.get(f"{platform.url(name)}/admin/delivery", headers=admin)
            res.raise_for_status()
            totals: dict[str, int] = {}
            for consumer in res.json()["consumers"]:
                for key, value in consumer["stats"].items():
                    totals[key] = totals.get(key, 0) + int(value)
            out[name] = totals
    return out


async def balanced_fairs(client: http.Client, platform: Platform, reader: EventReader, per_partition: int,
                         capacity: int) -> tuple[list[str], int]:
    """Fairs created until `per_partition` of them lie on each partition; only those are published (the others
    stay drafts). Their floor plans are waited for. Also how many fairs were created."""
    url, org = platform.url("registration"), http.organizer()
    kept: list[str] = []
    created = 0
    while not balanced(kept, per_partition):
        if created > 50 * per_partition * PARTITIONS:
            raise RuntimeError(f"no balanced set of fairs after {created} created")
        res = await client.post(f"{url}/fairs", json=http.fair_body(capacity), headers=org)
        res.raise_for_status()
        created += 1
        fair_id = str(res.json()["id"])
        if wanted(kept, fair_id, per_partition):
            (await client.post(f"{url}/fairs/{fair_id}/publish", headers=org)).raise_for_status()
            kept.append(fair_id)
    if not await reader.wait_for(lambda: set(kept) <= reader.log.floorplans, 120):
        raise RuntimeError("booths published no floor plan for some fairs within 120 s")
    return kept, created


async def registrations(client: http.Client, platform: Platform, fairs: Sequence[str], count: int,
                        concurrency: int) -> tuple[list[list[str]], dict[str, Any]]:
    """`count` exhibitors, each with a profile and one registration, spread round robin over the fairs;
    the registration ids per fair, and how the calls went."""
    url = platform.url("registration")
    codes = http.tax_codes()
    people = [(f"rx{i}", http.exhibitor(f"rx{i}"), http.exhibitor_body(i, next(codes)), fairs[i % len(fairs)])
              for i in range(count)]

    async def one(person: tuple[str, dict[str, str], dict[str, Any], str]) -> http.Call:
        _, headers, body, fair_id = person
        profile = await http.timed(client.post(f"{url}/exhibitors", json=body, headers=headers))
        if profile.status != "201":
            return profile
        return await http.timed(client.post(f"{url}/fairs/{fair_id}/registrations", json={"booths_requested": 1},
                                            headers=headers))

    calls = await http.pool(people, one, concurrency)
    per_fair: dict[str, list[str]] = {f: [] for f in fairs}
    for person, call in zip(people, calls, strict=True):
        if call.status == "201":
            per_fair[person[3]].append(str(call.body["id"]))
    return [per_fair[f] for f in fairs], http.calls_summary(calls, "201")


async def configuration(replicas: int, opts: Options, var_dir: Path) -> dict[str, Any]:
    """One configuration from start to stop: fresh databases and platform, setup, warm-up, floor, burst,
    backlog."""
    run: dict[str, Any] = {"replicas": replicas, "load_average": {"start": procs.load_average()}}
    fairs_total = opts.fairs_per_partition * PARTITIONS
    # The burst's and the backlog's share, 10 % spare (a setup call may fail under load), and the warm-up saga.
    per_fair = -(-(opts.sagas + opts.backlog) * 11 // (10 * fairs_total)) + 1
    async with fresh_databases(postgres_url(opts), SERVICES) as databases:
        step(f"{replicas} replica(s): platform on PostgreSQL ({', '.join(SERVICES)})")
        started = time.monotonic()
        platform = await start_platform(var_dir, services=SERVICES, extra_env=databases)
        reader = EventReader(platform.bootstrap)
        try:
            if replicas == 2:
                await add_replicas(platform)
            run["start_s"] = round(time.monotonic() - started, 1)
            await reader.start()
            async with http.client(opts.concurrency + 20) as client:
                step(f"{replicas} replica(s): setup: {fairs_total} fairs, {per_fair * fairs_total} registrations")
                fairs, created = await balanced_fairs(client, platform, reader, opts.fairs_per_partition,
                                                      capacity=per_fair + 10)
                ids, run["setup"] = await registrations(client, platform, fairs, per_fair * fairs_total,
                                                        opts.concurrency)
                run["fairs"] = {"published": len(fairs), "created": created,
                                "partitions": [partition_of(f) for f in fairs]}
                approve = approver(client, platform)

                step(f"{replicas} replica(s): warm-up, one saga per fair")
                warm = [await approve(group[0]) for group in ids if group]
                warm_ids = [a.registration_id for a in warm if a.ok]
                run["warm_up"] = {"sagas": len(warm), "ok": len(warm_ids), "issued": await reader.wait_for(
                    functools.partial(all_issued, reader, warm_ids), 60)}

                step(f"{replicas} replica(s): floor, raw aiokafka through the same broker")
                floor_load = procs.load_average()
                run["floor"] = {"one_hop": summarize(await kafka.hop_latencies(platform.bootstrap, 1,
                                                                               opts.floor_samples)),
                                "two_hop": summarize(await kafka.hop_latencies(platform.bootstrap, 2,
                                                                               opts.floor_samples)),
                                "load_average": {"start": floor_load, "end": procs.load_average()}}

                queue = interleave([group[1:] for group in ids])
                batch, rest = queue[:opts.sagas], queue[opts.sagas:opts.sagas + opts.backlog]
                step(f"{replicas} replica(s): burst of {len(batch)} approvals at concurrency {opts.concurrency}")
                run["burst"] = await live_burst(client, platform, reader, batch, approve, opts)
                step(f"{replicas} replica(s): {run['burst']['completed']}/{len(batch)} invoices, "
                     f"{run['burst']['sagas_per_s']:.1f} sagas/s")
                if rest:
                    step(f"{replicas} replica(s): backlog: booths and billing stopped, {len(rest)} approvals, "
                         "then started again")
                    run["backlog"] = await backlog(client, platform, reader, rest, approve, opts)
                    step(f"{replicas} replica(s): backlog: {run['backlog']['completed']}/{len(rest)} invoices, "
                         f"{run['backlog']['invoices_per_s'] or 0:.1f} invoices/s")
                run["restarts"] = {n: platform.supervisor.restarts(n) for n in platform.supervisor.names}
                run["events"] = {"records_read": reader.log.records, "waitlisted": len(reader.log.waitlisted),
                                 "dead_letters": dict(reader.log.dead_letters)}
        finally:
            await reader.stop()
            platform.stop()
    run["load_average"]["end"] = procs.load_average()
    return run


async def live_burst(client: http.Client, platform: Platform, reader: EventReader, batch: list[str],
                     approve: Approve, opts: Options) -> dict[str, Any]:
    """The approvals at `opts.concurrency` with everything running; a bounded wait for their invoices."""
    before = await delivery(client, platform)
    load_start, sent = procs.load_average(), time.monotonic()
    approvals = await burst(batch, opts.concurrency, approve)
    sending_s = time.monotonic() - sent
    wanted_ids = [a.registration_id for a in approvals if a.ok]
    drained = await reader.wait_for(functools.partial(all_issued, reader, wanted_ids), opts.drain_s)
    figures = phase_figures("burst", approvals, reader.log.step, offered_per_s=None)
    issued = [s.emitted for s in (reader.log.step(r, "issued") for r in wanted_ids) if s is not None]
    figures.update({"sending_s": round(sending_s, 1), "drained": drained,
                    "waited_after_sending_s": round(time.monotonic() - sent - sending_s, 1),
                    "load_average": {"start": load_start, "end": procs.load_average()},
                    "delivery_by_replica": shares(before, await delivery(client, platform)),
                    "steady_sagas_per_s": steady_rate(issued)})
    figures["saturated"] = saturated(figures)
    return figures


async def backlog(client: http.Client, platform: Platform, reader: EventReader, batch: list[str],
                  approve: Approve, opts: Options) -> dict[str, Any]:
    """Booths and billing (every replica) stopped; the approvals sent and published; booths and billing started
    again: how fast they work off the queue, whatever pace the approve endpoint can keep."""
    consumers = specs(platform)
    load_start = procs.load_average()
    for spec, _ in consumers:
        platform.supervisor.stop(spec.name)
    approvals = await burst(batch, opts.concurrency, approve)
    wanted_ids = [a.registration_id for a in approvals if a.ok]
    published = await reader.wait_for(lambda: all(reader.log.step(r, "approved") for r in wanted_ids),
                                      opts.drain_s)
    restarted = time.time()
    for spec, env in consumers:
        platform.supervisor.start(spec, env, platform.var_dir / "logs" / f"{spec.name}.log")
    await asyncio.gather(*(platform.supervisor.wait_ready(spec, timeout=120) for spec, _ in consumers))
    ready = time.time()
    drained = await reader.wait_for(functools.partial(all_issued, reader, wanted_ids), opts.drain_s)
    figures = backlog_figures(wanted_ids, reader.log.step, restarted=restarted, ready=ready)
    figures.update({"approvals": len(approvals), "approve_ok": len(wanted_ids), "published": published,
                    "drained": drained, "load_average": {"start": load_start, "end": procs.load_average()},
                    "delivery_by_replica": shares({}, await delivery(client, platform))})
    return figures


def specs(platform: Platform) -> list[tuple[ServiceSpec, dict[str, str]]]:
    """How every process of booths and billing (replicas included) is started: its spec and environment."""
    out = []
    for service, names in replica_names(platform).items():
        for name in names:
            port = platform.ports[name]
            out.append((ServiceSpec(name, port, f"services.{service}"),
                        {**platform.env, f"{service.upper()}_PORT": str(port)}))
    return out


async def main(opts: Options) -> dict[str, Any]:
    """Each configuration in turn, in its own var dir."""
    report: dict[str, Any] = {"options": asdict(opts), "cores": os.cpu_count(), "partitions": PARTITIONS,
                              "postgres": postgres_url(opts).rpartition("@")[2],
                              "load_average": {"start": procs.load_average()}, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(opts.keep or tmp)
        for index, replicas in enumerate(opts.order, 1):
            report["runs"].append(await configuration(replicas, opts, base / f"run{index}-replicas-{replicas}"))
    report["load_average"]["end"] = procs.load_average()
    return report


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return "never" if value == float("inf") else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def print_report(report: dict[str, Any], judged: list[Row]) -> None:
    """The tables on stdout."""
    w = sys.stdout.write
    la = report["load_average"]
    w(f"\nreplica benchmark — {report['cores']} cores, load average {la['start']} → {la['end']}, PostgreSQL "
      f"{report['postgres']}, {report['partitions']} partitions per topic, "
      f"{report['options']['fairs_per_partition']} fairs on each\n\n")
    w(f"{'replicas':<9}{'start s':>8}{'sent':>6}{'ok':>5}{'answered/s':>11}{'issued':>7}{'missing':>8}"
      f"{'sagas/s':>8}{'steady/s':>9}{'p50':>8}{'p95':>8}{'p99':>8}   {'2-hop p50/p99':<14}{'waited s':>9}"
      "  load start → end\n")
    for run in report["runs"]:
        b, f = run["burst"], run["floor"]["two_hop"]
        total = b["hops"]["total"]
        w(f"{run['replicas']:<9}{run['start_s']:>8}{b['approvals']:>6}{b['approve_ok']:>5}"
          f"{b['answered_per_s'] or 0:>11.1f}{b['completed']:>7}{b['not_completed']:>8}{b['sagas_per_s']:>8.1f}"
          f"{_rate(b.get('steady_sagas_per_s')):>9}"
          f"{_ms(total['p50']):>8}{_ms(total['p95']):>8}{_ms(total['p99']):>8}   "
          f"{_ms(f['p50']) + ' / ' + _ms(f['p99']):<14}{b['waited_after_sending_s']:>9}  "
          f"{load_text(b['load_average'])}\n")
    w("\nper hop in the burst (ms, from ce_time; 'never' = not within the wait)\n"
      f"{'replicas':<9}{'hop':<24}{'p50':>8}{'p95':>8}{'p99':>8}\n")
    for run in report["runs"]:
        for index, (hop, s) in enumerate(run["burst"]["hops"].items()):
            w(f"{run['replicas'] if index == 0 else '':<9}{hop:<24}{_ms(s['p50']):>8}{_ms(s['p95']):>8}"
              f"{_ms(s['p99']):>8}\n")
    backlogs = [run for run in report["runs"] if "backlog" in run]
    if backlogs:
        w("\nbacklog: booths and billing stopped, the approvals queued, then started again; invoices/s from the "
          "first booths.assigned to the last invoice\n"
          f"{'replicas':<9}{'sent':>6}{'ok':>5}{'ready s':>8}{'issued':>7}{'missing':>8}{'invoices/s':>11}"
          f"{'steady/s':>9}{'start → last s':>15}  load start → end\n")
        for run in backlogs:
            k = run["backlog"]
            w(f"{run['replicas']:<9}{k['approvals']:>6}{k['approve_ok']:>5}{k['ready_s']:>8}{k['completed']:>7}"
              f"{k['not_completed']:>8}{_rate(k['invoices_per_s']):>11}{_rate(k['steady_invoices_per_s']):>9}"
              f"{k['start_to_last_invoice_s'] if k['start_to_last_invoice_s'] is not None else '—':>15}  "
              f"{load_text(k['load_average'])}\n")
    w("\nwhat each replica's consumers did (from /admin/delivery)\n")
    for run in report["runs"]:
        restarted = {n: c for n, c in run["restarts"].items() if c}
        w(f"  {run['replicas']} replica(s), fairs on partitions {sorted(run['fairs']['partitions'])}; dead-letter "
          f"records on the topics {run['events']['dead_letters'] or 0}"
          f"{'; RESTARTED ' + str(restarted) if restarted else ''}\n"
          f"    burst:   {delivery_text(run['burst']['delivery_by_replica'])}\n")
        if "backlog" in run:
            w(f"    backlog: {delivery_text(run['backlog']['delivery_by_replica'])}\n")
        if run["burst"]["approve_statuses"]:
            w(f"    approvals not answered 'approved': {run['burst']['approve_statuses']}\n")
    runs = {n: sum(run["replicas"] == n for run in report["runs"]) for n in (1, 2)}
    medians = f"; medians over {runs[1]} and {runs[2]} runs" if max(runs.values()) > 1 else ""
    w("\n" + render_table(f"two replicas against one (ratio = two / one; issue 12: higher than one replica{medians})",
                          judged) + "\n")
    w(f"\n{report['conclusion']}.\n{report['partitions']} partitions are split 2/1 between two replicas, so 1.5× "
      f"is the most two can give even on idle cores; this machine has {report['cores']} cores shared by the "
      f"broker, redis, PostgreSQL and every service process.\n")
    if max(runs.values()) == 1:
        w("One run of each configuration: on a loaded machine one pair can mislead (rerun, or --order 1,2,2,1 to "
          "compare medians of two runs each).\n")


def finish(report: dict[str, Any]) -> list[Row]:
    """The comparison of the run (two replicas against one; the median of each figure when a configuration
    ran more than once) added to the report; its rows."""
    one = median_run([run for run in report["runs"] if run["replicas"] == 1])
    two = median_run([run for run in report["runs"] if run["replicas"] == 2])
    judged = comparison_rows(one, two)
    report["compared"] = {"one": one, "two": two}
    report["comparison"] = [row.as_json() for row in judged]
    report["targets_summary"] = targets_summary(judged)
    report["ratio_two_over_one"] = {"sagas_per_s": ratio(two["burst"]["sagas_per_s"], one["burst"]["sagas_per_s"]),
                                    "steady_sagas_per_s": ratio(two["burst"]["steady_sagas_per_s"],
                                                                one["burst"]["steady_sagas_per_s"]),
                                    **{q: ratio(two["burst"]["hops"]["total"][q], one["burst"]["hops"]["total"][q])
                                       for q in QUANTILES}}
    if "backlog" in one and "backlog" in two:
        report["ratio_two_over_one"]["backlog_invoices_per_s"] = ratio(two["backlog"]["invoices_per_s"],
                                                                       one["backlog"]["invoices_per_s"])
    report["conclusion"] = conclusion(one, two)
    return judged


async def unreachable(server_url: str) -> str:
    """Why the PostgreSQL server cannot be used, or "" when it can."""
    try:
        conn = await asyncpg.connect(_plain(server_url), timeout=10)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return ""


if __name__ == "__main__":
    options = parse_options()
    configure_logging("bench-replicas", level=logging.WARNING)
    server = postgres_url(options)
    why = asyncio.run(unreachable(server))
    if why:  # like the PostgreSQL tests without TEST_POSTGRES_URL: skipped, said, not failed
        text = (f"bench.replicas skipped: no PostgreSQL at {server.rpartition('@')[2]} ({why}); "
                "give one with --postgres or HANGVIET_BENCH_POSTGRES_URL")
        print(text)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "replicas.json").write_text(json.dumps({"skipped": text}, indent=2, ensure_ascii=False) + "\n")
        sys.exit(0)
    outcome = asyncio.run(main(options))
    judged_rows = finish(outcome)
    RESULTS.mkdir(exist_ok=True)  # written before printing: the figures are kept whatever happens
    (RESULTS / "replicas.json").write_text(json.dumps(jsonable(outcome), indent=2, ensure_ascii=False) + "\n")
    print_report(outcome, judged_rows)
