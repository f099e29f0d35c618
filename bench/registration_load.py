"""Benchmark: the registration service's write path over HTTP, alone — the embedded broker and Redis, the
registration process on SQLite (or `--database-url`), no other service competing for the 2 cores — with
its floor, `/health` at the same concurrency, measured in the same run. Issue 12's targets beside each figure.

  floor      /health at the concurrency of the phases
  profiles   N exhibitors create their profiles (POST /exhibitors)
  rush       the N exhibitors submit to one fair (POST /fairs/{id}/registrations); `GET /fairs/{id}` and
             `/health` polled one at a time meanwhile
  approvals  the organizer approves the N registrations (POST /registrations/{id}/approve), same polling

Beside each phase: the service's CPU per call (user + system, every thread, in ms) — read with the machine's
load average, since the benches share a 2-core machine with whatever else runs.

    uv run python -m bench.registration_load            # 5,000 exhibitors at concurrency 50, about 4 minutes
    uv run python -m bench.registration_load --quick    # 500 exhibitors

Prints the table and writes bench/results/registration_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import psutil

from bench.support import http, procs
from bench.support.stats import Row, Target, jsonable, render_table, summarize, targets_summary
from devstack.platform import Platform, start_platform
from shared.logs import configure_logging

RESULTS = Path(__file__).parent / "results"


async def phase(platform: Platform, name: str, calls: Callable[[], Awaitable[list[http.Call]]], ok: str,
                poll_fair: str | None = None) -> dict[str, Any]:
    """Run `calls`, polling the fair and /health meanwhile; its figures, the service's CPU per call, the load."""
    service = psutil.Process(platform.supervisor.process("registration").pid)
    stop = asyncio.Event()
    polled: dict[str, list[float]] = {"read": [], "health": []}
    poller = asyncio.create_task(poll(platform, poll_fair, stop, polled)) if poll_fair else None
    load, cpu = procs.load_average(), sum(service.cpu_times()[:2])
    done = await calls()
    cpu = sum(service.cpu_times()[:2]) - cpu
    stop.set()
    if poller:
        await poller
    print(f"  {name}: {len(done)} calls", file=sys.stderr, flush=True)
    return {**http.calls_summary(done, ok), "service_cpu_ms_per_call": cpu / len(done) * 1000,
            "polled": {k: summarize(v) for k, v in polled.items()} if poll_fair else None,
            "load_average": {"start": load, "end": procs.load_average()}}


async def poll(platform: Platform, fair_id: str | None, stop: asyncio.Event, out: dict[str, list[float]]) -> None:
    url = platform.url("registration")
    async with http.client(2) as client:
        while not stop.is_set():
            for name, path in (("read", f"/fairs/{fair_id}"), ("health", "/health")):
                out[name].append((await http.timed(client.get(f"{url}{path}"))).ms)
            await asyncio.sleep(0.05)


async def run(opts: argparse.Namespace) -> dict[str, Any]:
    """Start the broker, Redis and the registration service; floor, profiles, rush, approvals; stop it all."""
    report: dict[str, Any] = {"options": vars(opts), "cores": os.cpu_count(),
                              "load_average": {"start": procs.load_average()}}
    extra = {"REGISTRATION_DATABASE_URL": opts.database_url} if opts.database_url else {}
    with tempfile.TemporaryDirectory() as tmp:
        platform = await start_platform(Path(tmp), services=("registration",), extra_env=extra)
        try:
            async with http.client(opts.concurrency) as client:
                report.update(await phases(client, platform, opts))
        finally:
            platform.stop()
    report["load_average"]["end"] = procs.load_average()
    return report


async def phases(client: http.Client, platform: Platform, opts: argparse.Namespace) -> dict[str, Any]:
    url, org, c = platform.url("registration"), http.organizer(), opts.concurrency
    fair = await client.post(f"{url}/fairs", json=http.fair_body(opts.exhibitors), headers=org)
    fair.raise_for_status()
    fair_id = fair.json()["id"]
    (await client.post(f"{url}/fairs/{fair_id}/publish", headers=org)).raise_for_status()
    codes = http.tax_codes("82")
    people = [(http.exhibitor(f"rl{i}"), http.exhibitor_body(i, next(codes))) for i in range(opts.exhibitors)]
    out: dict[str, Any] = {"fair_id": fair_id}
    out["floor"] = await phase(platform, "floor", lambda: http.pool(
        range(opts.health_requests), lambda _: http.timed(client.get(f"{url}/health")), c), "200")
    out["profiles"] = await phase(platform, "profiles", lambda: http.pool(people, lambda p: http.timed(
        client.post(f"{url}/exhibitors", json=p[1], headers=p[0])), c), "201")
    submits: list[http.Call] = []

    async def rush() -> list[http.Call]:
        submits.extend(await http.pool(people, lambda p: http.timed(client.post(
            f"{url}/fairs/{fair_id}/registrations", json={"booths_requested": 1}, headers=p[0])), c))
        return submits

    out["rush"] = await phase(platform, "rush", rush, "201", poll_fair=fair_id)
    ids = [call.body["id"] for call in submits if call.status == "201"]
    out["approvals"] = await phase(platform, "approvals", lambda: http.pool(ids, lambda i: http.timed(
        client.post(f"{url}/registrations/{i}/approve", headers=org)), c), "200", poll_fair=fair_id)
    out["approved_booths_after"] = (await client.get(f"{url}/fairs/{fair_id}")).json()["approved_booths"]
    out["registrations"] = len(ids)
    return out


def rows(report: dict[str, Any]) -> list[Row]:
    """Each phase against /health at the same concurrency, with issue 12's targets."""
    floor, rush, approvals = report["floor"], report["rush"], report["approvals"]
    conc = report["options"]["concurrency"]
    health_cpu = [("/health, same run", floor["service_cpu_ms_per_call"])]
    out = [Row(f"/health req/s (concurrency {conc}): the floor", floor["per_s"], "/s")]
    for name, phase_ in (("profiles created", report["profiles"]), ("rush: submits", rush),
                         ("approvals", approvals)):
        targets = (Target(">=", 0.6, on="ratio"),) if phase_ is rush else ()
        if phase_ is approvals:
            targets = (Target(">=", 200),)
        out += [Row(f"{name}/s (concurrency {conc})", phase_["per_s"], "/s",
                    [("/health req/s, same conc.", floor["per_s"])], targets),
                Row(f"{name}: errors", float(phase_["errors"]), "", targets=(Target("==", 0),),
                    note=", ".join(f"{k}: {v}" for k, v in phase_["statuses"].items()
                                   if k not in ("200", "201"))),
                Row(f"{name}: latency p50 / p99", phase_["latency"]["p50"], "ms",
                    [("/health p50, same conc.", floor["latency"]["p50"])],
                    note=f"p99 {phase_['latency']['p99']:.0f} ms (/health p99 {floor['latency']['p99']:.0f} ms)"),
                Row(f"{name}: service CPU per call", phase_["service_cpu_ms_per_call"], "ms", health_cpu)]
    for name, phase_ in (("rush", rush), ("approvals", approvals)):
        read, health = phase_["polled"]["read"], phase_["polled"]["health"]
        out.append(Row(f"{name}: GET /fairs/{{id}} p50 meanwhile", read["p50"], "ms",
                       [("/health p50 meanwhile", health["p50"])], (Target("<=", 3, on="ratio"),)))
    out.append(Row("booths granted after the approvals (1 per registration)", float(report["approved_booths_after"]),
                   "", targets=(Target("==", float(report["registrations"])),)))
    return out


def parse_options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exhibitors", type=int, default=5000, help="exhibitors (profiles, submits, approvals)")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent callers of every phase (50)")
    parser.add_argument("--health-requests", type=int, default=2000, help="/health calls of the floor (2000)")
    parser.add_argument("--database-url", default="", help="the service's database (default: SQLite file)")
    parser.add_argument("--quick", action="store_true", help="500 exhibitors, 500 /health calls")
    opts = parser.parse_args(argv)
    if opts.quick:
        opts.exhibitors, opts.health_requests = 500, 500
    return opts


if __name__ == "__main__":
    options = parse_options()
    configure_logging("bench-registration", level=logging.WARNING)
    started = time.monotonic()
    outcome = asyncio.run(run(options))
    outcome["seconds"] = round(time.monotonic() - started, 1)
    judged = rows(outcome)
    outcome["targets"] = [row.as_json() for row in judged]
    outcome["targets_summary"] = targets_summary(judged)
    RESULTS.mkdir(exist_ok=True)  # written before printing, as every bench does
    (RESULTS / "registration_load.json").write_text(json.dumps(jsonable(outcome), indent=2, ensure_ascii=False)
                                                    + "\n")
    load = outcome["load_average"]
    print(render_table(f"registration write path, {options.exhibitors} exhibitors at concurrency "
                       f"{options.concurrency} ({outcome['cores']} cores; load average {load['start']} → "
                       f"{load['end']})", judged))
    print(f"targets: {outcome['targets_summary']}")
