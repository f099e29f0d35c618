"""The subscriptions service in memory (FastStream's test broker) on a real database file, delivering to a
real HTTP receiver on 127.0.0.1; signatures are checked with the `standardwebhooks` library."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
import uvicorn
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from cloudevents.core.formats.json import JSONFormat
from sqlmodel import select
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from services.subscriptions.app import create_app
from services.subscriptions.domain.delivery import DeliveryPolicy
from services.subscriptions.models import StoredEvent
from services.subscriptions.settings import SubscriptionsSettings
from shared.contracts import booths, markets, registration
from shared.contracts.base import Event
from shared.envelope import event_headers
from tests.conftest import running_app, token, unique
from tests.eventually import eventually

FAST = DeliveryPolicy(base_s=0.01, max_s=0.05, max_attempts=8, timeout_s=2.0)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int = 0  # what the receiver answered
    at: float = 0.0  # when it arrived (time.monotonic())

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver answering with the scripted statuses (then 200) after the scripted delays (then 0)."""

    statuses: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    async def endpoint(self, request: Request) -> PlainTextResponse:
        arrived = time.monotonic()
        status = self.statuses.pop(0) if self.statuses else 200
        self.requests.append(Received(dict(request.headers), await request.body(), status, arrived))
        await asyncio.sleep(self.delays.pop(0) if self.delays else 0)
        return PlainTextResponse(f"nhận / got it ({status})", status_code=status)


def free_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1, not yet listening (connections are refused)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}/hooks/hangviet"


@asynccontextmanager
async def receiver(sock: socket.socket | None = None, **options) -> AsyncIterator[Receiver]:
    """A real HTTP server on a free port of 127.0.0.1 (or on `sock`), for the life of the block."""
    rec = Receiver(**options)
    sock = sock or free_socket()
    rec.url = url_of(sock)
    app = Starlette(routes=[Route("/hooks/hangviet", rec.endpoint, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False,
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started, what="the receiver's server")
    try:
        yield rec
    finally:
        server.should_exit = True
        await task
        sock.close()


def make_app(settings_for, *, policy: DeliveryPolicy = FAST, allow_loopback: bool = True):
    return create_app(settings_for("subscriptions"),
                      subscriptions=SubscriptionsSettings(webhook_allow_loopback=allow_loopback),
                      policy=policy, poll_interval_s=0.05)


def fair_published(province_code: str, fair_id: str | None = None, *,
                   centre_id: str = "tq") -> registration.FairPublished:
    now = datetime.now(UTC)
    return registration.FairPublished(
        fair_id=fair_id or unique("fair-"), centre_id=centre_id, name="Hội chợ Xuân 2027", kind="provincial",
        province_code=province_code, venue="Quảng trường", starts_on=date(2027, 1, 20), ends_on=date(2027, 1, 26),
        registration_opens_at=now, registration_closes_at=now, capacity_booths=70, booth_price_vnd=5_000_000,
        max_booths_per_exhibitor=4, seller=registration.PartyInfo(name="TT KC&XTTM", tax_code="0100233488"))


def registration_approved(fair_id: str) -> registration.RegistrationApproved:
    exhibitor = registration.ExhibitorInfo(exhibitor_id="ex-1", name="HTX Chè Shan tuyết", tax_code="0100233488",
                                           kind="cooperative")
    return registration.RegistrationApproved(fair_id=fair_id, registration_id=unique("reg-"), exhibitor_id="ex-1",
                                             exhibitor=exhibitor, booths_requested=2, approved_at=datetime.now(UTC))


def rc(settings, *, subject: str = "rc-north", region: str = "north", **claims) -> dict[str, str]:
    """A regional centre's token, bound to a region (the north by default)."""
    return token(settings, "regional", subject=subject, region=region, **claims)


async def feed(app, event: Event, *, headers: dict[str, str] | None = None) -> dict[str, str]:
    """Publish an event to the service as another service's relay would; returns its headers."""
    headers = headers or event_headers(event, source="/tests", correlation_id="c-1")
    await app.state.runtime.broker.publish(event.model_dump_json().encode(), topic=event.topic,
                                           key=event.key().encode(), headers=headers)
    return headers


async def subscribe(client, settings, url: str, *, provinces=("08",), event_types=("fair.*",),
                    subject: str = "rc-north") -> dict:
    res = await client.post("/subscriptions", json={"url": url, "provinces": list(provinces),
                                                    "event_types": list(event_types)},
                            headers=rc(settings, subject=subject))
    assert res.status_code == 201, res.text
    return res.json()


async def deliveries(client, settings, subscription_id: str, subject: str = "rc-north") -> list[dict]:
    res = await client.get(f"/subscriptions/{subscription_id}/deliveries",
                           headers=rc(settings, subject=subject))
    assert res.status_code == 200, res.text
    return res.json()["data"]


async def settled(client, settings, subscription_id: str, count: int, subject: str = "rc-north", *,
                  timeout: float = 60) -> list[dict]:
    """The subscription's deliveries once `count` of them exist and none is pending."""
    rows: list[dict] = []

    async def done() -> bool:
        nonlocal rows
        rows = await deliveries(client, settings, subscription_id, subject=subject)
        return len(rows) == count and all(r["status"] != "pending" for r in rows)

    await eventually(done, timeout=timeout, what=f"{count} settled deliveries")
    return rows


class TestDelivery:
    async def test_delivers_fair_events_of_its_province_only_signed_per_standard_webhooks(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            in_08 = fair_published("08")
            sent = await feed(app, in_08)
            await feed(app, fair_published("01"))
            await feed(app, registration_approved(in_08.fair_id))  # in 08, but not a fair.* event
            # A published event is applied before `feed` returns: one delivery owed, and it is settled.
            rows = await settled(client, settings, sub["id"], 1)
        assert len(rec.requests) == 1
        request = rec.requests[0]
        assert Webhook(sub["secret"]).verify(request.body, request.headers)
        assert request.headers["webhook-id"] == sent["ce_id"]
        # Structured mode of the CloudEvents HTTP binding: the SDK's JSON format names the media type.
        assert request.headers["content-type"] == f"{JSONFormat.CONTENT_TYPE}; charset=utf-8"
        assert request.headers["content-type"] == "application/cloudevents+json; charset=utf-8"
        body = request.json()
        assert body["specversion"] == "1.0" and body["id"] == sent["ce_id"]
        assert body["type"] == "vn.hangviet.fair.published.v1" and body["source"] == "/tests"
        assert body["subject"] == in_08.fair_id and body["correlationid"] == "c-1"
        assert body["datacontenttype"] == "application/json" and body["time"] == sent["ce_time"]
        assert body["data"]["fair_id"] == in_08.fair_id and body["data"]["province_code"] == "08"
        cloudevent = from_http_event(HTTPMessage(headers=request.headers, body=request.body))  # the SDK reads it
        assert cloudevent.get_id() == sent["ce_id"] and cloudevent.get_extension("correlationid") == "c-1"
        assert cloudevent.get_data()["fair_id"] == in_08.fair_id
        assert rows[0]["status"] == "delivered" and rows[0]["event_type"] == "fair.published"
        assert [a["status_code"] for a in rows[0]["attempts"]] == [200]
        assert rows[0]["attempts"][0]["response_excerpt"].startswith("nhận")

    async def test_retries_a_failing_receiver_and_delivers_once(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with receiver(statuses=[500, 500, 200]) as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            await feed(app, fair_published("08"))
            rows = await settled(client, settings, sub["id"], 1)
        assert rows[0]["status"] == "delivered"
        assert [a["status_code"] for a in rows[0]["attempts"]] == [500, 500, 200]
        assert [a["number"] for a in rows[0]["attempts"]] == [1, 2, 3]
        assert all(a["latency_ms"] >= 0 for a in rows[0]["attempts"])
        assert len({r.headers["webhook-id"] for r in rec.requests}) == 1  # the same message, retried

    async def test_parks_a_delivery_once_its_attempts_are_spent(self, settings_for):
        app = make_app(settings_for, policy=DeliveryPolicy(base_s=0.01, max_s=0.02, max_attempts=3, timeout_s=2))
        settings = app.state.settings
        async with receiver(statuses=[503] * 10) as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            await feed(app, fair_published("08"))
            rows = await settled(client, settings, sub["id"], 1)
        assert rows[0]["status"] == "parked" and rows[0]["attempt_count"] == 3
        assert rows[0]["last_error"] == "HTTP 503" and len(rec.requests) == 3

    async def test_a_redelivered_kafka_event_is_not_delivered_twice(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            event = fair_published("08")
            headers = await feed(app, event)
            await feed(app, event, headers=headers)  # applied (and found a duplicate) before it returns
            await settled(client, settings, sub["id"], 1)
        assert len(rec.requests) == 1

    async def test_delivers_a_subscription_events_in_order_even_when_the_first_is_retried(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with receiver(statuses=[500, 500]) as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url, event_types=["*"])
            fair = fair_published("08")
            first = await feed(app, fair)
            second = await feed(app, registration_approved(fair.fair_id))
            await settled(client, settings, sub["id"], 2)
        ids = [r.headers["webhook-id"] for r in rec.requests]
        assert ids == [first["ce_id"]] * 3 + [second["ce_id"]]

    async def test_a_slow_receiver_does_not_hold_up_other_subscriptions(self, settings_for):
        app = make_app(settings_for, policy=DeliveryPolicy(base_s=5, max_s=5, max_attempts=2, timeout_s=1.5))
        settings = app.state.settings
        async with receiver(delays=[3]) as slow, receiver() as fast, running_app(app) as client:
            slow_sub = await subscribe(client, settings, slow.url, subject="rc-slow")
            fast_sub = await subscribe(client, settings, fast.url)
            await feed(app, fair_published("08"))
            await settled(client, settings, fast_sub["id"], 1)
            slow_while_fast_done = await deliveries(client, settings, slow_sub["id"], subject="rc-slow")

            async def slow_attempted() -> bool:
                rows = await deliveries(client, settings, slow_sub["id"], subject="rc-slow")
                return bool(rows and rows[0]["attempts"])

            await eventually(slow_attempted)
            slow_rows = await deliveries(client, settings, slow_sub["id"], subject="rc-slow")
        assert slow_while_fast_done[0]["attempts"] == []  # still waiting for the slow receiver's answer
        assert slow_rows[0]["status"] == "pending"  # timed out, waiting for its retry
        assert "Timeout" in slow_rows[0]["attempts"][0]["error"]
        assert slow_rows[0]["attempts"][0]["latency_ms"] >= 1400

    async def test_delivers_as_soon_as_the_event_commits_without_waiting_for_a_poll(self, settings_for):
        app = create_app(settings_for("subscriptions"),
                         subscriptions=SubscriptionsSettings(webhook_allow_loopback=True), policy=FAST,
                         poll_interval_s=30)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            worker = app.state.delivery_worker
            await eventually(lambda: worker.looks >= 1, what="the worker's first look")  # now it sleeps 30 s
            await feed(app, fair_published("08"))
            await eventually(lambda: rec.requests, timeout=5, what="the webhook")
        assert len(rec.requests) == 1 and sub["id"]

    async def test_a_pending_delivery_survives_a_restart(self, settings_for):
        sock = free_socket()
        first = make_app(settings_for, policy=DeliveryPolicy(base_s=0.2, max_s=0.2, max_attempts=8, timeout_s=2))
        settings = first.state.settings
        async with running_app(first) as client:
            sub = await subscribe(client, settings, url_of(sock))
            await feed(first, fair_published("08"))

            async def refused() -> bool:
                rows = await deliveries(client, settings, sub["id"])
                return bool(rows and rows[0]["attempts"])

            await eventually(refused)  # nobody listens yet: the connection is refused
        second = make_app(settings_for)
        async with receiver(sock) as rec, running_app(second) as client:
            rows = await settled(client, settings, sub["id"], 1)
        assert rows[0]["status"] == "delivered" and rows[0]["attempts"][0]["status_code"] is None
        assert "ConnectError" in rows[0]["attempts"][0]["error"]
        assert rows[0]["attempts"][-1]["status_code"] == 200 and len(rec.requests) == 1

    async def test_a_delivery_cut_short_by_shutdown_is_sent_at_once_by_the_next_process(self, settings_for):
        async with receiver(delays=[60]) as rec:
            first = make_app(settings_for, policy=DeliveryPolicy(base_s=0.01, max_s=0.05, timeout_s=30))
            settings = first.state.settings
            async with running_app(first) as client:
                sub = await subscribe(client, settings, rec.url)
                await feed(first, fair_published("08"))
                await eventually(lambda: rec.requests)  # the receiver holds the request: shut down meanwhile
            async with running_app(make_app(settings_for)) as client:
                rows = await settled(client, settings, sub["id"], 1)  # well before the 60 s lease would end
        assert [a["status_code"] for a in rows[0]["attempts"]] == [200]
        assert len(rec.requests) == 2  # at least once: receivers deduplicate by webhook-id
        assert rec.requests[0].headers["webhook-id"] == rec.requests[1].headers["webhook-id"]

    async def test_places_events_by_their_fair_or_programme(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url, provinces=["Hà Giang", "15"],
                                  event_types=["registration.approved", "session.*"])
            assert sub["provinces"] == ["08", "15"]  # the old name maps to the new province
            fair = fair_published("08")
            await feed(app, fair)
            approved = await feed(app, registration_approved(fair.fair_id))
            await feed(app, registration_approved("fair-never-seen"))
            await feed(app, booths.FloorplanPublished(fair_id="fair-never-seen", booth_count=1, booth_codes=["A1"]))
            programme = markets.ProgrammeCreated(programme_id=unique("prog-"), centre_id="lc", name="Đưa hàng Việt",
                                                 year=2027, province_code="15", target_sessions=4)
            await feed(app, programme)
            cancelled = await feed(app, markets.SessionCancelled(programme_id=programme.programme_id,
                                                                 session_id="s-1", reason="biên phòng tạm dừng"))
            await settled(client, settings, sub["id"], 2)
        assert [r.headers["webhook-id"] for r in rec.requests] == [approved["ce_id"], cancelled["ce_id"]]
        async with app.state.runtime.db.sessions() as session:
            stored = (await session.exec(select(StoredEvent))).all()
        assert len(stored) == 6  # every event is kept, placed or not
        unplaced = [e for e in stored if e.province_code is None]
        assert {e.event_type for e in unplaced} == {"registration.approved", "floorplan.published"}
        assert all(e.correlation_id == "c-1" for e in stored)

    async def test_a_deactivated_subscription_receives_nothing_more(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            res = await client.delete(f"/subscriptions/{sub['id']}",
                                      headers=rc(settings, subject="rc-north"))
            assert res.status_code == 200 and res.json()["active"] is False
            await feed(app, fair_published("08"))  # applied before it returns: nothing owed
            assert await deliveries(client, settings, sub["id"]) == []
        assert rec.requests == []


class TestSubscribe:
    @pytest.mark.sqlite_only(reason="URL and address checks do not depend on the database")
    @pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "ftp://x",
                                     "http://[::ffff:192.168.0.1]/", "http://0.0.0.0:8080/", "http://224.0.0.1/",
                                     "not a url"])
    async def test_refuses_unsafe_urls_naming_the_field(self, settings_for, url):
        app = make_app(settings_for)
        async with running_app(app) as client:
            res = await client.post("/subscriptions", json={"url": url, "provinces": ["08"], "event_types": ["*"]},
                                    headers=rc(app.state.settings, subject="rc-north"))
        assert res.status_code == 422, res.text
        assert res.headers["content-type"] == "application/problem+json"
        assert res.json()["errors"][0]["field"] == "url"

    async def test_refuses_loopback_unless_the_setting_allows_it(self, settings_for):
        app = make_app(settings_for, allow_loopback=False)
        async with running_app(app) as client:
            for url in ("http://127.0.0.1:9/", "http://localhost:9/", "http://[::1]:9/"):
                res = await client.post("/subscriptions",
                                        json={"url": url, "provinces": ["08"], "event_types": ["*"]},
                                        headers=rc(app.state.settings, subject="rc-north"))
                assert res.status_code == 422, (url, res.text)
                assert res.json()["errors"][0]["field"] == "url"

    @pytest.mark.sqlite_only(reason="a request's fields are checked before anything is read or stored")
    @pytest.mark.parametrize(("change", "field_name"), [
        ({"provinces": []}, "provinces"), ({"event_types": []}, "event_types"),
        ({"provinces": ["Atlantis"]}, "provinces.0"), ({"event_types": ["fair.exploded"]}, "event_types"),
        ({"colour": "red"}, "colour"),
    ])
    async def test_refuses_bad_filters_naming_the_field(self, settings_for, change, field_name):
        app = make_app(settings_for)
        body = {"url": "http://127.0.0.1:9/", "provinces": ["08"], "event_types": ["fair.*"], **change}
        async with running_app(app) as client:
            res = await client.post("/subscriptions", json=body,
                                    headers=rc(app.state.settings, subject="rc-north"))
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == field_name

    async def test_shows_the_secret_only_once(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            sub = await subscribe(client, settings, "http://127.0.0.1:9/")
            again = await client.get(f"/subscriptions/{sub['id']}", headers=token(settings, "regional",
                                                                                  subject="rc-north"))
        assert sub["secret"].startswith("whsec_")
        assert again.status_code == 200 and "secret" not in again.json()

    async def test_a_regional_token_bound_to_provinces_cannot_subscribe_outside_them(self, settings_for):
        app = make_app(settings_for)
        async with running_app(app) as client:
            res = await client.post("/subscriptions", json={"url": "http://127.0.0.1:9/", "provinces": ["01"],
                                                            "event_types": ["*"]},
                                    headers=rc(app.state.settings, subject="rc-north",
                                                  provinces=("08", "15")))
        assert res.status_code == 403
        assert res.json()["errors"][0]["field"] == "provinces"


class TestVisibility:
    async def test_a_regional_centre_sees_only_its_own_subscriptions(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        other = rc(settings, subject="rc-south")
        async with running_app(app) as client:
            sub = await subscribe(client, settings, "http://127.0.0.1:9/")
            assert (await client.get(f"/subscriptions/{sub['id']}", headers=other)).status_code == 404
            assert (await client.get(f"/subscriptions/{sub['id']}/deliveries", headers=other)).status_code == 404
            assert (await client.delete(f"/subscriptions/{sub['id']}", headers=other)).status_code == 404
            assert (await client.get("/subscriptions", headers=other)).json()["count"] == 0
            own = await client.get("/subscriptions", headers=rc(settings, subject="rc-north"))
            admin = await client.get(f"/subscriptions/{sub['id']}", headers=token(settings, "admin"))
        assert [s["id"] for s in own.json()["data"]] == [sub["id"]]
        assert admin.status_code == 200

    async def test_exhibitors_and_anonymous_callers_are_refused(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            res = await client.get("/subscriptions", headers=token(settings, "exhibitor", exhibitor_id="e1"))
            assert res.status_code == 403
            assert (await client.get("/subscriptions")).status_code == 401

    async def test_documents_the_topics_it_reads(self, settings_for):
        app = make_app(settings_for)
        async with running_app(app) as client:
            res = await client.get("/asyncapi")
        assert res.status_code == 200
        assert "billing.events" in res.text and "markets.events" in res.text
