"""The message path over real processes when things go wrong: a frozen broker, an event that cannot be applied.

Issue 12: reads never freeze behind a slow broker (SQLite readers do not wait for writers, and the relay holds
no session while it waits for acks), nothing is lost or applied twice across the freeze, and one parked event
stops only its own registration, visible with its reason on /admin/delivery.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer

from devstack.platform import Platform, start_platform
from shared.auth import Role, issue_token
from shared.contracts.booths import BoothsAssigned
from shared.envelope import event_headers
from shared.settings import load_settings
from shared.taxcode import tax_code_check_digit
from tests.integration.helpers import eventually
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SECRET = load_settings("tests").jwt_secret
ORGANIZER = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.ORGANIZER, centre_id='tq')}"}
ADMIN = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.ADMIN, subject='ops')}"}
READ_BOUND_S = 1.0  # the freeze this guards against lasted the whole 30 s broker stall


def tax_codes(prefix: int) -> list[str]:
    """Valid, distinct tax codes (MST with their check digit)."""
    codes = []
    for n in range(10_000):
        first9 = f"{prefix:03d}{n:06d}"
        check = tax_code_check_digit(first9)
        if check is not None:
            codes.append(first9 + str(check))
    return codes


def exhibitor(exhibitor_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, role=Role.EXHIBITOR, exhibitor_id=exhibitor_id)}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("message-path")
    running = await start_platform(var_dir, services=("registration", "booths", "billing"),
                                   extra_env={"HANGVIET_ENV": "test"})
    yield running
    running.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


async def new_fair(platform: Platform, client: httpx.AsyncClient) -> str:
    fair = await client.post(f"{platform.url('registration')}/fairs", headers=ORGANIZER,
                             json=fair_body(capacity_booths=200, max_booths_per_exhibitor=1))
    assert fair.status_code == 201, fair.text
    fair_id = str(fair.json()["id"])
    published = await client.post(f"{platform.url('registration')}/fairs/{fair_id}/publish", headers=ORGANIZER)
    assert published.status_code == 200, published.text
    return fair_id


async def submitted(platform: Platform, client: httpx.AsyncClient, fair_id: str, codes: list[str]) -> list[str]:
    """Exhibitors with the given tax codes register for one booth each; their registration ids."""
    url = platform.url("registration")

    async def one(code: str) -> str:
        ex = exhibitor(f"ex-{uuid.uuid4().hex[:10]}")
        created = await client.post(f"{url}/exhibitors", json=exhibitor_body(tax_code=code), headers=ex)
        assert created.status_code == 201, created.text
        reg = await client.post(f"{url}/fairs/{fair_id}/registrations", json={"booths_requested": 1}, headers=ex)
        assert reg.status_code == 201, reg.text
        return str(reg.json()["id"])

    return list(await asyncio.gather(*(one(code) for code in codes)))


async def approve(platform: Platform, client: httpx.AsyncClient, registration_id: str) -> None:
    res = await client.post(f"{platform.url('registration')}/registrations/{registration_id}/approve",
                            headers=ORGANIZER)
    assert res.status_code == 200 and res.json()["status"] == "approved", res.text


async def fair_invoices(platform: Platform, client: httpx.AsyncClient, fair_id: str) -> list[dict]:
    res = await client.get(f"{platform.url('billing')}/invoices", params={"fair_id": fair_id, "limit": 500},
                           headers=ORGANIZER)
    assert res.status_code == 200, res.text
    body = res.json()
    return [i for i in (body["data"] if isinstance(body, dict) else body) if i["fair_id"] == fair_id]


class TestBrokerFrozen:
    async def test_reads_answer_while_the_broker_is_frozen_and_every_saga_completes_once(
            self, platform: Platform, client: httpx.AsyncClient) -> None:
        assert platform.infra is not None
        fair_id = await new_fair(platform, client)
        registrations = await submitted(platform, client, fair_id, tax_codes(310)[:24])
        for registration_id in registrations[:8]:
            await approve(platform, client, registration_id)
        broker = platform.infra.broker_proc
        os.kill(broker.pid, signal.SIGSTOP)
        slowest = 0.0
        try:
            frozen_until = time.monotonic() + 20
            pending = iter(registrations[8:])
            while time.monotonic() < frozen_until:
                for url in (f"{platform.url('registration')}/fairs/{fair_id}",
                            f"{platform.url('booths')}/fairs/{fair_id}/assignments",
                            f"{platform.url('billing')}/invoices?fair_id={fair_id}"):
                    started = time.monotonic()
                    res = await client.get(url, headers=ORGANIZER, timeout=READ_BOUND_S)
                    slowest = max(slowest, time.monotonic() - started)
                    assert res.status_code == 200, (url, res.text)
                registration_id = next(pending, None)
                if registration_id is not None:  # approvals are stored while the broker is frozen
                    await approve(platform, client, registration_id)
                await asyncio.sleep(0.2)
        finally:
            os.kill(broker.pid, signal.SIGCONT)
        for registration_id in pending:
            await approve(platform, client, registration_id)

        async def all_invoiced() -> list[dict] | None:
            invoices = await fair_invoices(platform, client, fair_id)
            return invoices if len({i["registration_id"] for i in invoices}) == len(registrations) else None

        invoices = await eventually(all_invoiced, timeout=120, what="an invoice for every approval")
        per_registration = Counter(i["registration_id"] for i in invoices)
        assert set(per_registration) == set(registrations) and set(per_registration.values()) == {1}
        numbers = sorted(int(i["number"]) for i in invoices)
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # gapless
        assert slowest < READ_BOUND_S


class TestParkedEvent:
    async def test_an_assignment_billing_cannot_apply_parks_alone_and_the_fair_goes_on(
            self, platform: Platform, client: httpx.AsyncClient) -> None:
        fair_id = await new_fair(platform, client)
        first, *registrations = await submitted(platform, client, fair_id, tax_codes(320)[:6])
        await approve(platform, client, first)  # once it is invoiced, billing knows the fair
        await eventually(lambda: fair_invoices(platform, client, fair_id), what="the first invoice")
        ghost = f"reg-ghost-{uuid.uuid4().hex[:8]}"  # a registration billing never hears approved
        stuck = BoothsAssigned(fair_id=fair_id, registration_id=ghost, exhibitor_id="ex-ghost",
                               booth_codes=["Z99"], assignment_id=f"as-{uuid.uuid4().hex[:8]}")
        producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap, acks="all")
        await producer.start()
        try:
            headers = event_headers(stuck, source="/tests", correlation_id="parked-test")
            await producer.send_and_wait(stuck.topic, stuck.model_dump_json().encode(), key=fair_id.encode(),
                                         headers=[(k, v.encode()) for k, v in headers.items()])
        finally:
            await producer.stop()

        async def parked() -> list[dict]:
            res = await client.get(f"{platform.url('billing')}/admin/delivery", headers=ADMIN)
            assert res.status_code == 200, res.text
            return [p for c in res.json()["consumers"] for p in c["parked"] if p["subject"] == ghost]

        [waiting] = await eventually(parked, what="the stuck assignment parked on billing")
        assert ghost in waiting["reason"] and waiting["event_type"] == "vn.hangviet.booths.assigned.v1"
        for registration_id in registrations:
            await approve(platform, client, registration_id)

        async def invoiced() -> set[str] | None:
            got = {i["registration_id"] for i in await fair_invoices(platform, client, fair_id)}
            return got if got >= set(registrations) else None

        assert await eventually(invoiced, timeout=60, what="the fair's other invoices") == {first, *registrations}
        assert len(await parked()) == 1  # still waiting, still visible, dead-lettered when its time is up
