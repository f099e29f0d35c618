"""The no-double-booking guarantee over real processes: the booths service on the embedded broker, a real
redis-server and a real database (its SQLite file, or PostgreSQL when TEST_POSTGRES_URL is set); 500
exhibitors pick 50 booths at once over real HTTP."""

from __future__ import annotations

import asyncio
import json
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from devstack.platform import Platform, start_platform
from services.booths.adapters import fastpath
from shared.auth import Role, issue_token
from shared.contracts.base import Event
from shared.contracts.registration import ExhibitorInfo, FairPublished, PartyInfo, RegistrationApproved
from shared.envelope import event_headers
from shared.settings import load_settings
from tests.conftest import POSTGRES_URL, make_postgres_database
from tests.integration.helpers import eventually, read_topics

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SECRET = load_settings("tests").jwt_secret
CENTRE = "tq-picks"
ORGANIZER = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.ORGANIZER, centre_id=CENTRE)}"}
BOOTHS, PICKERS = 50, 500
HOLD_TTL_S = 600
SVG = "{http://www.w3.org/2000/svg}"


def exhibitor(exhibitor_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, role=Role.EXHIBITOR, exhibitor_id=exhibitor_id)}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The booths service's database: a fresh PostgreSQL one when available, else its SQLite file."""
    if POSTGRES_URL:
        return await make_postgres_database(POSTGRES_URL)
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('booths-db') / 'booths.db'}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> AsyncIterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("picks")
    running = await start_platform(var_dir, services=["booths"], extra_env={
        "HANGVIET_ENV": "test", "BOOTHS_DATABASE_URL": database_url, "BOOTHS_HOLD_TTL_S": str(HOLD_TTL_S)})
    yield running
    running.stop()


async def produce(bootstrap: str, events: list[Event]) -> None:
    """Publish events as registration would: CloudEvents headers, keyed by fair."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for ev in events:
            headers = event_headers(ev, source="/services/registration", correlation_id=f"picks-{uuid.uuid4().hex[:6]}")
            await producer.send(ev.topic, ev.model_dump_json().encode(), key=ev.key().encode(),
                                headers=[(k, v.encode()) for k, v in headers.items()])
        await producer.flush()
    finally:
        await producer.stop()


def fair_event(fair_id: str) -> FairPublished:
    now = datetime.now(UTC)
    return FairPublished(
        fair_id=fair_id, centre_id=CENTRE, name="Phiên chợ chọn gian", kind="provincial", province_code="08",
        venue="Hà Giang", starts_on=now.date() + timedelta(days=30), ends_on=now.date() + timedelta(days=33),
        registration_opens_at=now - timedelta(days=1), registration_closes_at=now + timedelta(days=20),
        capacity_booths=BOOTHS, booth_price_vnd=3_000_000, max_booths_per_exhibitor=1, booths_per_row=10,
        allocation_mode="exhibitor_picks", seller=PartyInfo(name="TT KC&XTTM", tax_code="0100233488"))


def approval(fair_id: str, i: int) -> RegistrationApproved:
    exhibitor_id = f"ex-{i:03d}-{uuid.uuid4().hex[:6]}"
    return RegistrationApproved(
        fair_id=fair_id, registration_id=f"reg-{i:03d}-{uuid.uuid4().hex[:6]}", exhibitor_id=exhibitor_id,
        booths_requested=1, approved_at=datetime.now(UTC),
        exhibitor=ExhibitorInfo(exhibitor_id=exhibitor_id, name=f"Cơ sở {i}", tax_code="0100233488",
                                kind="household"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crowd(platform: Platform) -> tuple[str, list[RegistrationApproved]]:
    """A 50-booth fair in exhibitor_picks mode and 500 approved one-booth registrations, as booths knows them."""
    fair_id = f"fair-picks-{uuid.uuid4().hex[:8]}"
    approvals = [approval(fair_id, i) for i in range(PICKERS)]
    await produce(platform.bootstrap, [fair_event(fair_id), *approvals])

    async with httpx.AsyncClient(timeout=30) as client:  # one client for every poll
        async def all_known() -> bool:
            res = await client.get(f"{platform.url('booths')}/fairs/{fair_id}/requests",
                                   params={"status": "waiting"}, headers=ORGANIZER)
            return res.status_code == 200 and res.json()["count"] == PICKERS

        await eventually(all_known, timeout=180, what="500 approved registrations in booths")
    return fair_id, approvals


async def watch(url: str, seen: dict[str, str], ready: asyncio.Event) -> None:
    """Follow the live map, recording the last status of every booth it reports."""
    async with httpx.AsyncClient(timeout=None) as client, client.stream("GET", url) as response:
        async for line in response.aiter_lines():
            if line.startswith("event: ready") or line.startswith("event:ready"):
                ready.set()
            elif line.startswith("data:") and ready.is_set():
                message = json.loads(line.split(":", 1)[1])
                if "booths" in message:
                    seen.update(message["booths"])


class TestFiveHundredPicksForFiftyBooths:
    async def test_exactly_one_winner_per_booth_and_every_record_agrees(
            self, platform: Platform, crowd: tuple[str, list[RegistrationApproved]], database_url: str) -> None:
        fair_id, approvals = crowd
        base = f"{platform.url('booths')}/fairs/{fair_id}"
        codes = [f"{row}{col:02d}" for row in "ABCDE" for col in range(1, 11)]
        live: dict[str, str] = {}
        ready = asyncio.Event()
        watcher = asyncio.create_task(watch(f"{base}/floorplan/stream", live, ready))
        await asyncio.wait_for(ready.wait(), timeout=30)

        # One connection per picker, no reuse: the crowd arrives at once, each on its own socket.
        limits = httpx.Limits(max_connections=PICKERS, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=300, limits=limits) as crowd_client:
            answers = await asyncio.gather(*(
                crowd_client.post(f"{base}/holds", headers=exhibitor(a.exhibitor_id),
                                  json={"registration_id": a.registration_id, "booth_codes": [codes[i % BOOTHS]]})
                for i, a in enumerate(approvals)))
        statuses = Counter(r.status_code for r in answers)
        winners = [r.json() for r in answers if r.status_code == 201]
        losers = [r for r in answers if r.status_code != 201]
        async with httpx.AsyncClient(timeout=60) as client:
            plan = (await client.get(f"{base}/floorplan", headers=ORGANIZER)).json()
            svg = (await client.get(f"{base}/floorplan.svg")).content
            holds = (await client.get(f"{base}/holds", headers=ORGANIZER)).json()

        assert statuses == {201: BOOTHS, 409: PICKERS - BOOTHS}, statuses
        assert sorted(w["booth_codes"][0] for w in winners) == sorted(codes)
        for loser in losers:
            assert loser.headers["content-type"] == "application/problem+json"
            problem = loser.json()
            assert problem["status"] == 409 and problem["type"].endswith("booth-taken")
            assert problem["title"].startswith("Gian ") and "already held or assigned" in problem["title"]

        held = {w["hold_id"]: w["booth_codes"][0] for w in winners}
        assert await db_live_holds(database_url, fair_id) == (BOOTHS, BOOTHS)
        assert plan["counts"] == {"free": 0, "held": BOOTHS, "assigned": 0, "blocked": 0}
        assert {h["hold_id"]: h["booth_codes"][0] for h in holds["data"]} == held
        groups = ET.fromstring(svg).findall(f"{SVG}g")
        assert Counter(g.get("class") for g in groups) == {"booth held": BOOTHS}
        # The fast path really ran: the DB alone would answer the same 409s, but leave no key in Redis.
        keys = await redis_holds(platform.redis_url, fair_id)
        assert {code: value for code, (value, _) in keys.items()} == {code: hold for hold, code in held.items()}
        assert all(0 < ttl_ms <= HOLD_TTL_S * 1000 for _, ttl_ms in keys.values()), keys

        async def held_events() -> list[Any]:
            records = await read_topics(platform.bootstrap, ["booths.events"])
            found = [r.json() for r in records if r.name == "booths.held" and r.key == fair_id.encode()]
            return found if len(found) >= BOOTHS else []

        events = await eventually(held_events, timeout=60, what="50 booths.held events")
        assert len(events) == BOOTHS
        assert {e["hold_id"]: e["booth_codes"][0] for e in events} == held

        await eventually(lambda: _all_held(live), timeout=30, what="the live map showing 50 held booths")
        watcher.cancel()
        assert live == dict.fromkeys(codes, "held")

    async def test_confirmed_holds_become_assignments_and_nobody_gets_a_taken_booth(
            self, platform: Platform, crowd: tuple[str, list[RegistrationApproved]], database_url: str) -> None:
        fair_id, approvals = crowd
        base = f"{platform.url('booths')}/fairs/{fair_id}"
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=300, limits=limits) as client:
            holds = (await client.get(f"{base}/holds", headers=ORGANIZER)).json()["data"]
            confirmed = await asyncio.gather(*(
                client.post(f"{base}/holds/{h['hold_id']}/confirm", headers=exhibitor(h["exhibitor_id"]))
                for h in holds))
            winners = {h["registration_id"] for h in holds}
            late = next(a for a in approvals if a.registration_id not in winners)
            again = await client.post(f"{base}/holds", headers=exhibitor(late.exhibitor_id),
                                      json={"registration_id": late.registration_id, "booth_codes": ["A01"]})
            assignments = (await client.get(f"{base}/assignments", headers=ORGANIZER)).json()
        assert [r.status_code for r in confirmed] == [200] * BOOTHS
        assert again.status_code == 409
        assert assignments["count"] == BOOTHS
        assert len({a["booth_codes"][0] for a in assignments["data"]}) == BOOTHS
        assert await db_live_holds(database_url, fair_id, state="assigned") == (BOOTHS, BOOTHS)

        async def assigned_events() -> list[Any]:
            records = await read_topics(platform.bootstrap, ["booths.events"])
            found = [r.json() for r in records if r.name == "booths.assigned" and r.key == fair_id.encode()]
            return found if len(found) >= BOOTHS else []

        events = await eventually(assigned_events, timeout=60, what="50 booths.assigned events")
        assert len(events) == BOOTHS and len({e["booth_codes"][0] for e in events}) == BOOTHS


async def _all_held(live: dict[str, str]) -> bool:
    return len(live) == BOOTHS and set(live.values()) == {"held"}


async def redis_holds(url: str, fair_id: str) -> dict[str, tuple[str, int]]:
    """Every hold key of the fair in the platform's Redis: booth code → (hold id, milliseconds left)."""
    client = aioredis.Redis.from_url(url, decode_responses=True)
    prefix = fastpath.key(fair_id, "")
    try:
        found = {}
        async for key in client.scan_iter(match=f"{prefix}*", count=1000):
            found[key.removeprefix(prefix)] = (await client.get(key), await client.pttl(key))
        return found
    finally:
        await client.aclose()


async def db_live_holds(url: str, fair_id: str, state: str = "held") -> tuple[int, int]:
    """(live claims in that state, distinct booths among them), read straight from the service's database."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text(
                "SELECT COUNT(*), COUNT(DISTINCT booth_code) FROM booth_assignments "
                "WHERE fair_id = :fair AND state = :state AND released_at IS NULL"),
                {"fair": fair_id, "state": state})).one()
    finally:
        await engine.dispose()
    return int(row[0]), int(row[1])
