"""The regional centre's pages in memory: subscriptions, deliveries, live feed, calendar; services mocked."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from services.portal.app import create_app
from tests.conftest import running_app
from tests.service.test_portal import PORTAL, FakeServices, database_url, log_in, problem, text_of  # noqa: F401

NORTH = ["01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25", "31", "33", "37"]
SUBSCRIPTION = {
    "id": "s-1", "owner": "ttkc1", "owner_role": "regional", "url": "https://hook.example.vn/hangviet",
    "regions": ["north"], "provinces": NORTH, "event_types": ["fair.*"], "fair_id": None, "programme_id": None,
    "centre_id": None, "description": "Hội chợ miền Bắc", "active": True, "flagged": True,
    "flagged_at": "2026-11-02T03:00:00Z", "flag_reason": "parked after 8 attempts", "previous_secret_until": None,
    "has_feed": False, "created_at": "2026-11-01T03:00:00Z",
}
ATTEMPT = {"number": 1, "round": 1, "started_at": "2026-11-02T02:00:00Z", "status_code": 503, "latency_ms": 42,
           "response_excerpt": "Service Unavailable <b>", "error": None, "signatures": 1,
           "finished_at": "2026-11-02T02:00:01Z", "retry_at": None}
PARKED = {"id": 7, "event_id": "e-7", "event_type": "fair.published", "status": "parked", "attempt_count": 8,
          "round_attempts": 8, "redeliveries": 0, "next_attempt_at": None, "created_at": "2026-11-02T02:00:00Z",
          "finished_at": None, "last_error": "503", "attempts": [ATTEMPT]}
DELIVERED = {**PARKED, "id": 8, "event_id": "e-8", "status": "delivered", "attempt_count": 1,
             "attempts": [{**ATTEMPT, "status_code": 204, "latency_ms": 17, "response_excerpt": ""}]}
ME = {"subject": "ttkc1", "role": "regional", "region": "north", "centre_id": None, "provinces": NORTH,
      "subscriptions": 1, "flagged": 1}
REGIONS = [{"id": "north", "name": "Miền Bắc", "centre": "TT KC&TVPTCN 1", "provinces": NORTH},
           {"id": "south", "name": "Miền Nam", "centre": "TT KC&TVPTCN 3", "provinces": ["79"]}]


@pytest.fixture
def portal(settings_for):
    settings = settings_for("portal")
    fake = FakeServices({n: PORTAL.service_url(n) for n in ("registration", "billing", "subscriptions")})
    fake.on("GET", "subscriptions", "/subscriptions", httpx.Response(200, json={"data": [SUBSCRIPTION], "count": 1}))
    fake.on("GET", "subscriptions", "/subscriptions/s-1", httpx.Response(200, json=SUBSCRIPTION))
    fake.on("GET", "subscriptions", "/subscriptions/s-1/deliveries",
            httpx.Response(200, json={"data": [DELIVERED, PARKED], "count": 2}))
    fake.on("GET", "subscriptions", "/subscribers/me", httpx.Response(200, json=ME))
    fake.on("GET", "subscriptions", "/regions", httpx.Response(200, json=REGIONS))
    return create_app(settings, portal=PORTAL, transport=httpx.MockTransport(fake.handler)), fake


def field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page)
    return found.group(1) if found else ""


class TestSubscriptions:
    async def test_lists_the_subscriptions_with_the_flag(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.get("/regional")
        page = text_of(res)
        assert res.status_code == 200
        assert "Hội chợ miền Bắc" in page and "Có lần gửi bị tạm dừng" in page
        assert 'href="/static/regional.css"' in page and "style=" not in page

    async def test_the_form_offers_only_the_regions_and_provinces_within_reach(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            page = text_of(await client.get("/regional/subscriptions/new"))
        assert 'value="north"' in page and 'value="south"' not in page
        assert 'name="provinces" value="08"' in page and 'name="provinces" value="79"' not in page
        for name in ("description", "url", "event_types", "fair_id", "programme_id"):
            assert f'<label for="{name}">' in page

    async def test_creates_a_subscription_and_shows_its_secret_once_without_caching(self, portal):
        app, fake = portal
        fake.on("POST", "subscriptions", "/subscriptions",
                httpx.Response(201, json={**SUBSCRIPTION, "flagged": False, "secret": "whsec_c2VjcmV0"}))
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.post("/regional/subscriptions", data={
                "description": "Hội chợ miền Bắc", "url": " https://hook.example.vn/hangviet ",
                "event_types": "fair.*, session.scheduled", "regions": ["north"], "provinces": ["08"]})
        assert res.status_code == 201
        assert 'value="whsec_c2VjcmV0"' in text_of(res)
        assert res.headers["cache-control"] == "no-store"
        sent = json.loads(fake.calls_to("POST", "/subscriptions")[0].content)
        assert sent == {"event_types": ["fair.*", "session.scheduled"], "provinces": ["08"], "regions": ["north"],
                        "description": "Hội chợ miền Bắc", "url": "https://hook.example.vn/hangviet"}

    async def test_the_ssrf_guards_refusal_stands_next_to_the_url(self, portal):
        app, fake = portal
        message = "Địa chỉ không được phép (mạng nội bộ) / the address is not public (private network)"
        fake.on("POST", "subscriptions", "/subscriptions",
                problem(422, "Địa chỉ webhook không hợp lệ / invalid webhook URL",
                        [{"field": "url", "message": message}]))
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.post("/regional/subscriptions", data={
                "url": "http://169.254.169.254/latest", "event_types": "fair.*", "regions": ["north"]})
        page = text_of(res)
        assert res.status_code == 422
        assert field_error(page, "url") == "Địa chỉ không được phép (mạng nội bộ)"
        assert 'id="url"' in page and 'aria-describedby="url-error"' in page
        assert 'value="http://169.254.169.254/latest"' in page

    async def test_an_event_type_error_from_a_list_item_stands_next_to_its_field(self, portal):
        app, fake = portal
        fake.on("POST", "subscriptions", "/subscriptions", problem(422, "Dữ liệu không hợp lệ / Invalid input", [
            {"field": "event_types.0", "message": "Không có sự kiện nào tên như vậy / no such event: fare.*"}]))
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.post("/regional/subscriptions", data={"event_types": "fare.*", "regions": ["north"]})
        assert field_error(text_of(res), "event_types") == "Không có sự kiện nào tên như vậy"


class TestDeliveries:
    async def test_shows_attempts_with_status_latency_and_escaped_excerpt(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.get("/regional/subscriptions/s-1", params={"status": "parked"})
        assert res.status_code == 200
        assert fake.calls_to("GET", "/subscriptions/s-1/deliveries")[0].url.params["status"] == "parked"
        assert "Service Unavailable &lt;b&gt;" in res.text  # the receiver's answer is text, not markup
        page = text_of(res)
        assert '<td class="code">503</td><td class="num">42</td>' in page
        assert '<td class="code">204</td><td class="num">17</td>' in page
        assert 'action="/regional/subscriptions/s-1/deliveries/7/redeliver"' in page
        assert 'action="/regional/subscriptions/s-1/deliveries/8/redeliver"' not in page
        assert "Gửi lại tất cả lần gửi bị tạm dừng (1)" in page

    @pytest.mark.parametrize("path", ["/deliveries/7/redeliver", "/deliveries/redeliver"])
    async def test_redelivers_and_comes_back_to_the_log(self, portal, path):
        app, fake = portal
        fake.on("POST", "subscriptions", f"/subscriptions/s-1{path}",
                httpx.Response(200, json={"count": 1, "delivery_ids": [7]}))
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.post(f"/regional/subscriptions/s-1{path}")
        assert res.status_code == 303
        assert res.headers["location"] == "/regional/subscriptions/s-1?result=redelivered"
        assert len(fake.calls_to("POST", f"/subscriptions/s-1{path}")) == 1

    async def test_a_refused_redelivery_is_a_readable_page(self, portal):
        app, fake = portal
        fake.on("POST", "subscriptions", "/subscriptions/s-1/deliveries/7/redeliver",
                problem(409, "Lần gửi không ở trạng thái tạm dừng / delivery is not parked"))
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.post("/regional/subscriptions/s-1/deliveries/7/redeliver",
                                    headers={"accept": "text/html"})
        assert res.status_code == 409 and "Lần gửi không ở trạng thái tạm dừng" in text_of(res)

    async def test_rotates_the_secret_stopping_the_old_one_when_asked(self, portal):
        app, fake = portal
        fake.on("POST", "subscriptions", "/subscriptions/s-1/secret",
                httpx.Response(200, json={"secret": "whsec_bmV3", "previous_secret_until": None}))
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.post("/regional/subscriptions/s-1/secret", data={"overlap": "none"})
        assert res.status_code == 200 and 'value="whsec_bmV3"' in text_of(res)
        assert res.headers["cache-control"] == "no-store"
        assert json.loads(fake.calls_to("POST", "/subscriptions/s-1/secret")[0].content) == {"overlap_s": 0}

    async def test_deactivates(self, portal):
        app, fake = portal
        fake.on("DELETE", "subscriptions", "/subscriptions/s-1", httpx.Response(200, json=SUBSCRIPTION))
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.post("/regional/subscriptions/s-1/delete")
        assert res.status_code == 303 and res.headers["location"] == "/regional?result=deleted"
        assert fake.calls_to("DELETE", "/subscriptions/s-1")


class TestCalendar:
    async def test_creates_a_copyable_portal_address_and_relays_the_feed(self, portal):
        app, fake = portal
        fake.on("POST", "subscriptions", "/subscriptions/s-1/feed", httpx.Response(201, json={
            "url": "http://127.0.0.1:8005/feeds/AbC_123-xyz.ics", "path": "/feeds/AbC_123-xyz.ics"}))
        fake.on("GET", "subscriptions", "/feeds/AbC_123-xyz.ics", httpx.Response(
            200, content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            headers={"content-type": "text/calendar; charset=utf-8", "etag": '"abc"'}))
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.post("/regional/subscriptions/s-1/feed")
            client.cookies.clear()  # a calendar app has no cookie
            feed = await client.get("/regional/feeds/AbC_123-xyz.ics")
        page = text_of(res)
        assert res.status_code == 201
        assert 'value="http://test/regional/feeds/AbC_123-xyz.ics"' in page
        assert 'data-copy="feed-url"' in page and 'src="/static/js/regional-copy.js"' in page
        assert feed.status_code == 200 and feed.content.startswith(b"BEGIN:VCALENDAR")
        assert feed.headers["content-type"].startswith("text/calendar") and feed.headers["etag"] == '"abc"'
        assert "authorization" not in fake.calls_to("GET", "/feeds/AbC_123-xyz.ics")[0].headers

    async def test_a_malformed_feed_name_is_not_found_without_a_call(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            res = await client.get("/regional/feeds/..%2Fsubscriptions.ics", headers={"accept": "text/html"})
        assert res.status_code == 404
        assert not [c for c in fake.calls if "/feeds/" in c.url.path]


class TestLiveFeed:
    async def test_the_page_loads_its_script_from_the_portal_and_has_no_inline_code(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.get("/regional/live", params={"types": "fair.*"})
            script = await client.get("/static/js/live-feed.js")
        page = text_of(res)
        assert '<script src="/static/js/live-feed.js" defer></script>' in page
        assert "<script>" not in page and "style=" not in page and " on" + "click=" not in page
        assert 'data-source="/regional/live/stream?types=fair.%2A"' in page
        assert "fair.published" in page  # the event names the script listens to
        assert "script-src 'self'" in res.headers["content-security-policy"]
        assert script.status_code == 200 and "EventSource" in script.text and "innerHTML" not in script.text

    @pytest.mark.parametrize(("lang", "label", "status"), [("vi", "Tỉnh, thành phố", "Đang nhận đăng ký"),
                                                          ("en", "Province", None)])
    async def test_gives_the_script_readable_labels_and_province_names(self, portal, lang, label, status):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            await client.get(f"/lang/{lang}")
            res = await client.get("/regional/live")
        found = re.search(r'<script type="application/json" id="live-labels">(.*?)</script>', res.text)
        assert found
        labels = json.loads(found.group(1))
        assert ["province_code", label] in labels["fields"]
        assert labels["provinces"]["08"] == "Tuyên Quang"
        assert labels["statuses"].get("open") == status

    async def test_relays_the_event_stream_with_the_token_and_last_event_id(self, portal):
        app, fake = portal
        body = (b": hangviet\nretry: 3000\n\n"
                b'id: e-9\nevent: fair.published\ndata: {"type": "vn.hangviet.fair.published.v1"}\n\n')
        fake.on("GET", "subscriptions", "/stream",
                httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
        async with running_app(app) as client:
            token = await log_in(client, "regional-ttkc1")
            res = await client.get("/regional/live/stream", params={"types": "fair.*"},
                                   headers={"last-event-id": "e-8"})
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/event-stream")
        assert res.content == body
        sent = fake.calls_to("GET", "/stream")[0]
        assert sent.headers["authorization"] == f"Bearer {token}"
        assert sent.headers["last-event-id"] == "e-8" and sent.url.params["types"] == "fair.*"

    async def test_a_refused_stream_is_an_error_status_not_an_empty_stream(self, portal):
        app, fake = portal
        fake.on("GET", "subscriptions", "/stream", problem(403, "Ngoài phạm vi / outside your reach"))
        async with running_app(app) as client:
            await log_in(client, "regional-ttkc1")
            res = await client.get("/regional/live/stream")
        assert res.status_code == 403


class TestRoles:
    @pytest.mark.parametrize("user", ["organizer-tq", "ex-dongvan"])
    async def test_refuses_organizers_and_exhibitors(self, portal, user):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, user)
            pages = [await client.get(p, headers={"accept": "text/html"}) for p in (
                "/regional", "/regional/subscriptions/new", "/regional/subscriptions/s-1", "/regional/live",
                "/regional/live/stream")]
            posted = await client.post("/regional/subscriptions/s-1/deliveries/redeliver")
        assert [p.status_code for p in pages] == [403] * 5
        assert posted.status_code == 403
        assert not [c for c in fake.calls if c.url.path.startswith(("/subscriptions", "/stream"))]

    async def test_sends_a_visitor_to_log_in(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.get("/regional")
        assert res.status_code == 303 and res.headers["location"].startswith("/login?next=/regional")
