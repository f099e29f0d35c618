"""The portal in memory, its calls to the services answered by an httpx.MockTransport."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import httpx
import pytest

from services.billing.domain.invoices import cancellation_number, cancellation_reason
from services.billing.domain.programme_terms import empty_budget_note
from services.portal.app import create_app
from services.portal.settings import PortalSettings
from shared.auth import decode_token
from tests.conftest import running_app

Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]

FAIR = {
    "id": "f-1", "centre_id": "tq", "name": "Hội chợ Xuân Tuyên Quang 2027", "kind": "provincial",
    "province_code": "08", "venue": "Quảng trường Nguyễn Tất Thành", "starts_on": "2027-01-20",
    "ends_on": "2027-01-26", "registration_opens_at": "2026-11-01T01:00:00+00:00",
    "registration_closes_at": "2026-12-31T17:30:00+00:00", "capacity_booths": 70, "booth_price_vnd": 5_000_000,
    "max_booths_per_exhibitor": 4, "allocation_mode": "automatic", "booths_per_row": 10, "status": "open",
    "approved_booths": 12,
}
OTHER_CENTRE_FAIR = {**FAIR, "id": "f-2", "centre_id": "lc", "name": "Hội chợ Lào Cai 2027", "province_code": "15"}
REGISTRATION = {
    "id": "r-1", "fair_id": "f-1", "exhibitor_id": "ex-dongvan", "booths_requested": 2, "sector": "chè",
    "products": ["Chè Shan tuyết"], "priority_score": 30, "status": "submitted", "decision_reason": None,
    "submitted_at": "2026-11-02T03:00:00+00:00", "decided_at": None,
}
INVOICE = {  # billing's InvoicePublic: what GET /invoices lists
    "id": "inv-1", "fair_id": "f-1", "registration_id": "r-1", "exhibitor_id": "ex-dongvan", "form": "1",
    "symbol": "C26TAA", "number": "00000042", "issued_on": "2026-11-05", "due_on": "2026-11-20",
    "net_vnd": 10_000_000, "vat_vnd": 800_000, "total_vnd": 10_800_000, "payable_vnd": 10_800_000,
    "amount_in_words": "Mười triệu tám trăm nghìn đồng", "status": "issued",
}
INVOICE_DETAIL = {  # billing's InvoiceDetail: GET /invoices/{id}
    **INVOICE, "total_display": "10.800.000 ₫",
    "seller": {"name": "Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang", "tax_code": "0100233488",
               "address": "Tuyên Quang"},
    "buyer": {"name": "HTX Chè Shan tuyết Đồng Văn", "tax_code": "0100109106", "address": "Đồng Văn"},
    "lines": [{"position": 1, "description": "Thuê gian hàng tiêu chuẩn 3 m × 3 m", "unit": "gian",
               "quantity": 2, "unit_price_vnd": 5_000_000, "net_vnd": 10_000_000, "kind": "booth",
               "vat_rate": "8%", "vat_vnd": 800_000}],
    "vat_by_rate": [{"vat_rate": "8%", "net_vnd": 10_000_000, "vat_vnd": 800_000}],
    "cancellation": None,
}
CANCELLATION = {  # billing's CancellationPublic of a voided invoice, its texts made as billing makes them
    "number": cancellation_number("C26TAA", 42), "reason": "exhibitor", "reason_text": cancellation_reason("exhibitor"),
    "created_at": "2026-11-10T17:30:00+00:00", "cancelled_on": "2026-11-11", "invoice_id": "inv-1",
    "invoice_form": "1", "invoice_symbol": "C26TAA", "invoice_number": "00000042", "invoice_issued_on": "2026-11-05",
    "invoice_total_vnd": 10_800_000, "seller_name": "Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang",
    "seller_tax_code": "0100233488", "buyer_name": "HTX Chè Shan tuyết Đồng Văn", "buyer_tax_code": "0100109106",
}
# What billing prints when the programmes the exhibitor was eligible for had no budget left (no subsidy at all).
EMPTY_BUDGET_NOTE = empty_budget_note(names=["Hỗ trợ KCĐP Tuyên Quang 2027"], another_pays=False)


# Where the portal finds the services: not the development ports, so a call that ignored these would go unanswered.
PORTAL = PortalSettings(**{f"{name}_url": f"http://{name}.test" for name in
                           ("registration", "booths", "markets", "billing", "subscriptions")})


def problem(status: int, title: str, errors: list[dict[str, Any]] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if errors:
        body["errors"] = errors
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


@dataclass
class FakeServices:
    """The services' HTTP APIs as canned answers, recording every request the portal makes."""

    urls: dict[str, str]
    answers: dict[tuple[str, str, str], Answer] = field(default_factory=dict)
    calls: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, service: str, path: str, answer: Answer) -> None:
        self.answers[(method, service, path)] = answer

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        service = next(n for n, u in self.urls.items() if str(request.url).startswith(u))
        answer = self.answers.get((request.method, service, request.url.path))
        if answer is None:
            return problem(404, "Không tìm thấy / Not found")
        return answer(request) if callable(answer) else answer

    def calls_to(self, method: str, path: str) -> list[httpx.Request]:
        return [c for c in self.calls if c.method == method and c.url.path == path]


@pytest.fixture
def database_url(tmp_path) -> str:
    """The portal owns no data (its runtime only checks a database for /ready): a SQLite file is enough, so
    these tests do not run a second time on PostgreSQL as the services' database tests do."""
    return f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}"


@pytest.fixture
def make_portal(settings_for):
    def make(**overrides: Any) -> tuple[Any, FakeServices]:
        settings = settings_for("portal", **overrides)
        fake = FakeServices({n: PORTAL.service_url(n) for n in ("registration", "booths", "billing", "markets")})
        fake.on("GET", "registration", "/fairs", httpx.Response(200, json={"data": [FAIR], "count": 1}))
        fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json=FAIR))
        return create_app(settings, portal=PORTAL, transport=httpx.MockTransport(fake.handler)), fake

    return make


@pytest.fixture
def portal(make_portal):
    return make_portal()


async def log_in(client: httpx.AsyncClient, user: str) -> str:
    res = await client.post("/login", data={"user": user})
    assert res.status_code == 303, res.text
    return res.cookies["hangviet_token"]


def text_of(res: httpx.Response) -> str:
    return unescape(res.text)


class TestFairList:
    async def test_lists_open_fairs_with_vietnamese_names_and_formatted_prices(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            res = await client.get("/")
        assert res.status_code == 200
        page = text_of(res)
        assert '<html lang="vi">' in page
        assert "Hội chợ Xuân Tuyên Quang 2027" in page
        assert "Tuyên Quang" in page  # province 08 by name
        assert "5.000.000\u00a0₫" in page
        assert "đã duyệt 12 / 70 gian" in page
        assert "00:30 01/01/2027" in page  # 17:30 UTC is the next morning in Vietnam
        assert fake.calls_to("GET", "/fairs")[0].url.params["status"] == "open"
        assert len(res.content) < 200_000

    async def test_the_public_list_is_the_same_for_an_organizer_and_asked_without_its_token(self, portal):
        app, fake = portal

        def listed(request: httpx.Request) -> httpx.Response:
            # as the registration service does: an organizer's token lists only its own centre's fairs
            bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
            centre = decode_token(app.state.settings.jwt_secret, bearer).centre_id if bearer else None
            rows = [f for f in (FAIR, OTHER_CENTRE_FAIR) if centre is None or f["centre_id"] == centre]
            return httpx.Response(200, json={"data": rows, "count": len(rows)})

        fake.on("GET", "registration", "/fairs", listed)
        async with running_app(app) as client:
            visitor = text_of(await client.get("/"))
            token = await log_in(client, "organizer-tq")
            organizer = text_of(await client.get("/"))
            dashboard = text_of(await client.get("/organizer"))
        for page in (visitor, organizer):
            assert "Hội chợ Xuân Tuyên Quang 2027" in page and "Hội chợ Lào Cai 2027" in page
        assert 'href="/organizer">trang ban tổ chức</a>' in organizer
        assert "trang ban tổ chức" not in visitor
        home_calls = fake.calls_to("GET", "/fairs")
        assert [("authorization" in c.headers) for c in home_calls[:2]] == [False, False]
        assert home_calls[2].headers["authorization"] == f"Bearer {token}"  # the dashboard keeps its own list
        assert "Hội chợ Lào Cai 2027" not in dashboard

    async def test_serves_its_stylesheet_locally(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.get("/static/portal.css")
        assert res.status_code == 200
        assert ":focus-visible" in res.text


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


async def test_the_focus_ring_stands_out_at_least_3_to_1_on_every_background(portal):
    app, _ = portal
    async with running_app(app) as client:
        css = (await client.get("/static/portal.css")).text
    colours = dict(re.findall(r"--([a-z]+): (#[0-9a-f]{6})", css))
    for background in (colours["paper"], colours["band"], "#ecfdf5", "#fef2f2", "#fffbeb"):
        assert contrast(colours["focus"], background) >= 3, background
    header_ring = re.search(r"header\.site a:focus-visible[^{]*\{[^}]*outline-color: (#[0-9a-f]{3,6})", css)
    assert header_ring
    ring = header_ring.group(1)
    ring = ring if len(ring) == 7 else "#" + "".join(c * 2 for c in ring[1:])
    assert contrast(ring, colours["brand"]) >= 3


class TestLogin:
    async def test_sets_an_http_only_cookie_and_forwards_the_token_as_bearer(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=REGISTRATION))
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [], "count": 0}))
        async with running_app(app) as client:
            res = await client.post("/login", data={"user": "ex-dongvan"})
            cookie = res.headers["set-cookie"]
            page = await client.get("/registrations/r-1")
        assert res.status_code == 303 and res.headers["location"] == "/"
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        token = res.cookies["hangviet_token"]
        assert decode_token(app.state.settings.jwt_secret, token).exhibitor_id == "ex-dongvan"
        assert page.status_code == 200
        assert fake.calls_to("GET", "/registrations/r-1")[0].headers["authorization"] == f"Bearer {token}"

    async def test_logs_an_organizer_in_with_the_centre_and_returns_to_a_local_page_only(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.post("/login", data={"user": "organizer-tq", "next": "//evil.example/x"})
        assert res.headers["location"] == "/organizer"
        assert decode_token(app.state.settings.jwt_secret, res.cookies["hangviet_token"]).centre_id == "tq"

    async def test_logout_clears_the_cookie(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.post("/logout")
        assert res.status_code == 303
        assert 'hangviet_token=""' in res.headers["set-cookie"] or "Max-Age=0" in res.headers["set-cookie"]

    async def test_refuses_a_user_that_is_not_seeded(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.post("/login", data={"user": "root"})
        assert res.status_code == 422
        assert "hangviet_token" not in res.cookies

    async def test_hides_the_login_picker_in_production(self, make_portal):
        # `env` has the alias HANGVIET_ENV and Settings does not populate by name: pass the alias.
        app, _ = make_portal(HANGVIET_ENV="production", jwt_secret="a-production-secret-of-enough-length")
        assert app.state.settings.env == "production"
        async with running_app(app) as client:
            shown = await client.get("/login")
            posted = await client.post("/login", data={"user": "organizer-tq"})
            admin = await client.post("/login", data={"user": "admin"})
        assert shown.status_code == 404
        assert posted.status_code == 404 and "hangviet_token" not in posted.cookies
        assert admin.status_code == 404 and "hangviet_token" not in admin.cookies

    async def test_the_picker_offers_an_admin_who_lands_on_the_organizer_pages(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            picker = text_of(await client.get("/login"))
            res = await client.post("/login", data={"user": "admin"})
            home = text_of(await client.get("/"))
        assert 'name="user" value="admin"' in picker and "Quản trị hệ thống" in picker
        assert res.status_code == 303 and res.headers["location"] == "/organizer"
        principal = decode_token(app.state.settings.jwt_secret, res.cookies["hangviet_token"])
        assert principal.is_admin() and principal.subject == "admin"
        assert "Quản trị hệ thống" in home and 'href="/organizer/billing"' in home


class TestRegistrationForm:
    async def test_shows_the_form_to_an_exhibitor_with_labels(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/fairs/f-1")
        page = text_of(res)
        for name in ("booths_requested", "sector", "products"):
            assert f'<label for="{name}"' in page
        assert 'src="/fairs/f-1/floorplan.svg"' in page

    async def test_posts_the_typed_registration_as_json_and_redirects_to_it(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs/f-1/registrations", httpx.Response(201, json=REGISTRATION))
        async with running_app(app) as client:
            token = await log_in(client, "ex-dongvan")
            res = await client.post("/fairs/f-1/register", data={
                "booths_requested": "2", "sector": " chè ", "products": "Chè Shan tuyết\r\n\r\nMật ong bạc hà\n"})
        assert res.status_code == 303 and res.headers["location"] == "/registrations/r-1"
        sent = fake.calls_to("POST", "/fairs/f-1/registrations")[0]
        assert json.loads(sent.content) == {"booths_requested": 2, "sector": "chè",
                                            "products": ["Chè Shan tuyết", "Mật ong bạc hà"]}
        assert sent.headers["authorization"] == f"Bearer {token}"

    async def test_shows_a_problems_field_message_next_to_the_field(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs/f-1/registrations", problem(
            422, "Dữ liệu không hợp lệ / Invalid input",
            [{"field": "booths_requested", "message": "Input should be less than or equal to 4",
              "code": "less_than_equal"}]))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/fairs/f-1/register", data={"booths_requested": "9"})
        assert res.status_code == 422
        page = text_of(res)
        assert "Dữ liệu không hợp lệ" in page
        error = re.search(r'<p class="field-error" id="booths_requested-error">([^<]*)</p>', page)
        assert error and error.group(1) == "Không được lớn hơn 4."
        assert 'aria-describedby="booths_requested-error"' in page
        assert 'value="9"' in page  # what the user typed is kept

    async def test_puts_a_rules_vietnamese_message_next_to_its_field(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs/f-1/registrations", problem(
            422, "Tối đa 4 gian hàng / at most 4 booths per exhibitor",
            [{"field": "booths_requested", "message": "Tối đa 4 gian hàng / at most 4 booths per exhibitor"}]))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/fairs/f-1/register", data={"booths_requested": "5"})
        page = text_of(res)
        assert '<p class="field-error" id="booths_requested-error">Tối đa 4 gian hàng</p>' in page
        assert "Vui lòng kiểm tra lại thông tin" in page

    async def test_shows_a_refusal_without_a_field_above_the_form(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs/f-1/registrations", problem(
            409, "Chưa có hồ sơ doanh nghiệp / create your exhibitor profile first"))
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.post("/fairs/f-1/register", data={"booths_requested": "1"})
        assert res.status_code == 409
        assert "Chưa có hồ sơ doanh nghiệp" in text_of(res)

    async def test_refuses_a_non_number_without_calling_the_service(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/fairs/f-1/register", data={"booths_requested": "hai"})
        assert res.status_code == 422
        assert "Vui lòng nhập một số nguyên." in text_of(res)
        assert fake.calls_to("POST", "/fairs/f-1/registrations") == []

    async def test_sends_a_visitor_without_a_cookie_to_log_in(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.post("/fairs/f-1/register", data={"booths_requested": "1"})
        assert res.status_code == 303 and res.headers["location"].startswith("/login")


class TestRegistrationPage:
    async def test_shows_the_status_and_the_issued_invoice(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1",
                httpx.Response(200, json={**REGISTRATION, "status": "approved"}))
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [INVOICE], "count": 1}))
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json=INVOICE_DETAIL))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/registrations/r-1")
        page = text_of(res)
        assert "Đã duyệt" in page
        for expected in ("C26TAA", "00000042", "10.800.000\u00a0₫", "Tiền thuế GTGT 8%", "800.000\u00a0₫",
                         "Thuê gian hàng tiêu chuẩn", "Mười triệu tám trăm nghìn đồng", "20/11/2026"):
            assert expected in page
        assert fake.calls_to("GET", "/invoices")[0].url.params["registration_id"] == "r-1"

    async def test_still_shows_the_registration_when_billing_is_down(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=REGISTRATION))
        fake.on("GET", "billing", "/invoices", httpx.Response(503, text="down"))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/registrations/r-1")
        assert res.status_code == 200
        assert "chưa tải được thông tin hóa đơn" in text_of(res)

    async def test_prints_an_invoice(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json={
            **INVOICE_DETAIL, "payable_vnd": 5_400_000}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/invoices/inv-1")
        assert res.status_code == 200
        page = text_of(res)
        assert "Ký hiệu <strong>C26TAA</strong>" in page and "MST 0100109106" in page
        assert "Kinh phí hỗ trợ" in page and "5.400.000\u00a0₫" in page


class TestRegistrationWatch:
    async def test_a_waiting_registration_watches_its_state_with_a_local_script(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=REGISTRATION))
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [], "count": 0}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = await client.get("/registrations/r-1")
            state = await client.get("/registrations/r-1/state")
            script = await client.get("/static/js/registration-watch.js")
        assert '<script src="/static/js/registration-watch.js" defer></script>' in page.text
        assert 'data-watch="/registrations/r-1/state" data-status="submitted"' in page.text
        assert 'data-every-ms="30000"' in page.text  # PORTAL_WATCH_INTERVAL_S, 30 s unless set
        assert "tự cập nhật khi có quyết định" in text_of(page)
        assert state.json() == {"status": "submitted", "waitlist_position": None}
        assert state.headers["cache-control"] == "no-store"
        assert script.status_code == 200 and "30000" in script.text and "innerHTML" not in script.text

    async def test_a_decided_registration_is_not_watched(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1",
                httpx.Response(200, json={**REGISTRATION, "status": "approved"}))
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [], "count": 0}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = await client.get("/registrations/r-1")
        assert "registration-watch.js" not in page.text and "data-watch" not in page.text

    async def test_the_state_of_someone_elses_registration_is_not_found(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-9", problem(404, "Không tìm thấy hồ sơ / not found"))
        async with running_app(app) as client:
            visitor = await client.get("/registrations/r-1/state")
            await log_in(client, "ex-meovac")
            res = await client.get("/registrations/r-9/state")
        assert res.status_code == 404
        assert visitor.status_code == 303


class TestOrganizer:
    async def test_lists_only_the_centres_fairs(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/fairs",
                httpx.Response(200, json={"data": [FAIR, OTHER_CENTRE_FAIR], "count": 2}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer")
        page = text_of(res)
        assert 'href="/organizer/fairs/f-1"' in page
        assert "Hội chợ Lào Cai 2027" not in page

    async def test_approve_posts_to_the_registration_service_and_comes_back(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/registrations/r-1/approve",
                httpx.Response(200, json={**REGISTRATION, "status": "approved"}))
        fake.on("GET", "registration", "/fairs/f-1/registrations",
                httpx.Response(200, json={"data": [{**REGISTRATION, "status": "approved"}], "count": 1}))
        fake.on("GET", "registration", "/exhibitors/ex-dongvan",
                httpx.Response(200, json={"id": "ex-dongvan", "legal_name": "HTX Chè Shan tuyết Đồng Văn"}))
        async with running_app(app) as client:
            token = await log_in(client, "organizer-tq")
            res = await client.post("/organizer/registrations/r-1/approve")
            back = await client.get(res.headers["location"])
        assert res.status_code == 303 and res.headers["location"] == "/organizer/fairs/f-1?result=approved"
        assert fake.calls_to("POST", "/registrations/r-1/approve")[0].headers["authorization"] == f"Bearer {token}"
        page = text_of(back)
        assert "Đã duyệt hồ sơ." in page and "HTX Chè Shan tuyết Đồng Văn" in page

    async def test_offers_an_approve_button_for_submitted_registrations(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/fairs/f-1/registrations", httpx.Response(200, json={
            "data": [REGISTRATION, {**REGISTRATION, "id": "r-2", "status": "approved"}], "count": 2}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/fairs/f-1")
        page = text_of(res)
        assert 'action="/organizer/registrations/r-1/approve"' in page
        assert 'action="/organizer/registrations/r-2/approve"' not in page

    async def test_refuses_an_exhibitor(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/organizer")
        assert res.status_code == 403
        assert "Trang dành cho ban tổ chức" in text_of(res)
        assert fake.calls_to("GET", "/fairs") == []


class TestServiceFailures:
    async def test_a_service_error_shows_a_friendly_502_page(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/fairs", httpx.Response(500, text="Traceback (most recent call last)"))
        async with running_app(app) as client:
            res = await client.get("/", headers={"accept": "text/html"})
        assert res.status_code == 502
        assert "text/html" in res.headers["content-type"]
        assert "Dịch vụ tạm thời không trả lời" in text_of(res)
        assert "Traceback" not in res.text

    async def test_an_unreachable_service_shows_a_friendly_502_page(self, portal):
        app, fake = portal

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        fake.on("GET", "registration", "/fairs/f-1", refuse)
        async with running_app(app) as client:
            res = await client.get("/fairs/f-1")
        assert res.status_code == 502
        assert "Dịch vụ tạm thời không trả lời" in text_of(res)

    async def test_a_401_from_a_service_sends_the_user_to_log_in(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1",
                problem(401, "Phiên đăng nhập không hợp lệ / Invalid or expired token"))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/registrations/r-1")
        assert res.status_code == 303
        assert res.headers["location"] == "/login?next=/registrations/r-1"

    async def test_a_404_from_a_service_is_a_not_found_page(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.get("/fairs/missing")
        assert res.status_code == 404
        assert "Không tìm thấy" in text_of(res)


class TestFloorPlan:
    async def test_proxies_the_booths_svg(self, portal):
        app, fake = portal
        svg = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>'
        fake.on("GET", "booths", "/fairs/f-1/floorplan.svg",
                httpx.Response(200, text=svg, headers={"content-type": "image/svg+xml"}))
        async with running_app(app) as client:
            res = await client.get("/fairs/f-1/floorplan.svg")
        assert res.status_code == 200 and res.headers["content-type"].startswith("image/svg+xml")
        assert res.text == svg

    async def test_shows_a_placeholder_before_the_plan_exists(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.get("/fairs/f-1/floorplan.svg")
        assert res.status_code == 404
        assert "Chưa có sơ đồ gian hàng" in res.text


async def in_english(client: httpx.AsyncClient) -> None:
    res = await client.get("/lang/en")
    assert res.status_code == 303 and res.cookies.get("hangviet_lang") == "en"


class TestEnglish:
    async def test_a_fields_error_from_a_service_is_shown_in_english(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs/f-1/registrations", problem(
            422, "Dữ liệu không hợp lệ / Invalid input",
            [{"field": "booths_requested", "message": "Input should be less than or equal to 4",
              "code": "less_than_equal"},
             {"field": "sector", "message": "Ngành hàng không có trong hội chợ / not one of the fair's sectors"}]))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            await in_english(client)
            res = await client.post("/fairs/f-1/register", data={"booths_requested": "9", "sector": "gỗ"})
        page = text_of(res)
        assert '<p class="field-error" id="booths_requested-error">Must be at most 4.</p>' in page
        assert '<p class="field-error" id="sector-error">not one of the fair\'s sectors</p>' in page
        assert "<strong>Invalid input</strong>" in page
        assert "Không được lớn hơn" not in page and "Dữ liệu không hợp lệ" not in page

    async def test_the_portals_own_field_error_is_shown_in_english(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            await in_english(client)
            res = await client.post("/fairs/f-1/register", data={"booths_requested": "hai"})
        assert '<p class="field-error" id="booths_requested-error">Please enter a whole number.</p>' in text_of(res)

    async def test_the_login_and_error_pages_are_in_english(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await in_english(client)
            login_page = text_of(await client.get("/login"))
            missing = text_of(await client.get("/fairs/missing"))
        assert "<title>Log in · Hàng Việt</title>" in login_page and "Development only" in login_page
        assert "Môi trường phát triển" not in login_page
        assert "<h1>Not found</h1>" in missing and "Back to the home page" in missing
        assert "Về trang chủ" not in missing and "Mã tra cứu" not in missing

    async def test_the_language_link_keeps_the_query(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.get("/fairs/f-1", params={"tab": "plan", "x": "1"})
        assert 'href="/lang/en?next=/fairs/f-1%3Ftab%3Dplan%26x%3D1"' in res.text

    async def test_after_a_refused_post_the_language_link_goes_to_the_page_that_can_be_read(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/fairs/f-1/register", data={"booths_requested": "hai"})
            switched = await client.get("/lang/en", params={"next": "/fairs/f-1"})
            back = await client.get(switched.headers["location"])
        assert res.status_code == 422
        assert 'href="/lang/en?next=/fairs/f-1"' in res.text
        assert back.status_code == 200


class TestErrorPage:
    async def test_shows_the_problems_title_and_detail_escaped(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/fairs/f-9", httpx.Response(409, json={
            "type": "about:blank", "title": "Hội chợ đã đóng / Fair closed", "status": 409,
            "detail": "Hội chợ <b>f-9</b> đã kết thúc / Fair <b>f-9</b> has finished"},
            headers={"content-type": "application/problem+json"}))
        async with running_app(app) as client:
            res = await client.get("/fairs/f-9")
            await in_english(client)
            english = await client.get("/fairs/f-9")
        assert res.status_code == 409
        assert "<h1>Hội chợ đã đóng" in res.text
        assert "Hội chợ &lt;b&gt;f-9&lt;/b&gt; đã kết thúc" in res.text and "<b>f-9</b>" not in res.text
        assert "Fair &lt;b&gt;f-9&lt;/b&gt; has finished" in english.text and "đã kết thúc" not in english.text

    async def test_a_detail_in_one_language_shows_only_on_that_languages_page(self, portal):
        """The kernel's role check says why in English only: the Vietnamese page shows the title, not the detail."""
        app, fake = portal
        fake.on("GET", "registration", "/fairs/f-9", httpx.Response(403, json={
            "type": "forbidden", "title": "Không có quyền / Forbidden for this role", "status": 403,
            "detail": "role exhibitor may not call this; allowed: organizer"},
            headers={"content-type": "application/problem+json"}))
        async with running_app(app) as client:
            res = await client.get("/fairs/f-9")
            await in_english(client)
            english = await client.get("/fairs/f-9")
        assert res.status_code == 403 and "<h1>Không có quyền" in res.text
        assert "may not call this" not in res.text and "Forbidden" not in res.text.split("<main")[-1]
        assert "role exhibitor may not call this; allowed: organizer" in english.text
