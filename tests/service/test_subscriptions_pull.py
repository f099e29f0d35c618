"""The pull channels over HTTP: replay from the event store, the live stream (SSE, served by a real uvicorn
so that it streams) with resume from Last-Event-ID, and calendar feeds at a secret address."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
import uvicorn
from icalendar import Calendar
from sqlmodel import select

from services.subscriptions.domain import matching
from services.subscriptions.models import StoredEvent
from services.subscriptions.service import eventstore
from shared.contracts import markets
from shared.envelope import event_headers
from tests.conftest import running_app, token, unique
from tests.eventually import eventually
from tests.service.test_subscriptions import (
    fair_published,
    feed,
    free_socket,
    make_app,
    rc,
    registration_approved,
)

SINCE_EVER = "2020-01-01T00:00:00Z"


def programme_created(province_code: str) -> markets.ProgrammeCreated:
    return markets.ProgrammeCreated(programme_id=unique("prog-"), centre_id="tq", name="Đưa hàng Việt 2027",
                                    year=2027, province_code=province_code, target_sessions=4)


def session_scheduled(programme: markets.ProgrammeCreated, session_id: str | None = None) -> markets.SessionScheduled:
    return markets.SessionScheduled(programme_id=programme.programme_id, session_id=session_id or unique("ses-"),
                                    province_code=programme.province_code, commune_code="00769",
                                    site_name="Chợ Mèo Vạc", starts_on=date(2027, 3, 6), ends_on=date(2027, 3, 8),
                                    booth_quota=40)


async def pull_subscription(client, headers, **body) -> dict:
    res = await client.post("/subscriptions", json={"provinces": ["08"], "event_types": ["*"], **body},
                            headers=headers)
    assert res.status_code == 201, res.text
    return res.json()


class TestReplay:
    async def test_replays_the_matching_events_since_a_time_in_pages(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        t0 = datetime.now(UTC) - timedelta(hours=5)
        async with running_app(app) as client:
            sub = await pull_subscription(client, rc(settings), event_types=["fair.*"])
            sent = []
            for hours, province in ((0, "08"), (1, "01"), (2, "08"), (3, "08"), (4, "08")):
                event = fair_published(province)
                headers = event_headers(event, source="/tests", correlation_id="c", time=t0 + timedelta(hours=hours))
                await feed(app, event, headers=headers)
                sent.append((province, headers["ce_id"]))
            await feed(app, registration_approved(fair_published("08").fair_id))  # unplaced: never replayed
            url = f"/subscriptions/{sub['id']}/events"
            since = (t0 + timedelta(minutes=30)).isoformat()
            first = (await client.get(url, params={"since": since, "limit": 2}, headers=rc(settings))).json()
            rest = (await client.get(url, params={"since": since, "limit": 2, "after": first["next_after"]},
                                     headers=rc(settings))).json()
            until = (await client.get(url, params={"since": SINCE_EVER, "until": (t0 + timedelta(hours=1)).isoformat()},
                                      headers=rc(settings))).json()
            naive = await client.get(url, params={"since": "2026-01-01T00:00:00"}, headers=rc(settings))
            missing = await client.get(url, headers=rc(settings))
        wanted = [ce_id for province, ce_id in sent[1:] if province == "08"]
        assert [e["id"] for e in first["data"]] == wanted[:2] and first["next_after"] is not None
        assert [e["id"] for e in rest["data"]] == wanted[2:] and rest["next_after"] is None
        assert first["data"][0]["specversion"] == "1.0" and first["data"][0]["type"].endswith("fair.published.v1")
        assert [e["id"] for e in until["data"]] == [sent[0][1]]
        assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "since"
        assert missing.status_code == 422

    async def test_a_regional_token_replays_only_what_its_region_covers_today(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            sub = await pull_subscription(client, rc(settings), provinces=["08", "15"])
            await feed(app, fair_published("08"))
            in_15 = await feed(app, fair_published("15"))
            narrowed = rc(settings, provinces=("15",))  # the same centre, now bound to one province
            res = await client.get(f"/subscriptions/{sub['id']}/events", params={"since": SINCE_EVER},
                                   headers=narrowed)
        assert [e["id"] for e in res.json()["data"]] == [in_15["ce_id"]]

    async def test_sql_and_python_matching_agree(self, settings_for):
        app = make_app(settings_for)
        async with running_app(app) as _client:
            programme = programme_created("08")
            fair = fair_published("08")
            for event in (fair, fair_published("79"), registration_approved(fair.fair_id), programme,
                          session_scheduled(programme), fair_published("08", centre_id="hcm")):
                await feed(app, event)
            db = app.state.runtime.db
            async with db.sessions() as session:
                stored = (await session.exec(select(StoredEvent))).all()
            filters = [matching.Filter(("*",), frozenset({"08"})),
                       matching.Filter(("fair.*",), frozenset({"08", "79"})),
                       matching.Filter(("session.scheduled", "registration.*"), frozenset({"08"})),
                       matching.Filter(("*",), frozenset({"08"}), fair_id=fair.fair_id),
                       matching.Filter(("*",), frozenset({"08"}), programme_id=programme.programme_id),
                       matching.Filter(("*",), frozenset({"08"}), centre_id="tq")]
            for wanted in filters:
                by_sql = [r.id for r in await eventstore.replay(db, wanted, since=None, limit=100)]
                by_python = [r.id for r in sorted(stored, key=lambda r: r.seq or 0)
                             if matching.matches(wanted, eventstore.facts(r))]
                assert by_sql == by_python and by_sql, wanted


@asynccontextmanager
async def served(app) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a real socket (an in-memory ASGI client would wait for the endless stream to end)."""
    sock = free_socket()
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False,
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started, what="the server")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=10,
                                     trust_env=False) as client:
            yield client
    finally:
        server.should_exit = True
        await task
        sock.close()


class SseReader:
    """Reads Server-Sent Events off a streamed response."""

    def __init__(self, response: httpx.Response) -> None:
        self.response, self._lines = response, response.aiter_lines()

    async def next(self, timeout_s: float = 10) -> dict[str, str]:
        """The next message with data (comments and retry-only messages are skipped)."""
        return await asyncio.wait_for(self._next(), timeout_s)

    async def _next(self) -> dict[str, str]:
        message: dict[str, str] = {}
        async for line in self._lines:
            if not line:
                if "data" in message:
                    return message
                message = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(":")
                message[name] = message.get(name, "") + value.removeprefix(" ")
        raise AssertionError("the stream ended")


@asynccontextmanager
async def sse(client: httpx.AsyncClient, path: str, headers: dict[str, str], **params) -> AsyncIterator[SseReader]:
    async with client.stream("GET", path, headers=headers, params=params) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield SseReader(response)


class TestLiveStream:
    async def test_streams_matching_events_and_resumes_after_last_event_id(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as local, served(app) as client:
            sub = await pull_subscription(local, rc(settings), event_types=["fair.*"])
            path = f"/subscriptions/{sub['id']}/stream"
            async with sse(client, path, rc(settings)) as stream:
                first = await feed(app, fair_published("08"))
                await feed(app, fair_published("01"))
                await feed(app, registration_approved(fair_published("08").fair_id))
                second = await feed(app, fair_published("08"))
                got = [await stream.next(), await stream.next()]
            third = await feed(app, fair_published("08"))  # while nobody listens
            async with sse(client, path, {**rc(settings), "Last-Event-ID": second["ce_id"]}) as stream:
                resumed = await stream.next()
            async with sse(client, path, rc(settings), resume_after=first["ce_id"]) as stream:
                replayed = [await stream.next(), await stream.next()]
            unknown = await client.get(path, headers={**rc(settings), "Last-Event-ID": "no-such-event"})
        assert [m["id"] for m in got] == [first["ce_id"], second["ce_id"]]
        assert got[0]["event"] == "fair.published"
        body = json.loads(got[0]["data"])
        assert body["specversion"] == "1.0" and body["id"] == first["ce_id"] and body["data"]["province_code"] == "08"
        assert resumed["id"] == third["ce_id"]
        assert [m["id"] for m in replayed] == [second["ce_id"], third["ce_id"]]
        assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "Last-Event-ID"

    async def test_an_adhoc_stream_of_a_regional_token_is_its_region(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app), served(app) as client:
            async with sse(client, "/stream", rc(settings), types="fair.*,session.scheduled") as stream:
                await feed(app, fair_published("79"))  # the south
                north = await feed(app, fair_published("08"))
                message = await stream.next()
            outside = await client.get("/stream", params={"provinces": "79"}, headers=rc(settings))
            south = await client.get("/stream", params={"regions": "south"}, headers=rc(settings))
            bad_type = await client.get("/stream", params={"types": "fair.exploded"}, headers=rc(settings))
            nobody = await client.get("/stream", headers=token(settings, "regional", subject="rc-x"))
        assert message["id"] == north["ce_id"]
        assert outside.status_code == 403 and south.status_code == 403
        assert bad_type.status_code == 422 and bad_type.json()["errors"][0]["field"] == "event_types"
        assert nobody.status_code == 422  # bound to nothing: an empty filter


class TestCalendarFeed:
    async def test_serves_the_fairs_and_sessions_of_the_subscription_at_a_secret_address(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            sub = await pull_subscription(client, rc(settings), event_types=["fair.*", "session.*"],
                                          description="Lịch vùng Tuyên Quang")
            created = await client.post(f"/subscriptions/{sub['id']}/feed", headers=rc(settings))
            path = created.json()["path"]
            fair = fair_published("08")
            programme = programme_created("08")
            kept, dropped = session_scheduled(programme), session_scheduled(programme)
            elsewhere = programme_created("79")
            for event in (fair, fair_published("79"), programme, kept, dropped, elsewhere,
                          session_scheduled(elsewhere),
                          markets.SessionCancelled(programme_id=programme.programme_id, session_id=dropped.session_id,
                                                   reason="Biên phòng tạm dừng tụ họp")):
                await feed(app, event)
            res = await client.get(path)  # no token: the address is the key
            again = await client.get(path, headers={"If-None-Match": res.headers["etag"]})
            shown = (await client.get(f"/subscriptions/{sub['id']}", headers=rc(settings))).json()
        assert created.status_code == 201 and created.json()["url"].endswith(path) and path.endswith(".ics")
        assert res.status_code == 200 and res.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(res.content)
        events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
        assert set(events) == {f"fair-{fair.fair_id}@hangviet.vn", f"session-{kept.session_id}@hangviet.vn",
                               f"session-{dropped.session_id}@hangviet.vn"}
        assert str(events[f"session-{dropped.session_id}@hangviet.vn"]["status"]) == "CANCELLED"
        assert str(events[f"session-{kept.session_id}@hangviet.vn"]["status"]) == "CONFIRMED"
        assert str(calendar["x-wr-calname"]) == "Lịch vùng Tuyên Quang"
        assert again.status_code == 304 and shown["has_feed"] and "feed_token" not in shown

    async def test_a_new_address_revokes_the_old_and_revoking_or_deactivating_ends_it(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            sub = await pull_subscription(client, rc(settings))
            old = (await client.post(f"/subscriptions/{sub['id']}/feed", headers=rc(settings))).json()["path"]
            new = (await client.post(f"/subscriptions/{sub['id']}/feed", headers=rc(settings))).json()["path"]
            statuses = [(await client.get(old)).status_code, (await client.get(new)).status_code]
            assert (await client.delete(f"/subscriptions/{sub['id']}/feed", headers=rc(settings))).status_code == 204
            statuses.append((await client.get(new)).status_code)
            newest = (await client.post(f"/subscriptions/{sub['id']}/feed", headers=rc(settings))).json()["path"]
            await client.delete(f"/subscriptions/{sub['id']}", headers=rc(settings))
            statuses.append((await client.get(newest)).status_code)
            statuses.append((await client.get("/feeds/guess.ics")).status_code)
        assert statuses == [404, 200, 404, 404, 404]


class TestDeactivated:
    async def test_replay_and_stream_of_a_deactivated_subscription_are_refused(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            sub = await pull_subscription(client, rc(settings))
            await feed(app, fair_published("08"))
            before = await client.get(f"/subscriptions/{sub['id']}/events", params={"since": SINCE_EVER},
                                      headers=rc(settings))
            assert (await client.delete(f"/subscriptions/{sub['id']}", headers=rc(settings))).status_code == 200
            replay = await client.get(f"/subscriptions/{sub['id']}/events", params={"since": SINCE_EVER},
                                      headers=rc(settings))
            stream = await client.get(f"/subscriptions/{sub['id']}/stream", headers=rc(settings))
            admin = await client.get(f"/subscriptions/{sub['id']}/events", params={"since": SINCE_EVER},
                                     headers=token(settings, "admin"))
            stranger = await client.get(f"/subscriptions/{sub['id']}/stream", headers=rc(settings, subject="rc-x"))
            deliveries = await client.get(f"/subscriptions/{sub['id']}/deliveries", headers=rc(settings))
        assert before.status_code == 200 and before.json()["count"] == 1
        for refused in (replay, stream, admin):
            assert refused.status_code == 409, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["type"].endswith("/inactive"), refused.json()
        assert stranger.status_code == 404  # another's subscription stays invisible, active or not
        assert deliveries.status_code == 200  # its log stays readable

    async def test_an_open_stream_ends_when_its_subscription_is_deactivated(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as local, served(app) as client:
            sub = await pull_subscription(local, rc(settings), event_types=["fair.*"])
            async with sse(client, f"/subscriptions/{sub['id']}/stream", rc(settings)) as stream:
                first = await feed(app, fair_published("08"))
                got = await stream.next()
                await local.delete(f"/subscriptions/{sub['id']}", headers=rc(settings))
                await feed(app, fair_published("08"))
                with pytest.raises(AssertionError, match="the stream ended"):
                    await stream.next(timeout_s=5)
        assert got["id"] == first["ce_id"]
