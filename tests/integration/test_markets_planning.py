"""A year of market sessions over real processes: the markets service plans, confirms, and Kafka carries it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from icalendar import Calendar

from devstack.platform import Platform, start_platform
from shared.auth import Role, issue_token
from shared.settings import load_settings
from tests.integration.helpers import eventually, read_topics
from tests.markets_checker import ha_giang_sites, ha_giang_suppliers

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SECRET = load_settings("tests").jwt_secret
ORGANIZER = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.ORGANIZER, centre_id='tq-plan')}"}
YEAR = date.today().year + 1


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("markets-platform")
    # Markets alone: the plan goes to Kafka and the calendar; no other service takes part.
    running = await start_platform(var_dir, services=("markets",),
                                   extra_env={"HANGVIET_ENV": "test", "MARKETS_SOLVER_TIME_LIMIT_S": "20"})
    yield running
    running.stop()


async def test_a_confirmed_year_reaches_kafka_and_the_calendar(platform: Platform) -> None:
    markets = platform.url("markets")
    async with httpx.AsyncClient(timeout=60) as client:
        programme = (await client.post(f"{markets}/programmes", headers=ORGANIZER, json={
            "name": "Đưa hàng Việt về miền núi, biên giới (tích hợp)", "year": YEAR, "province_code": "Hà Giang",
            "target_sessions": 22, "session_days": 3, "booth_quota": 30, "enterprise_quota": 12,
            "max_concurrent": 2})).json()
        pid = programme["id"]
        sites = await client.post(f"{markets}/programmes/{pid}/sites/import", headers=ORGANIZER,
                                  json={"sites": ha_giang_sites(YEAR)})
        assert sites.status_code == 201, sites.text
        for body in ha_giang_suppliers(YEAR, 12):
            assert (await client.post(f"{markets}/programmes/{pid}/suppliers", json=body,
                                      headers=ORGANIZER)).status_code == 201
        draft = await client.post(f"{markets}/programmes/{pid}/proposals", json={}, headers=ORGANIZER)
        assert draft.status_code == 201, draft.text
        confirmed = await client.post(f"{markets}/proposals/{draft.json()['id']}/confirm", headers=ORGANIZER)
        assert confirmed.status_code == 200, confirmed.text
        feed = await client.get(f"{markets}/programmes/{pid}/calendar.ics")

    async def scheduled() -> list:
        records = await read_topics(platform.bootstrap, ["markets.events"])
        mine = [r for r in records if r.key == pid.encode() and r.name == "session.scheduled"]
        return mine if len(mine) == 22 else []

    records = await eventually(scheduled, what="22 session.scheduled on markets.events")
    event = from_binary_event(KafkaMessage(headers={k: v.encode() for k, v in records[0].headers.items()},
                                           key=records[0].key, value=records[0].value))
    assert event.get_type() == "vn.hangviet.session.scheduled.v1"
    assert {r.json()["session_id"] for r in records} == {s["id"] for s in confirmed.json()["scheduled"]}
    assert len(Calendar.from_ical(feed.content).walk("VEVENT")) == 22
