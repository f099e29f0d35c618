"""Exhibitors picking their own booths: holds in Redis and the database, confirmation, expiry, the live map."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.exc import IntegrityError

from services.booths.adapters import fastpath
from services.booths.models import Assignment
from services.booths.service import holds
from shared.contracts.registration import ExhibitorInfo, RegistrationSubmitted
from tests.conftest import running_app, token, unique
from tests.eventually import eventually
from tests.ports import listening_socket
from tests.service.booths_support import (
    CENTRE,
    FakeClock,
    approved,
    booths_redis_url,  # noqa: F401 - a fixture
    cancelled,
    deliver,
    emitted,
    make_app,
    published_fair,
)


@pytest.fixture
def app(settings_for, booths_redis_url):  # noqa: F811
    return make_app(settings_for, booths_redis_url)


def exhibitor(app: Any, exhibitor_id: str) -> dict[str, str]:
    return token(app.state.settings, "exhibitor", exhibitor_id=exhibitor_id)


def organizer(app: Any) -> dict[str, str]:
    return token(app.state.settings, "organizer", centre_id=CENTRE)


async def picking_fair(app: Any, *booths: int, **overrides: Any) -> tuple[str, list[Any]]:
    fair = await published_fair(app, allocation_mode="exhibitor_picks", **overrides)
    approvals = [approved(fair.fair_id, n) for n in booths]
    for approval in approvals:
        await deliver(app, approval)
    return fair.fair_id, approvals


async def pick(app: Any, client: Any, fair_id: str, approval: Any, codes: list[str]) -> httpx.Response:
    return await client.post(f"/fairs/{fair_id}/holds", headers=exhibitor(app, approval.exhibitor_id),
                             json={"registration_id": approval.registration_id, "booth_codes": codes})


class TestHold:
    async def test_a_pick_holds_the_booths_in_redis_and_the_database_then_confirm_assigns_them(self, app):
        async with running_app(app) as client:
            fair_id, (one, two) = await picking_fair(app, 2, 1)
            waiting = (await client.get(f"/fairs/{fair_id}/requests", headers=organizer(app))).json()
            held = await pick(app, client, fair_id, one, ["A02", "A01"])
            hold = held.json()
            key = fastpath.key(fair_id, "A01")
            in_redis = await app.state.runtime.redis.get(key)
            public = (await client.get(f"/fairs/{fair_id}/floorplan")).json()
            mine = (await client.get(f"/fairs/{fair_id}/holds", headers=exhibitor(app, one.exhibitor_id))).json()
            theirs = (await client.get(f"/fairs/{fair_id}/holds", headers=exhibitor(app, two.exhibitor_id))).json()
            confirmed = await client.post(f"/fairs/{fair_id}/holds/{hold['hold_id']}/confirm",
                                          headers=exhibitor(app, one.exhibitor_id))
            after = (await client.get(f"/fairs/{fair_id}/floorplan")).json()
            gone = await eventually(lambda: _missing(app, key), timeout=15, what="the hold's Redis key gone")
        assert {r["reason"] for r in waiting["data"]} == {"chờ doanh nghiệp chọn gian trên sơ đồ / waiting for the "
                                                          "exhibitor to pick booths"}
        assert held.status_code == 201 and hold["booth_codes"] == ["A01", "A02"]
        assert in_redis == hold["hold_id"] and gone
        assert public["counts"]["held"] == 2 and "registration_id" not in public["booths"][0]
        assert mine["count"] == 1 and theirs["count"] == 0
        [(_, key_, event)] = await emitted(app, "booths.held")
        assert key_ == fair_id and event["hold_id"] == hold["hold_id"] and event["booth_codes"] == ["A01", "A02"]
        assert confirmed.status_code == 200
        [(_, _, assigned)] = await emitted(app, "booths.assigned")
        assert (assigned["operation"], assigned["assignment_id"], assigned["corner_count"]) == (
            "pick", hold["hold_id"], 1)
        assert after["counts"] == {"free": 68, "held": 0, "assigned": 2, "blocked": 0}

    async def test_each_held_booths_redis_key_expires_within_the_configured_hold_ttl(
            self, settings_for, booths_redis_url):  # noqa: F811
        app = make_app(settings_for, booths_redis_url, hold_ttl_s=120)
        async with running_app(app) as client:
            fair_id, (one,) = await picking_fair(app, 2)
            hold = (await pick(app, client, fair_id, one, ["C03", "C04"])).json()
            redis = app.state.runtime.redis
            ttls = [await redis.pttl(fastpath.key(fair_id, code)) for code in ("C03", "C04")]
            values = [await redis.get(fastpath.key(fair_id, code)) for code in ("C03", "C04")]
        assert values == [hold["hold_id"]] * 2
        # -1 would be a key without expiry, -2 no key: both fail here.
        assert all(0 < ttl <= 120_000 for ttl in ttls), ttls

    async def test_a_taken_booth_is_a_clear_409_and_changes_nothing(self, app):
        async with running_app(app) as client:
            fair_id, (one, two) = await picking_fair(app, 2, 2)
            await pick(app, client, fair_id, one, ["A01", "A02"])
            before = await emitted(app)
            taken = await pick(app, client, fair_id, two, ["A02", "A03"])
            twice = await pick(app, client, fair_id, one, ["B01", "B02"])
            a03 = await app.state.runtime.redis.get(fastpath.key(fair_id, "A03"))
        assert taken.status_code == 409 and taken.headers["content-type"] == "application/problem+json"
        problem = taken.json()
        assert problem["title"].startswith("Gian A02") and problem["errors"][0]["field"] == "booth_codes"
        assert twice.status_code == 409 and twice.json()["type"].endswith("already-holding")
        assert a03 is None  # all or nothing: A03 was not kept for the refused pick
        assert await emitted(app) == before

    @pytest.mark.parametrize(("codes", "status"), [(["A01", "Z9"], 422), (["A01", "A03"], 422), (["A01"], 422)])
    async def test_bad_picks_are_4xx_naming_the_field(self, app, codes, status):
        async with running_app(app) as client:
            fair_id, (one,) = await picking_fair(app, 2)
            res = await pick(app, client, fair_id, one, codes)
        assert res.status_code == status and res.json()["errors"][0]["field"] == "booth_codes"

    async def test_only_ones_own_registration_in_a_fair_that_allows_picks(self, app):
        async with running_app(app) as client:
            fair_id, (one,) = await picking_fair(app, 1)
            auto = await published_fair(app)
            mine_elsewhere = approved(auto.fair_id, 1)
            await deliver(app, mine_elsewhere)
            stranger = await client.post(f"/fairs/{fair_id}/holds", headers=exhibitor(app, "ex-other"),
                                         json={"registration_id": one.registration_id, "booth_codes": ["A05"]})
            staff = await client.post(f"/fairs/{fair_id}/holds", headers=organizer(app),
                                      json={"registration_id": one.registration_id, "booth_codes": ["A05"]})
            automatic = await pick(app, client, auto.fair_id, mine_elsewhere, ["B01"])
        assert (stranger.status_code, staff.status_code) == (404, 403)
        assert automatic.status_code == 409 and automatic.json()["type"].endswith("picks-not-allowed")

    async def test_the_database_refuses_a_second_hold_when_redis_is_bypassed(self, app):
        db = app.state.runtime.db
        async with running_app(app) as client:
            fair_id, (one, two) = await picking_fair(app, 1, 1)
            hold = (await pick(app, client, fair_id, one, ["A05"])).json()
            await app.state.runtime.redis.delete(fastpath.key(fair_id, "A05"))  # the fast path forgot
            second = await pick(app, client, fair_id, two, ["A05"])
            with pytest.raises(IntegrityError):
                async with db.transaction() as session:
                    session.add(Assignment(assignment_id=unique(), fair_id=fair_id, booth_code="A05", state="held",
                                           registration_id=two.registration_id, exhibitor_id=two.exhibitor_id))
        assert hold["booth_codes"] == ["A05"] and second.status_code == 409
        assert len(await emitted(app, "booths.held")) == 1

    async def test_concurrent_picks_get_one_winner_per_booth(self, app):
        async with running_app(app) as client:
            fair_id, approvals = await picking_fair(app, *[1] * 60, capacity_booths=6, booths_per_row=6)
            answers = await asyncio.gather(*(pick(app, client, fair_id, a, [f"A{i % 6 + 1:02d}"])
                                             for i, a in enumerate(approvals)))
            plan = (await client.get(f"/fairs/{fair_id}/floorplan")).json()
        codes = [r.json()["booth_codes"][0] for r in answers if r.status_code == 201]
        assert sorted(codes) == [f"A0{i}" for i in range(1, 7)]
        assert sorted({r.status_code for r in answers}) == [201, 409]
        assert plan["counts"]["held"] == 6 and len(await emitted(app, "booths.held")) == 6

    async def test_more_picks_in_flight_than_the_fast_path_has_connections_each_get_their_key(self, app,
                                                                                            monkeypatch):
        """A crowd past the pool size waits for connections: a pool that turned the extra calls away sent those
        picks on to the database without a key (500 pickers on SQLite: 35 of 50 held booths had none)."""
        codes = [f"Z{n:03d}" for n in range(fastpath.POOL_SIZE * 3)]
        fair_id = unique("fair-crowd-")
        # The pool's queueing is under test, not the 2 s bound of a call: on a machine slowed by other work (CI's
        # run on 2 busy cores) the crowd's calls ran past it and went on without a key, as they should then.
        monkeypatch.setattr(fastpath, "TIMEOUT_S", 60.0)
        crowd = fastpath.connect(app.state.runtime.settings.redis_url)  # the service's pool, with that bound
        async with running_app(app):
            ctx = app.state.booths  # the hold time of the service's own, or its sweeper takes the keys for orphans
            try:
                taken = await asyncio.gather(*(fastpath.reserve(crowd, fair_id, [code], f"hold-{code}",
                                                                ctx.settings.hold_ttl_s) for code in codes))
            finally:
                await crowd.aclose()
            stored = await app.state.runtime.redis.mget([fastpath.key(fair_id, code) for code in codes])
        assert taken == [None] * len(codes)
        assert stored == [f"hold-{code}" for code in codes]


def _missing(app: Any, key: str) -> Any:
    async def probe() -> bool:
        return await app.state.runtime.redis.get(key) is None
    return probe()


class TestExpiry:
    async def test_an_unconfirmed_hold_is_released_automatically(self, settings_for, booths_redis_url):  # noqa: F811
        clock = FakeClock()
        app = make_app(settings_for, booths_redis_url, hold_ttl_s=300, clock=clock)
        async with running_app(app) as client:
            fair_id, (one,) = await picking_fair(app, 1)
            hold = (await pick(app, client, fair_id, one, ["A01"])).json()
            clock.advance(299)
            early = await holds.release_expired(app.state.booths)  # a second before its time: kept
            clock.advance(1)  # the hold's time is up: the sweeper (every 0.05 s) releases it on its next round
            released = await eventually(lambda: emitted(app, "booths.released"), timeout=15,
                                        what="the expired hold released by the sweeper")
            await eventually(lambda: _missing(app, fastpath.key(fair_id, "A01")), timeout=15,
                             what="its Redis key given back")
            late = await client.post(f"/fairs/{fair_id}/holds/{hold['hold_id']}/confirm",
                                     headers=exhibitor(app, one.exhibitor_id))
            plan = (await client.get(f"/fairs/{fair_id}/floorplan")).json()
            again = await pick(app, client, fair_id, one, ["A01"])
        [(_, _, event)] = released
        assert early == 0
        assert (event["cause"], event["booth_codes"], event["registration_id"]) == (
            "hold_expired", ["A01"], one.registration_id)
        assert late.status_code == 409 and plan["counts"]["held"] == 0
        assert late.json()["type"].endswith("hold-expired")  # as documented, swept or not
        assert again.status_code == 201  # free again, for anyone, the same exhibitor too

    async def test_confirming_after_expiry_releases_and_refuses(self, settings_for, booths_redis_url):  # noqa: F811
        clock = FakeClock()
        app = make_app(settings_for, booths_redis_url, hold_ttl_s=300, hold_sweep_interval_s=600, clock=clock)
        async with running_app(app) as client:
            fair_id, (one,) = await picking_fair(app, 1)
            hold = (await pick(app, client, fair_id, one, ["A01"])).json()
            clock.advance(300)  # expired; the sweeper (every 10 minutes) has not come by
            late = await client.post(f"/fairs/{fair_id}/holds/{hold['hold_id']}/confirm",
                                     headers=exhibitor(app, one.exhibitor_id))
        assert late.status_code == 409 and late.json()["type"].endswith("hold-expired")
        assert [p["cause"] for _, _, p in await emitted(app, "booths.released")] == ["hold_expired"]
        assert await emitted(app, "booths.assigned") == []

    async def test_dropping_a_hold_and_cancelling_a_registration_release_it(self, app):
        async with running_app(app) as client:
            fair_id, (one, two) = await picking_fair(app, 1, 1)
            hold = (await pick(app, client, fair_id, one, ["A01"])).json()
            dropped = await client.delete(f"/fairs/{fair_id}/holds/{hold['hold_id']}",
                                          headers=exhibitor(app, one.exhibitor_id))
            confirm_dropped = await client.post(f"/fairs/{fair_id}/holds/{hold['hold_id']}/confirm",
                                                headers=exhibitor(app, one.exhibitor_id))
            await pick(app, client, fair_id, two, ["A02"])
            await deliver(app, cancelled(two, "exhibitor"))
            plan = (await client.get(f"/fairs/{fair_id}/floorplan")).json()
            b02 = await eventually(lambda: _missing(app, fastpath.key(fair_id, "A02")), timeout=15,
                                   what="the cancelled hold's Redis key gone")
        assert dropped.json() == ["A01"] and b02
        assert confirm_dropped.status_code == 409 and confirm_dropped.json()["type"].endswith("hold-over")
        assert [p["cause"] for _, _, p in await emitted(app, "booths.released")] == ["hold_cancelled", "cancelled"]
        assert plan["counts"]["held"] == 0


class TestPreferences:
    async def test_a_corner_wish_stated_before_approval_is_granted(self, app):
        async with running_app(app) as client:
            fair = await published_fair(app)
            await deliver(app, approved(fair.fair_id, 1))  # takes A01, a corner
            approval = approved(fair.fair_id, 1)
            await deliver(app, RegistrationSubmitted(
                fair_id=fair.fair_id, registration_id=approval.registration_id, exhibitor_id=approval.exhibitor_id,
                exhibitor=ExhibitorInfo(exhibitor_id=approval.exhibitor_id, name="HTX", tax_code="0100233488",
                                        kind="cooperative"), booths_requested=1, submitted_at=datetime.now(UTC)))
            url = f"/fairs/{fair.fair_id}/requests/{approval.registration_id}/preferences"
            other = await client.put(url, json={"wants_corner": True}, headers=exhibitor(app, "ex-other"))
            wish = await client.put(url, json={"wants_corner": True}, headers=exhibitor(app, approval.exhibitor_id))
            await deliver(app, approval)
        assert other.status_code == 404 and wish.json()["wants_corner"] is True
        got = {p["registration_id"]: p for _, _, p in await emitted(app, "booths.assigned")}[approval.registration_id]
        assert got["booth_codes"] == ["A10"] and "gian góc theo nguyện vọng" in got["reason"]


class TestLiveMap:
    async def test_status_changes_reach_a_browser_as_server_sent_events(self, app):
        sock = listening_socket()
        port = sock.getsockname()[1]
        async with running_app(app) as client:
            fair_id, (one,) = await picking_fair(app, 1)
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="error"))
            serving = asyncio.create_task(server.serve(sockets=[sock]))
            try:
                await eventually(lambda: _listening(port), timeout=15, what="the server listening")
                events = await _watch(f"http://127.0.0.1:{port}/fairs/{fair_id}/floorplan/stream",
                                      lambda: pick(app, client, fair_id, one, ["A03"]))
            finally:
                server.should_exit = True
                await serving
            missing = await client.get("/fairs/nope/floorplan/stream")
        assert events[0] == ("ready", {"fair_id": fair_id})
        assert events[1] == ("booths", {"fair_id": fair_id, "cause": "hold", "booths": {"A03": "held"}})
        assert missing.status_code == 404


    async def test_two_organizers_following_one_map_on_two_processes_see_the_same_change(
            self, settings_for, booths_redis_url):  # noqa: F811
        # Two replicas on one database and one Redis: each organizer's browser is served by another process,
        # and the change is made through the first one only.
        first, second = make_app(settings_for, booths_redis_url), make_app(settings_for, booths_redis_url)
        socks = listening_socket(), listening_socket()
        ports = tuple(sock.getsockname()[1] for sock in socks)
        async with running_app(first) as client, running_app(second):
            fair_id, _ = await picking_fair(first, 1)
            servers = [uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                                     log_level="error")) for app, port in zip((first, second), ports)]
            serving = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in zip(servers, socks)]
            try:
                for port in ports:
                    await eventually(lambda port=port: _listening(port), timeout=15, what="the servers listening")
                seen: list[list[tuple[str, Any]]] = [[], []]
                ready = [asyncio.Event(), asyncio.Event()]
                followers = [asyncio.create_task(_follow(
                    f"http://127.0.0.1:{port}/fairs/{fair_id}/floorplan/stream",
                    token(first.state.settings, "organizer", centre_id=CENTRE, subject=f"organizer-{i}"),
                    seen[i], ready[i])) for i, port in enumerate(ports)]
                await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), timeout=10)
                blocked = await client.post(f"/fairs/{fair_id}/booths/block", headers=organizer(first),
                                            json={"booth_codes": ["B02", "B03"], "reason": "sân khấu"})
                await asyncio.wait_for(asyncio.gather(*followers), timeout=10)
            finally:
                for server in servers:
                    server.should_exit = True
                await asyncio.gather(*serving)
        assert blocked.json() == ["B02", "B03"]
        change = ("booths", {"fair_id": fair_id, "cause": "block", "booths": {"B02": "blocked", "B03": "blocked"}})
        assert seen[0] == seen[1] == [("ready", {"fair_id": fair_id}), change]


async def _follow(url: str, headers: dict[str, str], seen: list[tuple[str, Any]], ready: asyncio.Event) -> None:
    """One organizer's browser on the live map: its first two events (``ready`` set on the first)."""
    async with httpx.AsyncClient(timeout=10, headers=headers) as sse, sse.stream("GET", url) as response:
        name = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                seen.append((name, json.loads(line.split(":", 1)[1])))
                ready.set()
                if len(seen) == 2:
                    return

async def _listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


async def _watch(url: str, act: Any) -> list[tuple[str, Any]]:
    """Read the stream's first two events, doing ``act`` once it is ready."""
    events: list[tuple[str, Any]] = []
    async with httpx.AsyncClient(timeout=10) as sse, sse.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        name = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1])))
                if len(events) == 1:
                    await act()
                if len(events) == 2:
                    return events
    return events
