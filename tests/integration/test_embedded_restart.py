"""Restart safety of the embedded broker: `make run` stopped in the middle of 300 sagas and started again on
the same var dir (a fresh, empty in-memory broker) ends with every invoice issued once, numbers gapless.

What is in flight at the stop is made certain, not left to timing (the saga became fast enough to finish 150
before a stop): billing is frozen (SIGSTOP) before the last chunk is approved, the stop waits until booths has
published that chunk's `booths.assigned`, and billing dies with the others (SIGKILL, as a crash would). Those
events were acknowledged by the broker, so booths' outbox holds them as sent, and only the replay brings them
back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from devstack.platform import Platform, start_platform
from tests.integration.helpers import eventually
from tests.integration.test_saga import ORGANIZER, exhibitor_headers
from tests.service.fixtures import exhibitor_body, fair_body

# Two cold starts of three services and 900 HTTP calls: more than the default 300 s on a loaded 2-core runner.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

SERVICES = ["registration", "booths", "billing"]  # the saga's: approve → booths assigned → invoice issued
SAGAS, BEFORE_STOP, CHUNK, CONCURRENCY = 300, 150, 25, 16
ENV = {"HANGVIET_ENV": "test"}
T = TypeVar("T")


async def pool(items: Sequence[Any], call: Callable[[Any], Awaitable[T]], concurrency: int = CONCURRENCY) -> list[T]:
    """`call` on every item, `concurrency` at a time, results in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item: Any) -> T:
        async with gate:
            return await call(item)

    return await asyncio.gather(*(one(item) for item in items))


async def open_fair(client: httpx.AsyncClient, platform: Platform) -> str:
    url = platform.url("registration")
    fair = await client.post(f"{url}/fairs", json=fair_body(capacity_booths=SAGAS, booths_per_row=20),
                             headers=ORGANIZER)
    assert fair.status_code == 201, fair.text
    published = await client.post(f"{url}/fairs/{fair.json()['id']}/publish", headers=ORGANIZER)
    assert published.status_code == 200, published.text
    return str(fair.json()["id"])


async def submit(client: httpx.AsyncClient, platform: Platform, fair_id: str, n: int) -> str:
    """Exhibitor n creates its profile (a branch tax code of its own) and registers for one booth."""
    headers = exhibitor_headers(f"ex-{uuid.uuid4().hex[:10]}")
    url = platform.url("registration")
    body = exhibitor_body(tax_code=f"0100233488-{n:03d}", legal_name=f"HTX Chè Shan tuyết số {n}")
    created = await client.post(f"{url}/exhibitors", json=body, headers=headers)
    assert created.status_code == 201, created.text
    registered = await client.post(f"{url}/fairs/{fair_id}/registrations", json={"booths_requested": 1},
                                   headers=headers)
    assert registered.status_code == 201, registered.text
    return str(registered.json()["id"])


async def approve(client: httpx.AsyncClient, platform: Platform, fair_id: str, ids: Sequence[str]) -> None:
    """The organizer approves in chunks (the bulk endpoint: one transaction, one event per registration)."""
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start:start + CHUNK])
        res = await client.post(f"{platform.url('registration')}/fairs/{fair_id}/registrations/approve",
                                json={"registration_ids": chunk}, headers=ORGANIZER)
        assert res.status_code == 200, res.text
        assert {r["status"] for r in res.json()["data"]} == {"approved"}, res.text


async def invoices(client: httpx.AsyncClient, platform: Platform, fair_id: str) -> list[dict[str, Any]]:
    res = await client.get(f"{platform.url('billing')}/invoices", params={"fair_id": fair_id, "limit": 500},
                           headers=ORGANIZER)
    assert res.status_code == 200, res.text
    return list(res.json()["data"])


def invoices_on_disk(var_dir: Path) -> int:
    """Invoices billing had committed when it stopped (read from its SQLite file, the platform down)."""
    with sqlite3.connect(var_dir / "billing.db") as conn:
        count: int = conn.execute("SELECT count(*) FROM invoices").fetchone()[0]
    return count


def assignments_sent(var_dir: Path) -> int:
    """`booths.assigned` events booths' outbox holds as published (acknowledged by the broker)."""
    with sqlite3.connect(var_dir / "booths.db") as conn:
        count: int = conn.execute("SELECT count(*) FROM outbox WHERE event_type LIKE '%booths.assigned%'"
                                  " AND sent_at IS NOT NULL").fetchone()[0]
    return count


def replayed_rows(var_dir: Path, service: str) -> list[int]:
    """The `outbox.replayed` figures a service logged at each start."""
    lines = (var_dir / "logs" / f"{service}.log").read_text().splitlines()
    return [json.loads(line)["rows"] for line in lines if '"outbox.replayed"' in line]


async def test_a_platform_stopped_mid_run_and_started_again_issues_every_invoice_once(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    started = time.monotonic()
    laps: dict[str, float] = {}
    platform = await start_platform(var_dir, services=SERVICES, extra_env=ENV)
    laps["first start"] = time.monotonic() - started
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            fair_id = await open_fair(client, platform)
            ids = await pool(range(1, SAGAS + 1), lambda n: submit(client, platform, fair_id, n))
            laps["300 submitted"] = time.monotonic() - started
            await approve(client, platform, fair_id, ids[:BEFORE_STOP - CHUNK])
            await eventually(lambda: invoices_on_disk(var_dir) > 0, timeout=120, interval=0.1,
                             what="billing's first invoice")  # mid-run: billing is issuing
            os.kill(platform.supervisor.process("billing").pid, signal.SIGSTOP)  # billing stops consuming
            await approve(client, platform, fair_id, ids[BEFORE_STOP - CHUNK:BEFORE_STOP])

            async def all_assigned() -> bool:
                return assignments_sent(var_dir) >= BEFORE_STOP

            await eventually(all_assigned, timeout=120, interval=0.2, what=f"{BEFORE_STOP} booths.assigned sent")
        platform.supervisor.kill("billing")  # SIGKILL ends a stopped process too: it dies where it stood
    finally:
        platform.stop()  # the services (SIGTERM), then the broker and Redis: the topics are gone
    at_stop = invoices_on_disk(var_dir)
    assert at_stop <= BEFORE_STOP - CHUNK, "billing invoiced what was approved while it was frozen"

    laps["stopped"] = time.monotonic() - started
    platform = await start_platform(var_dir, services=SERVICES, extra_env=ENV)
    laps["second start"] = time.monotonic() - started
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            await approve(client, platform, fair_id, ids[BEFORE_STOP:])

            async def all_issued() -> bool:  # by count: one row read per poll, all of them once there are enough
                res = await client.get(f"{platform.url('billing')}/invoices", params={"fair_id": fair_id, "limit": 1},
                                       headers=ORGANIZER)
                assert res.status_code == 200, res.text
                return int(res.json()["count"]) >= SAGAS

            await eventually(all_issued, timeout=180, interval=0.5, what=f"{SAGAS} invoices")
            issued = await invoices(client, platform, fair_id)
            laps["all issued"] = time.monotonic() - started
    finally:
        platform.stop()

    assert sorted(invoice["registration_id"] for invoice in issued) == sorted(ids)  # each once, none missing
    assert len({(invoice["form"], invoice["symbol"]) for invoice in issued}) == 1
    numbers = sorted(int(invoice["number"]) for invoice in issued)
    assert numbers == list(range(numbers[0], numbers[0] + SAGAS))  # gapless
    assert max(replayed_rows(var_dir, "registration")) > 0 and max(replayed_rows(var_dir, "booths")) > 0
    print(f"{SAGAS} sagas, {at_stop} of {BEFORE_STOP} invoices at the stop;",
          ", ".join(f"{name} at {t:.1f}s" for name, t in laps.items()))
