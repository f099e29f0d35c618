"""Benchmark: does a slow webhook receiver delay the other subscribers? The subscriptions service runs in
process (FastStream's in-memory broker, a SQLite file) and delivers to real HTTP receivers on 127.0.0.1.
The same events go to the same fast subscribers in each scenario, measured in the same run:

  control-1  fast subscribers, plus one more fast one (not measured)
  slow       the extra one answers after --slow-s seconds
  hanging    the extra one never answers within the call timeout (retried, then parked)
  control-6  six extra fast ones, pools of 4 (main) and 2 (slow)
  crowded    the six answer slowly: more slow receivers than the main pool (4) has slots; they move to
             the slow pool (2) after their first slow call
  saturated  the same with slow-call detection off (one pool): the slow receivers hold every slot and the
             fast subscribers queue behind them

Events are published at a steady rate; latency = receiver arrival - publish, for every (event, fast
subscriber). Scenarios are interleaved over rounds and the medians kept. Prints a table and writes
bench/results/webhooks.json.

    uv run python -m bench.webhooks [--events 30] [--rate 3] [--fast 8] [--slow-s 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import structlog
import uvicorn
from faststream.kafka import TestKafkaBroker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from services.subscriptions.app import create_app
from services.subscriptions.settings import SubscriptionsSettings
from shared.auth import Role, issue_token
from shared.contracts.registration import FairPublished, PartyInfo
from shared.envelope import event_headers
from shared.settings import load_settings

RESULTS = Path(__file__).parent / "results"


@dataclass
class Receiver:
    """A webhook receiver on a real socket that records when each webhook-id first arrived."""

    delay_s: float = 0.0
    arrivals: dict[str, float] = field(default_factory=dict)
    url: str = ""

    async def endpoint(self, request: Request) -> PlainTextResponse:
        await request.body()
        self.arrivals.setdefault(request.headers["webhook-id"], time.perf_counter())
        await asyncio.sleep(self.delay_s)
        return PlainTextResponse("ok")


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[Receiver]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    app = Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])])
    # Stopped at once (deliveries still in flight are cancelled): uvicorn says so at error level for every stop,
    # even of none, 170 lines in a run of this bench; the receiver's own errors show as failed deliveries.
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False, log_level="critical",
                                           timeout_graceful_shutdown=0, limit_concurrency=1000))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        server.force_exit = True
        await task
        sock.close()


def fair_event(n: int) -> FairPublished:
    now = datetime.now(UTC)
    return FairPublished(
        fair_id=f"bench-fair-{n}", centre_id="tq", name=f"Hội chợ {n}", kind="provincial", province_code="08",
        venue="Quảng trường", starts_on=date(2027, 1, 20), ends_on=date(2027, 1, 26), registration_opens_at=now,
        registration_closes_at=now, capacity_booths=70, booth_price_vnd=5_000_000, max_booths_per_exhibitor=4,
        seller=PartyInfo(name="TT KC&XTTM", tax_code="0100233488"))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def scenario(name: str, *, events: int, rate: float, fast: int, slow: int, slow_s: float, timeout_s: float,
                   concurrency: int, workdir: Path, slow_pool: int = 8, slow_call_s: float = 1.0) -> dict[str, Any]:
    """Run one scenario on a fresh database, publishing `rate` events a second; latencies of the fast
    subscribers only."""
    db_file = workdir / f"{name}-{time.monotonic_ns()}.db"
    settings = load_settings("subscriptions", database_url=f"sqlite+aiosqlite:///{db_file}",
                             var_dir=workdir, env="test")
    own = SubscriptionsSettings(webhook_allow_loopback=True, webhook_timeout_s=timeout_s,
                                webhook_max_concurrency=concurrency, webhook_poll_s=0.2,
                                webhook_slow_concurrency=slow_pool, webhook_slow_call_s=slow_call_s)
    app = create_app(settings, subscriptions=own)
    token = issue_token(settings.jwt_secret, role=Role.REGIONAL, subject="bench", region="north")
    auth = {"Authorization": f"Bearer {token}"}
    async with AsyncExitStack() as stack:
        fast_receivers = [await stack.enter_async_context(serving(Receiver())) for _ in range(fast)]
        slow_receivers = [await stack.enter_async_context(serving(Receiver(delay_s=slow_s))) for _ in range(slow)]
        broker = app.state.runtime.broker
        await stack.enter_async_context(TestKafkaBroker(broker))
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = await stack.enter_async_context(httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                                   base_url="http://bench"))
        for receiver in [*slow_receivers, *fast_receivers]:  # the slow lanes first: the worst case
            res = await client.post("/subscriptions", headers=auth,
                                    json={"url": receiver.url, "provinces": ["08"], "event_types": ["fair.*"]})
            res.raise_for_status()
        published: dict[str, float] = {}
        started = time.perf_counter()
        for n in range(events):
            event = fair_event(n)
            headers = event_headers(event, source="/bench", correlation_id="bench")
            published[headers["ce_id"]] = time.perf_counter()
            await broker.publish(event.model_dump_json().encode(), topic=event.topic, key=event.key().encode(),
                                 headers=headers)
            await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.perf_counter()))
        while sum(len(r.arrivals) for r in fast_receivers) < events * fast:
            await asyncio.sleep(0.02)
        drained_s = time.perf_counter() - started
        slow_done = sum(len(r.arrivals) for r in slow_receivers)
    latencies = [(r.arrivals[i] - t) * 1000 for r in fast_receivers for i, t in published.items()]
    return {"scenario": name, "fast_subscribers": fast, "slow_subscribers": slow, "slow_answer_s": slow_s,
            "timeout_s": timeout_s, "max_concurrency": concurrency, "slow_pool": slow_pool,
            "slow_call_s": slow_call_s, "events": events, "rate_per_s": rate,
            "p50_ms": statistics.median(latencies), "p95_ms": _pct(latencies, 0.95), "max_ms": max(latencies),
            "fast_drained_s": drained_s, "slow_arrivals_meanwhile": slow_done}


# Each slow scenario is compared with a control having as many extra subscribers, all fast (an extra
# subscriber costs every event one more delivery, which shows in the tail on a small machine).
SCENARIOS: dict[str, dict[str, Any]] = {
    "control-1": {"slow": 1, "slow_s": 0.0, "timeout_s": 10, "concurrency": 32},
    "slow": {"slow": 1, "timeout_s": 10, "concurrency": 32, "compare_to": "control-1"},
    "hanging": {"slow": 1, "slow_s": 60, "timeout_s": 2, "concurrency": 32, "compare_to": "control-1"},
    "control-6": {"slow": 6, "slow_s": 0.0, "timeout_s": 10, "concurrency": 4, "slow_pool": 2},
    "crowded": {"slow": 6, "timeout_s": 10, "concurrency": 4, "slow_pool": 2, "compare_to": "control-6"},
    "saturated": {"slow": 6, "timeout_s": 10, "concurrency": 4, "slow_pool": 2, "slow_call_s": 3600,
                  "compare_to": "control-6"},
}


async def main(events: int, rate: float, fast: int, slow_s: float, rounds: int) -> dict[str, Any]:
    """Every scenario `rounds` times, interleaved (the machine's load drifts); the median of each figure.
    The saturated scenario, long and unambiguous, runs once."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in SCENARIOS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(rounds):
            for name, options in SCENARIOS.items():
                if name == "saturated" and round_ > 0:
                    continue
                merged = {"slow_s": slow_s, **{k: v for k, v in options.items() if k != "compare_to"}}
                runs[name].append(await scenario(name, events=events, rate=rate, fast=fast, workdir=Path(tmp),
                                                 **merged))
    rows = []
    for name, results in runs.items():
        row = {**results[0], "compare_to": SCENARIOS[name].get("compare_to", name)}
        for figure in ("p50_ms", "p95_ms", "max_ms", "fast_drained_s"):
            row[figure] = statistics.median(r[figure] for r in results)
        row["rounds"] = len(results)
        rows.append(row)
    by_name = {row["scenario"]: row for row in rows}
    for row in rows:
        control = by_name[row["compare_to"]]
        row["p50_vs_control"] = row["p50_ms"] / control["p50_ms"]
        row["p95_vs_control"] = row["p95_ms"] / control["p95_ms"]
    return {"rows": rows, "runs": runs, "measured_at": datetime.now(UTC).isoformat(),
            "load_average": os.getloadavg(), "cpus": os.cpu_count(), "command": "uv run python -m bench.webhooks"}


def print_table(report: dict[str, Any]) -> None:
    print(f"{'scenario':<10} {'fast':>4} {'extra':>5} {'pools':>5} {'runs':>4} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'max ms':>8} {'vs':>10} {'p50 x':>6} {'p95 x':>6} {'slow got':>8}")
    for r in report["rows"]:
        pools = f"{r['max_concurrency']}+{r['slow_pool']}" if r["slow_call_s"] < 3600 else f"{r['max_concurrency']}"
        print(f"{r['scenario']:<10} {r['fast_subscribers']:>4} {r['slow_subscribers']:>5} {pools:>5} "
              f"{r['rounds']:>4} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['max_ms']:>8.1f} {r['compare_to']:>10} "
              f"{r['p50_vs_control']:>6.2f} {r['p95_vs_control']:>6.2f} {r['slow_arrivals_meanwhile']:>8}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--rate", type=float, default=3.0, help="events published per second")
    parser.add_argument("--fast", type=int, default=8)
    parser.add_argument("--slow-s", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # Per-delivery log lines would cost more than what is measured here.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    result = asyncio.run(main(args.events, args.rate, args.fast, args.slow_s, args.rounds))
    print_table(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "webhooks.json").write_text(json.dumps(result, indent=2))
