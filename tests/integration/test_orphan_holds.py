"""Orphan holds: Redis keys left by a pick that never became a hold (refused while Redis stalled, or a
reservation cut short that the frozen server ran when it woke) would keep booths the map shows free
unpickable for the whole hold time. The sweeper drops the keys no live hold owns. Real redis-server."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from services.booths.adapters import fastpath
from services.booths.service import holds as picks
from tests.conftest import running_app
from tests.integration.helpers import eventually
from tests.service.booths_support import make_app
from tests.service.redis_server import redis_server
from tests.service.test_booths_picks import pick, picking_fair

pytestmark = [pytest.mark.integration]

HOLD_TTL_S = 600


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A redis-server of this test's own: the stall test freezes it."""
    with redis_server(tmp_path / "redis") as url:
        yield url


@pytest.fixture
def app(settings_for: Any, redis_url: str) -> Any:
    # The sweeper's first round runs at start; the tests drive the next ones themselves.
    return make_app(settings_for, redis_url, hold_ttl_s=HOLD_TTL_S, hold_sweep_interval_s=600)


async def lost_reservation(app: Any, fair_id: str, codes: list[str]) -> None:
    """What a pick refused during a Redis stall left behind: keys of a hold the database never saw."""
    assert await fastpath.reserve(app.state.runtime.redis, fair_id, codes, "lost-pick", HOLD_TTL_S) is None


@asynccontextmanager
async def frozen(app: Any) -> Any:
    """Redis stops answering (SIGSTOP), then wakes up and runs what it had been sent."""
    pid = int((await app.state.runtime.redis.info("server"))["process_id"])
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


class TestOrphanReservations:
    async def test_a_key_no_live_hold_owns_is_dropped_and_its_booths_can_be_picked_again(self, app):
        async with running_app(app) as client:
            fair_id, (one, two) = await picking_fair(app, 2, 2)
            await lost_reservation(app, fair_id, ["B01", "B02"])
            blocked = await pick(app, client, fair_id, two, ["B01", "B02"])
            held = await pick(app, client, fair_id, one, ["A01", "A02"])
            dropped = await picks.drop_orphan_reservations(app.state.booths, grace_s=0)
            picked = await pick(app, client, fair_id, two, ["B01", "B02"])
            a01 = await app.state.runtime.redis.get(fastpath.key(fair_id, "A01"))
        assert blocked.status_code == 409  # the fault: a free booth nobody can pick
        assert dropped == 2
        assert picked.status_code == 201, picked.text
        assert a01 == held.json()["hold_id"]  # a live hold keeps its keys

    async def test_a_young_key_is_left_to_the_pick_that_may_still_be_on_its_way(self, app):
        async with running_app(app):
            fair_id, _ = await picking_fair(app, 2)
            await lost_reservation(app, fair_id, ["C01"])
            dropped = await picks.drop_orphan_reservations(app.state.booths)
            left = await app.state.runtime.redis.get(fastpath.key(fair_id, "C01"))
        assert dropped == 0 and left == "lost-pick"

    async def test_the_running_sweeper_drops_orphans_by_itself(self, settings_for, redis_url, monkeypatch):
        monkeypatch.setattr(picks, "ORPHAN_GRACE_S", 0.0)
        app = make_app(settings_for, redis_url, hold_ttl_s=HOLD_TTL_S, hold_sweep_interval_s=0.05)
        async with running_app(app) as client:
            fair_id, (two,) = await picking_fair(app, 2)
            await lost_reservation(app, fair_id, ["D01", "D02"])

            async def picked() -> Any:
                res = await pick(app, client, fair_id, two, ["D01", "D02"])
                return res if res.status_code == 201 else None

            await eventually(picked, timeout=30, interval=0.1, what="the orphaned booths picked")

    async def test_a_pick_during_a_redis_stall_answers_in_time_and_leaves_no_unpickable_booth(
            self, app, monkeypatch):
        monkeypatch.setattr(fastpath, "TIMEOUT_S", 0.2)
        async with running_app(app) as client:
            fair_id, (one, two) = await picking_fair(app, 2, 2)
            assert (await pick(app, client, fair_id, one, ["A01", "A02"])).status_code == 201
            async with frozen(app):
                started = time.monotonic()
                refused = await pick(app, client, fair_id, one, ["E01", "E02"])  # already holding: the DB says no
                took = time.monotonic() - started
            # Redis woke up and ran the reservation it had been sent: E01–E02 may now be keys of no hold.
            await picks.drop_orphan_reservations(app.state.booths, grace_s=0)
            picked = await pick(app, client, fair_id, two, ["E01", "E02"])
        assert refused.status_code == 409 and refused.json()["type"].endswith("already-holding"), refused.text
        assert took < 5
        assert picked.status_code == 201, picked.text
