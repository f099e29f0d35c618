"""Two replicas of booths and of billing on PostgreSQL share the work: 1,000 sagas, none lost, none twice.

The replicas of a service share its database and its consumer group: each gets some of the partitions, and
one relay at a time publishes the database's outbox (a lease), so events keep their order per key. The fairs
are chosen so their keys cover every partition, so both replicas of each service must apply events. Whether
two replicas are faster than one is a benchmark's question (`bench/saga.py --replicas 2`), not a test's.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from aiokafka.partitioner import murmur2

from devstack.platform import Platform, start_platform
from devstack.supervisor import ServiceSpec
from tests.conftest import POSTGRES_URL, make_postgres_database
from tests.integration.helpers import eventually
from tests.integration.test_message_path import ADMIN, ORGANIZER, exhibitor, tax_codes
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres,
              pytest.mark.asyncio(loop_scope="module")]

SAGAS = int(os.environ.get("HANGVIET_REPLICA_SAGAS", "1000"))
PARTITIONS = 3
REPLICATED = ("booths", "billing")


def partition_of(key: str) -> int:
    """The partition aiokafka's default partitioner gives a key."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % PARTITIONS


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    if not POSTGRES_URL:
        pytest.skip("needs TEST_POSTGRES_URL (replicas share a PostgreSQL database; CI sets it)")
    var_dir: Path = tmp_path_factory.mktemp("replicas")
    databases = {f"{name.upper()}_DATABASE_URL": await make_postgres_database(POSTGRES_URL)
                 for name in ("registration", *REPLICATED)}
    running = await start_platform(var_dir, services=("registration", *REPLICATED),
                                   extra_env={"HANGVIET_ENV": "test", **databases})
    try:  # the second replicas start together (each binds port 0 and reports it)
        specs = [ServiceSpec(f"{name}-2", 0, f"services.{name}") for name in REPLICATED]
        for name, spec in zip(REPLICATED, specs, strict=True):
            running.supervisor.start(spec, {**running.env, f"{name.upper()}_PORT": "0"},
                                     var_dir / "logs" / f"{name}-2.log")
        await asyncio.gather(*(running.supervisor.wait_ready(spec, timeout=120) for spec in specs))
        for spec in specs:
            running.ports[spec.name] = running.supervisor.port(spec.name)
        yield running
    finally:
        running.stop()


async def fairs_on_every_partition(platform: Platform, client: httpx.AsyncClient) -> list[str]:
    """Published fairs whose keys cover every partition (so every replica gets some)."""
    fairs: list[str] = []
    while {partition_of(f) for f in fairs} != set(range(PARTITIONS)) or len(fairs) < 4:
        fair = await client.post(f"{platform.url('registration')}/fairs", headers=ORGANIZER,
                                 json=fair_body(capacity_booths=SAGAS, max_booths_per_exhibitor=1,
                                                booths_per_row=40))
        assert fair.status_code == 201, fair.text
        fair_id = str(fair.json()["id"])
        published = await client.post(f"{platform.url('registration')}/fairs/{fair_id}/publish", headers=ORGANIZER)
        assert published.status_code == 200, published.text
        fairs.append(fair_id)
    return fairs


async def run_sagas(platform: Platform, client: httpx.AsyncClient, fairs: list[str]) -> dict[str, str]:
    """SAGAS exhibitors register (spread over the fairs) and are approved; registration id → fair id."""
    url = platform.url("registration")
    gate = asyncio.Semaphore(24)
    codes = tax_codes(330)[:SAGAS]

    async def one(n: int) -> tuple[str, str]:
        fair_id = fairs[n % len(fairs)]
        ex = exhibitor(f"ex-{uuid.uuid4().hex[:10]}")
        async with gate:
            created = await client.post(f"{url}/exhibitors", json=exhibitor_body(tax_code=codes[n]), headers=ex)
            assert created.status_code == 201, created.text
            reg = await client.post(f"{url}/fairs/{fair_id}/registrations", json={"booths_requested": 1},
                                    headers=ex)
            assert reg.status_code == 201, reg.text
            approved = await client.post(f"{url}/registrations/{reg.json()['id']}/approve", headers=ORGANIZER)
            assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
        return str(reg.json()["id"]), fair_id

    return dict(await asyncio.gather(*(one(n) for n in range(SAGAS))))


async def invoice_count(platform: Platform, client: httpx.AsyncClient, fairs: list[str]) -> int:
    """How many invoices billing holds for the fairs (the list's `count`: one row read per fair, not all of them)."""
    total = 0
    for fair_id in fairs:
        res = await client.get(f"{platform.url('billing')}/invoices", headers=ORGANIZER,
                               params={"fair_id": fair_id, "limit": 1})
        assert res.status_code == 200, res.text
        total += int(res.json()["count"])
    return total


async def invoices_of_fair(platform: Platform, client: httpx.AsyncClient, fair_id: str) -> list[dict]:
    invoices: list[dict] = []
    while True:
        res = await client.get(f"{platform.url('billing')}/invoices", headers=ORGANIZER,
                               params={"fair_id": fair_id, "limit": 500, "offset": len(invoices)})
        assert res.status_code == 200, res.text
        body = res.json()
        page = body["data"] if isinstance(body, dict) else body
        invoices.extend(page)
        if len(page) < 500:
            return invoices


class TestReplicas:
    async def test_two_replicas_of_booths_and_billing_lose_nothing_and_apply_nothing_twice(
            self, platform: Platform) -> None:
        # Idle connections are dropped after 1 s, well before uvicorn closes them (5 s): reusing one the server is
        # closing at that moment is a ReadError on a POST, which httpx does not retry (seen under a loaded CI).
        limits = httpx.Limits(keepalive_expiry=1)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            fairs = await fairs_on_every_partition(platform, client)
            registrations = await run_sagas(platform, client, fairs)

            # Polled by count (a poll reading all 1,000 invoices every second took CPU from the services it waited
            # for); once there are as many as sagas, all are read: a duplicate then fails "none lost" or "none twice".
            async def all_counted() -> bool:
                return await invoice_count(platform, client, fairs) >= SAGAS

            await eventually(all_counted, timeout=300, interval=0.5, what=f"{SAGAS} invoices")
            invoices = [i for f in fairs for i in await invoices_of_fair(platform, client, f)]
            per_registration = Counter(i["registration_id"] for i in invoices)
            assert set(per_registration) == set(registrations)  # none lost
            assert set(per_registration.values()) == {1}  # none twice
            numbers = sorted(int(i["number"]) for i in invoices)  # one series (same seller and year): gapless
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))

            for fair_id in fairs:
                res = await client.get(f"{platform.url('booths')}/fairs/{fair_id}/assignments", headers=ORGANIZER)
                assert res.status_code == 200, res.text
                body = res.json()
                rows = body["data"] if isinstance(body, dict) else body
                booths = [code for row in rows for code in row["booth_codes"]]
                assert len(booths) == len(set(booths))  # no booth twice
                assert {r["registration_id"] for r in rows} == {r for r, f in registrations.items() if f == fair_id}

            for name in REPLICATED:  # both replicas of each service applied events
                applied = []
                for replica in (name, f"{name}-2"):
                    res = await client.get(f"{platform.url(replica)}/admin/delivery", headers=ADMIN)
                    assert res.status_code == 200, res.text
                    applied.append(sum(c["stats"]["applied"] for c in res.json()["consumers"]))
                assert all(n > 0 for n in applied), (name, applied)
