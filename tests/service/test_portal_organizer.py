"""The organizer's portal pages in memory, the services answered by an httpx.MockTransport: creating a fair,
the review queue and its bulk decisions, the floor plan (operations, allocation, the live stream relay)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.booths.domain.floorplan import build_grid
from services.booths.domain.rules import BoothState, BoothStatus
from services.booths.domain.svg import render_floorplan
from services.portal.app import create_app
from tests.conftest import running_app
from tests.service.test_portal import (
    FAIR,
    OTHER_CENTRE_FAIR,
    PORTAL,
    REGISTRATION,
    FakeServices,
    log_in,
    problem,
    text_of,
)

NAMES = {"ex-dongvan": "HTX Chè Shan tuyết Đồng Văn", "ex-meovac": "Hộ kinh doanh Mèn mén Mèo Vạc",
         "ex-bacha": "HTX Mận Bắc Hà"}
REASONS = [{"code": "cnnt_national", "points": 30, "detail": "sản phẩm CNNT tiêu biểu cấp quốc gia"},
           {"code": "earliness", "points": 8, "detail": "đăng ký sớm"}]
QUEUE = [
    {**REGISTRATION, "id": "r-1", "priority_score": 38, "priority_reasons": REASONS},
    {**REGISTRATION, "id": "r-2", "exhibitor_id": "ex-meovac", "priority_score": 10, "priority_reasons": []},
    {**REGISTRATION, "id": "r-3", "exhibitor_id": "ex-bacha", "status": "waitlisted", "waitlist_position": 1,
     "priority_score": 5},
]
# The plan as booths draws and lists it: 70 booths, A01–A02 and A05–A06 assigned, as the organizer sees them.
OWNERS = {"A01": ("r-4", "HTX Mận Bắc Hà"), "A02": ("r-4", "HTX Mận Bắc Hà"),
          "A05": ("r-5", "Hộ kinh doanh Mèn mén Mèo Vạc"), "A06": ("r-5", "Hộ kinh doanh Mèn mén Mèo Vạc")}
STATES = [BoothState(b, BoothStatus.ASSIGNED, OWNERS[b.code][0], "ex", OWNERS[b.code][1]) if b.code in OWNERS
          else BoothState(b, BoothStatus.FREE) for b in build_grid(70, 10)]
DRAWING = render_floorplan(FAIR["name"], STATES)
PLAN = {"fair_id": "f-1", "name": FAIR["name"], "allocation_mode": "organizer", "booth_count": 70,
        "counts": {"free": 66, "held": 0, "assigned": 4, "blocked": 0}, "zones": [],
        "booths": [{"code": s.booth.code, "hall": "", "row": s.booth.row, "col": s.booth.col, "x_m": s.booth.x_m,
                    "y_m": s.booth.y_m, "width_m": s.booth.width_m, "depth_m": s.booth.depth_m,
                    "corner": s.booth.corner, "status": s.status.value, "registration_id": s.registration_id,
                    "exhibitor_name": s.exhibitor_name} for s in STATES]}
ASSIGNMENTS = [{"registration_id": "r-4", "exhibitor_id": "ex-bacha", "booth_codes": ["A01", "A02"],
                "reason": "chỉ định / chosen", "assigned_at": "2026-11-04T00:00:00Z"},
               {"registration_id": "r-5", "exhibitor_id": "ex-meovac", "booth_codes": ["A05", "A06"],
                "reason": "chỉ định / chosen", "assigned_at": "2026-11-04T00:00:00Z"}]
REQUESTS = [
    {"registration_id": "r-1", "exhibitor_id": "ex-dongvan", "exhibitor_name": NAMES["ex-dongvan"],
     "province_code": "08", "booths_requested": 2, "sector": "chè", "priority_score": 38, "wants_corner": False,
     "status": "waiting", "reason": "", "paid": False, "approved_at": None, "recorded_at": "2026-11-03T00:00:00Z"},
    {"registration_id": "r-2", "exhibitor_id": "ex-meovac", "exhibitor_name": NAMES["ex-meovac"],
     "province_code": "08", "booths_requested": 4, "sector": "", "priority_score": 10, "wants_corner": False,
     "status": "waiting", "reason": "", "paid": False, "approved_at": None, "recorded_at": "2026-11-03T00:00:00Z"},
]
ALLOCATION = {
    "run_id": "run-1", "fair_id": "f-1", "solver": "cp-sat", "status": "optimal", "objective": 4200, "bound": 4200,
    "gap": 0.0, "seconds": 0.07, "requests": 2,
    "assigned": [{"registration_id": "r-1", "booth_codes": ["A01", "A02"],
                  "reason": "điểm ưu tiên 38; khối liền kề A01–A02 / priority 38; contiguous block A01–A02"}],
    "unmet": [{"registration_id": "r-2", "booth_codes": [],
               "reason": "không còn đủ gian liền kề / no block of 4 booths left"}],
}
MARKET_PROGRAMME = {  # markets' ProgrammePublic
    "id": "mp-1", "centre_id": "tq", "name": "Chợ phiên vùng cao Tuyên Quang", "year": 2026, "province_code": "08",
    "province_name": "Tuyên Quang", "target_sessions": 22, "session_days": 3, "booth_quota": 25,
    "enterprise_quota": 12, "budget_vnd": None, "created_at": "2026-01-05T00:00:00Z"}
SUBSIDY = {  # billing's ProgrammePublic
    "id": "sp-1", "centre_id": "tq", "name": "Khuyến công địa phương 2026", "decision": "QĐ 123/QĐ-UBND",
    "level": "local", "funder": "UBND tỉnh Tuyên Quang", "funding_province_code": "08",
    "budget_vnd": 1_000_000_000, "committed_vnd": 300_000_000, "remaining_vnd": 700_000_000,
    "valid_from": "2026-01-01", "valid_to": "2099-12-31", "support_percent": 50, "cap_per_booth_vnd": None,
    "max_booths_per_exhibitor": 2, "base": "gross", "cscnnt_only": False, "eligible_kinds": [],
    "eligible_provinces": [], "eligible_communes": [], "fair_ids": [], "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z"}
FAIR_FORM = {
    "name": "Hội chợ Thu Tuyên Quang 2027", "kind": "provincial", "province_code": "08",
    "venue_commune_code": "", "venue": "Quảng trường Nguyễn Tất Thành", "starts_on": "2027-09-20",
    "ends_on": "2027-09-26", "registration_opens_at": "2027-06-01T08:00", "registration_closes_at": "2027-08-31T17:00",
    "cancellation_deadline": "", "capacity_booths": "70", "booths_per_row": "10", "booth_price_vnd": "5.000.000",
    "max_booths_per_exhibitor": "4", "allocation_mode": "organizer", "sectors": "Chè\r\nThủ công mỹ nghệ\r\n",
    "zones": "", "eligible_kinds": ["cooperative", "household"], "home_provinces": "Hà Giang\nLào Cai",
    "priority_sectors": "", "seller_name": "Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang",
    "seller_tax_code": "0100233488", "seller_address": "Tuyên Quang",
}


@pytest.fixture
def portal(settings_for) -> tuple[Any, FakeServices]:
    settings = settings_for("portal")
    fake = FakeServices({n: PORTAL.service_url(n) for n in ("registration", "booths", "billing", "markets")})
    fake.on("GET", "registration", "/fairs", httpx.Response(200, json={"data": [FAIR], "count": 1}))
    fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json=FAIR))
    fake.on("GET", "registration", "/fairs/f-1/registrations",
            httpx.Response(200, json={"data": QUEUE, "count": len(QUEUE)}))
    for exhibitor_id, name in NAMES.items():
        fake.on("GET", "registration", f"/exhibitors/{exhibitor_id}",
                httpx.Response(200, json={"id": exhibitor_id, "legal_name": name}))
    fake.on("GET", "booths", "/fairs/f-1/floorplan", httpx.Response(200, json=PLAN))
    fake.on("GET", "booths", "/fairs/f-1/floorplan.svg",
            httpx.Response(200, text=DRAWING, headers={"content-type": "image/svg+xml"}))
    fake.on("GET", "booths", "/fairs/f-1/requests", httpx.Response(200, json={"data": REQUESTS, "count": 2}))
    fake.on("GET", "booths", "/fairs/f-1/assignments", httpx.Response(200, json={"data": [], "count": 0}))
    return create_app(settings, portal=PORTAL, transport=httpx.MockTransport(fake.handler)), fake


def sent_json(fake: FakeServices, method: str, path: str) -> Any:
    calls = fake.calls_to(method, path)
    assert calls, f"no {method} {path}"
    return json.loads(calls[-1].content)


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{re.escape(name)}-error">([^<]*)</p>', page)
    return found.group(1) if found else None


def assert_csp_clean(page: str) -> None:
    """No inline style attribute and no inline script: the CSP would block them."""
    assert " style=" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert len(page.encode()) < 200_000


class TestDashboard:
    async def test_shows_the_centres_fairs_with_counts_and_occupancy_bars(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/fairs",
                httpx.Response(200, json={"data": [FAIR, OTHER_CENTRE_FAIR], "count": 2}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer")
        page = text_of(res)
        assert res.status_code == 200
        assert fake.calls_to("GET", "/fairs")[0].url.params["mine"] == "true"
        assert "Hội chợ Lào Cai 2027" not in page
        assert 'aria-label="Gian đã duyệt: 12 / 70"' in page and 'width="17.1"' in page  # 12/70 approved
        assert 'aria-label="Gian đã xếp: 4 / 70"' in page
        assert "Chờ duyệt: <strong>2</strong>" in page and "Danh sách chờ: <strong>1</strong>" in page
        assert 'href="/organizer/billing"' in page and 'href="/organizer/markets"' in page
        assert 'href="/static/organizer.css"' in page
        assert_csp_clean(page)

    async def test_speaks_english_when_switched(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            client.cookies.set("hangviet_lang", "en")
            page = text_of(await client.get("/organizer"))
        assert "Your centre's fairs" in page and "Submitted: <strong>2</strong>" in page

    async def test_shows_this_years_market_and_subsidy_programmes_with_their_figures(self, portal):
        app, fake = portal
        year = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year
        fake.on("GET", "markets", "/programmes", httpx.Response(200, json={"data": [
            MARKET_PROGRAMME, {**MARKET_PROGRAMME, "id": "mp-lc", "centre_id": "lc", "name": "Chợ phiên Lào Cai"}],
            "count": 2}))
        fake.on("GET", "markets", "/programmes/mp-1/summary", httpx.Response(200, json={
            "programme_id": "mp-1", "year": year, "target_sessions": 22, "sessions_scheduled": 9, "sessions_held": 4,
            "sessions_cancelled": 1, "sessions_to_target": 13}))
        fake.on("GET", "billing", "/subsidy-programmes", httpx.Response(200, json={"data": [
            SUBSIDY, {**SUBSIDY, "id": "sp-old", "name": "Đề án đã hết hạn", "valid_to": "2020-12-31"}],
            "count": 2}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer"))
            client.cookies.set("hangviet_lang", "en")
            english = text_of(await client.get("/organizer"))
        assert fake.calls_to("GET", "/programmes")[0].url.params["year"] == str(year)
        markets = page.split('id="markets-title"')[1].split("</section>")[0]
        assert f'<h2 id="markets-title">Chương trình chợ phiên năm {year}</h2>' in page
        assert 'href="/organizer/markets/mp-1"' in markets and "Chợ phiên Lào Cai" not in markets
        assert "<dt>Kế hoạch</dt><dd>22 phiên</dd>" in markets
        assert "<dt>Đã chốt lịch</dt><dd>9</dd>" in markets and "<dt>Đã tổ chức</dt><dd>4</dd>" in markets
        assert 'aria-label="Phiên đã tổ chức: 4 / 22"' in markets and 'width="18.2"' in markets  # 4 of 22
        subsidies = page.split('id="subsidies-title"')[1].split("</section>")[0]
        assert 'href="/organizer/billing/programmes/sp-1"' in subsidies and "Đề án đã hết hạn" not in subsidies
        assert "<dt>Dự toán</dt><dd>1.000.000.000\u00a0₫</dd>" in subsidies
        assert "<dt>Đã cam kết</dt><dd>300.000.000\u00a0₫</dd>" in subsidies
        assert "<dt>Còn lại</dt><dd>700.000.000\u00a0₫</dd>" in subsidies
        assert 'width="30.0"' in subsidies  # the budget-usage bar: 30 %
        assert "<dt>Committed</dt>" in english and "<dt>Held</dt><dd>4</dd>" in english
        assert_csp_clean(page)

    async def test_says_so_when_the_programmes_cannot_be_loaded(self, portal):
        app, fake = portal
        fake.on("GET", "markets", "/programmes", httpx.Response(503))
        fake.on("GET", "billing", "/subsidy-programmes", httpx.Response(200, json={"data": [], "count": 0}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer")
        page = text_of(res)
        assert res.status_code == 200 and "Hội chợ Xuân Tuyên Quang 2027" in page  # the fairs still show
        assert "Tạm thời chưa tải được các chương trình chợ phiên." in page
        assert "Chưa có chương trình hỗ trợ nào đang áp dụng." in page


class TestCreateFair:
    async def test_sends_the_typed_fair_as_registrations_create_body(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs", httpx.Response(201, json={**FAIR, "id": "f-9", "status": "draft"}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            form = await client.get("/organizer/fairs/new")
            res = await client.post("/organizer/fairs", data=FAIR_FORM)
        for name in ("name", "province_code", "starts_on", "registration_opens_at", "capacity_booths",
                     "booth_price_vnd", "allocation_mode", "seller_tax_code"):
            assert f'<label for="{name}"' in form.text
        assert res.status_code == 303 and res.headers["location"] == "/organizer/fairs/f-9?result=created"
        body = sent_json(fake, "POST", "/fairs")
        assert body["booth_price_vnd"] == 5_000_000 and body["capacity_booths"] == 70
        assert body["registration_opens_at"] == "2027-06-01T08:00:00+07:00"  # typed in Vietnam's time
        assert "cancellation_deadline" not in body
        assert body["sectors"] == ["Chè", "Thủ công mỹ nghệ"]
        assert body["eligibility"] == {"kinds": ["cooperative", "household"], "cscnnt_only": False,
                                       "home_provinces": ["Hà Giang", "Lào Cai"]}
        assert body["seller"]["tax_code"] == "0100233488"

    async def test_preselects_no_province_and_one_left_unchosen_is_an_error_naming_it(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/fairs/new"))
            res = await client.post("/organizer/fairs", data={**FAIR_FORM, "province_code": ""})
        start = page.index('<select id="province_code"')
        assert " selected" not in page[start:page.index("</select>", start)]
        assert res.status_code == 422 and field_error(text_of(res), "province_code") == (
            "Vui lòng chọn tỉnh, thành phố.")
        assert fake.calls_to("POST", "/fairs") == []

    async def test_puts_the_services_field_errors_next_to_their_fields(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs", problem(422, "Dữ liệu không hợp lệ / Invalid input", [
            {"field": "ends_on", "message": "Ngày kết thúc trước ngày khai mạc / the fair ends before it starts"},
            {"field": "seller.tax_code", "message": "Value error, Mã số thuế không hợp lệ / invalid tax code"},
            {"field": "eligibility.home_provinces.1", "message": "Value error, Không rõ tỉnh / unknown province"},
            {"field": "capacity_booths", "message": "Input should be less than or equal to 10000",
             "code": "less_than_equal"}]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/fairs", data=FAIR_FORM)  # mistakes only the service sees
        assert res.status_code == 422
        page = text_of(res)
        assert field_error(page, "ends_on") == "Ngày kết thúc trước ngày khai mạc"
        assert field_error(page, "seller_tax_code") == "Mã số thuế không hợp lệ"
        assert field_error(page, "home_provinces") == "Không rõ tỉnh"
        assert field_error(page, "capacity_booths") == "Không được lớn hơn 10000."
        assert 'aria-describedby="seller_tax_code-error"' in page
        assert 'value="2027-09-26"' in page and "Lào Cai" in page  # what was typed is kept

    async def test_seven_mistakes_are_told_at_once_next_to_their_fields_and_linked_from_the_summary(self, portal):
        app, fake = portal
        mistakes = {"name": "", "venue": " ", "ends_on": "2027-09-10", "registration_closes_at": "2027-05-01T08:00",
                    "capacity_booths": "bảy", "booth_price_vnd": "0", "seller_tax_code": "0100233480"}
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/fairs", data={**FAIR_FORM, **mistakes})
            await client.get("/lang/en")
            english = await client.post("/organizer/fairs", data={**FAIR_FORM, **mistakes})
        page = text_of(res)
        assert res.status_code == 422 and fake.calls_to("POST", "/fairs") == []  # one submission, nothing sent
        assert {name: field_error(page, name) for name in mistakes} == {
            "name": "Vui lòng nhập trường này.", "venue": "Vui lòng nhập trường này.",
            "ends_on": "Ngày bế mạc trước ngày khai mạc.",
            "registration_closes_at": "Đóng nhận đăng ký phải sau khi mở.",
            "capacity_booths": "Vui lòng nhập một số nguyên.", "booth_price_vnd": "Phải lớn hơn hoặc bằng 1.",
            "seller_tax_code": "Mã số thuế sai chữ số kiểm tra."}
        summary = page[page.index('id="form-errors"'):page.index("</div>", page.index('id="form-errors"'))]
        links = re.findall(r'<a href="#([a-z_]+)">', summary)
        assert sorted(links) == sorted(mistakes) and len(summary.split("<li>")) == 8
        for name in mistakes:
            assert f'id="{name}"' in page and f'aria-describedby="{name}-error"' in page
        assert "Tên hội chợ: Vui lòng nhập trường này." in summary
        shown = text_of(english)
        assert field_error(shown, "seller_tax_code") == "Tax code check digit is wrong."
        assert field_error(shown, "ends_on") == "The fair closes before it opens."

    async def test_refuses_missing_fields_and_non_numbers_without_calling_the_service(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/fairs", data={**FAIR_FORM, "name": " ", "capacity_booths": "bảy"})
        page = text_of(res)
        assert res.status_code == 422
        assert field_error(page, "name") == "Vui lòng nhập trường này."
        assert field_error(page, "capacity_booths") == "Vui lòng nhập một số nguyên."
        assert fake.calls_to("POST", "/fairs") == []


class TestLifecycle:
    async def test_publish_moves_the_fair_and_says_so(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json={**FAIR, "status": "draft"}))
        fake.on("POST", "registration", "/fairs/f-1/publish", httpx.Response(200, json=FAIR))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            draft = text_of(await client.get("/organizer/fairs/f-1"))
            res = await client.post("/organizer/fairs/f-1/lifecycle/publish")
        assert 'action="/organizer/fairs/f-1/lifecycle/publish"' in draft
        assert 'action="/organizer/fairs/f-1/lifecycle/close"' not in draft
        assert res.status_code == 303 and res.headers["location"] == "/organizer/fairs/f-1?result=open"

    async def test_shows_a_refused_move_on_the_page(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs/f-1/finish",
                problem(409, "Không chuyển được trạng thái / invalid transition"))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/fairs/f-1/lifecycle/finish")
            unknown = await client.post("/organizer/fairs/f-1/lifecycle/delete")
        assert res.status_code == 409 and "Không chuyển được trạng thái" in text_of(res)
        assert unknown.status_code == 404

    async def test_cancel_sends_the_reason(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs/f-1/cancel",
                httpx.Response(200, json={**FAIR, "status": "cancelled"}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/fairs/f-1/lifecycle/cancel", data={"reason": "Bão số 3"})
        assert res.headers["location"] == "/organizer/fairs/f-1?result=cancelled"
        assert sent_json(fake, "POST", "/fairs/f-1/cancel") == {"reason": "Bão số 3"}


class TestReviewQueue:
    async def test_lists_by_priority_with_reasons_checkboxes_and_the_waitlist(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/fairs/f-1")
        page = text_of(res)
        assert fake.calls_to("GET", "/fairs/f-1/registrations")[0].url.params["order"] == "priority"
        assert "+30 sản phẩm CNNT tiêu biểu cấp quốc gia" in page and "+8 đăng ký sớm" in page
        assert page.index(NAMES["ex-dongvan"]) < page.index(NAMES["ex-meovac"])
        assert page.count('form="bulk" name="registration_ids"') == 3
        assert '<li value="1">HTX Mận Bắc Hà' in page
        assert 'href="/organizer/fairs/f-1/registrations.xlsx"' in page
        assert 'formaction="/organizer/registrations/r-1/request-changes"' in page
        assert_csp_clean(page)

    async def test_filters_by_status(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/fairs/f-1?status=waitlisted"))
        assert 'value="r-3"' in page and 'value="r-1"' not in page

    async def test_pages_a_regional_fairs_150_registrations_under_the_page_budget(self, portal):
        app, fake = portal
        big = [{**REGISTRATION, "id": f"r-{i:03d}", "exhibitor_id": f"ex-{i:03d}", "priority_score": 200 - i,
                "priority_reasons": REASONS, "products": ["Chè Shan tuyết", "Mật ong bạc hà Mèo Vạc"],
                "status": "waitlisted" if i >= 120 else "submitted",
                "waitlist_position": i - 119 if i >= 120 else None} for i in range(150)]
        fake.on("GET", "registration", "/fairs/f-1/registrations", httpx.Response(200, json={"data": big,
                                                                                                "count": 150}))
        for i in range(150):
            fake.on("GET", "registration", f"/exhibitors/ex-{i:03d}", httpx.Response(200, json={
                "id": f"ex-{i:03d}", "legal_name": f"Hợp tác xã Nông nghiệp và Dịch vụ Chè Shan tuyết số {i:03d}"}))
        fake.on("POST", "registration", "/registrations/r-060/approve",
                httpx.Response(200, json={**big[60], "status": "approved"}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            first = await client.get("/organizer/fairs/f-1")
            named = len([c for c in fake.calls if c.url.path.startswith("/exhibitors/")])
            second = await client.get("/organizer/fairs/f-1?status=submitted&order=submitted&page=2")
            beyond = text_of(await client.get("/organizer/fairs/f-1?status=submitted&order=submitted&page=9"))
            approved = await client.post("/organizer/registrations/r-060/approve", data={
                "back_status": "submitted", "back_order": "submitted", "back_page": "2"})
        page = text_of(first)
        assert len(first.content) < 200_000 and len(second.content) < 200_000
        assert page.count('name="registration_ids"') == 50
        assert 'value="r-049"' in page and 'value="r-050"' not in page
        assert named == 80  # names for the 50 rows shown and the 30 waitlisted, not for all 150
        assert "Hồ sơ 1–50 / 150." in page
        pager = page.split('<nav class="pager"')[1].split("</nav>")[0]
        assert 'href="/organizer/fairs/f-1" aria-current="page">1</a>' in pager
        assert 'href="/organizer/fairs/f-1?page=3" aria-label="Trang 3">3</a>' in pager
        assert 'href="/organizer/fairs/f-1?page=2" rel="next">' in pager and 'rel="prev"' not in pager
        # a filtered, re-sorted page: every link keeps the filter and the order (the HTML has &amp;)
        assert 'href="/organizer/fairs/f-1?status=submitted&amp;order=submitted&amp;page=3"' in second.text
        other = text_of(second)
        assert [c.url.params["order"] for c in fake.calls_to("GET", "/fairs/f-1/registrations")] == [
            "priority", "submitted", "submitted"]
        assert 'value="r-050"' in other and 'value="r-099"' in other and 'value="r-100"' not in other
        assert "Hồ sơ 51–100 / 120." in other
        pager = other.split('<nav class="pager"')[1].split("</nav>")[0]
        assert 'href="/organizer/fairs/f-1?status=submitted&order=submitted" rel="prev">' in pager
        assert 'href="/organizer/fairs/f-1?status=submitted&order=submitted&page=3" rel="next">' in pager
        assert 'href="/organizer/fairs/f-1?status=waitlisted&order=submitted" >' in other  # filter keeps order
        assert 'href="/organizer/fairs/f-1?status=submitted" >' in other  # sort keeps the filter
        assert other.count('name="back_page" value="2"') == other.count('name="back_status" value="submitted"') > 50
        assert "Hồ sơ 101–120 / 120." in beyond  # past the end: the last page
        assert approved.headers["location"] == ("/organizer/fairs/f-1?result=approved&status=submitted"
                                                "&order=submitted&page=2")

    async def test_bulk_approve_sends_the_checked_ids_and_reports_the_outcome(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs/f-1/registrations/approve", httpx.Response(200, json={"data": [
            {**QUEUE[0], "status": "approved"}, {**QUEUE[1], "status": "waitlisted", "waitlist_position": 2}],
            "count": 2}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/fairs/f-1/bulk", data={
                "registration_ids": ["r-1", "r-2"], "action": "approve", "reason": ""})
            back = text_of(await client.get(res.headers["location"]))
        assert res.status_code == 303
        assert parse_qs(urlsplit(res.headers["location"]).query) == {
            "result": ["bulk"], "approved": ["1"], "waitlisted": ["1"], "rejected": ["0"]}
        assert sent_json(fake, "POST", "/fairs/f-1/registrations/approve") == {"registration_ids": ["r-1", "r-2"]}
        assert "1 hồ sơ được duyệt; 1 hồ sơ vào danh sách chờ." in back

    async def test_bulk_reject_needs_a_reason_and_a_selection(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            no_reason = await client.post("/organizer/fairs/f-1/bulk",
                                          data={"registration_ids": ["r-1"], "action": "reject"})
            nothing = await client.post("/organizer/fairs/f-1/bulk", data={"action": "approve"})
        assert no_reason.status_code == 422 and "Vui lòng ghi lý do từ chối" in text_of(no_reason)
        assert nothing.status_code == 422 and "Chưa chọn hồ sơ nào" in text_of(nothing)
        assert fake.calls_to("POST", "/fairs/f-1/registrations/reject") == []

    async def test_reject_and_request_changes_send_the_reason(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/registrations/r-1/reject",
                httpx.Response(200, json={**QUEUE[0], "status": "rejected"}))
        fake.on("POST", "registration", "/registrations/r-2/request-changes",
                httpx.Response(200, json={**QUEUE[1], "status": "changes_requested"}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            rejected = await client.post("/organizer/registrations/r-1/reject",
                                         data={"fair_id": "f-1", "reason": "Sai ngành hàng"})
            asked = await client.post("/organizer/registrations/r-2/request-changes",
                                      data={"fair_id": "f-1", "reason": "Bổ sung giấy chứng nhận"})
            page = text_of(await client.get(asked.headers["location"]))
        assert rejected.headers["location"] == "/organizer/fairs/f-1?result=rejected"
        assert sent_json(fake, "POST", "/registrations/r-1/reject") == {"reason": "Sai ngành hàng"}
        assert sent_json(fake, "POST", "/registrations/r-2/request-changes") == {"reason": "Bổ sung giấy chứng nhận"}
        assert "Đã yêu cầu doanh nghiệp bổ sung hồ sơ." in page


class TestFloorPlan:
    async def test_shows_the_live_map_forms_and_waiting_requests(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/fairs/f-1/floorplan")
            script = await client.get("/static/js/organizer-floorplan.js")
        page = text_of(res)
        assert 'data-live="/organizer/fairs/f-1/floorplan/stream"' in page
        assert '<script src="/static/js/organizer-floorplan.js" defer></script>' in page
        assert "EventSource" in script.text and script.status_code == 200
        for form_id in ("assign", "move", "swap", "release", "block", "unblock", "grid", "csv"):
            assert f'id="{form_id}"' in page
        assert 'Đã xếp: <strong data-count="assigned">4</strong>' in page
        assert '<option value="r-1" >HTX Chè Shan tuyết Đồng Văn (2 gian)</option>' in page
        assert_csp_clean(page)

    async def test_inlines_the_booths_drawing_with_focusable_named_booths(self, portal):
        app, fake = portal
        fake.on("GET", "booths", "/fairs/f-1/assignments",
                httpx.Response(200, json={"data": ASSIGNMENTS, "count": 2}))
        async with running_app(app) as client:
            token = await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/fairs/f-1/floorplan"))
            client.cookies.set("hangviet_lang", "en")
            english = text_of(await client.get("/organizer/fairs/f-1/floorplan"))
        assert fake.calls_to("GET", "/fairs/f-1/floorplan.svg")[0].headers["authorization"] == f"Bearer {token}"
        live = re.search(r'<div id="live-map"([^>]*)>\s*<svg ([^>]*)>', page)
        assert live, "the map is inlined in #live-map, not an <img>"
        assert 'data-map="/organizer/fairs/f-1/floorplan/map"' in live.group(1)
        assert 'class="live-svg"' in live.group(2) and 'role="group"' in live.group(2)
        assert 'aria-describedby="map-help"' in live.group(2) and 'id="map-help"' in page
        assert 'width="' not in live.group(2)  # sized by the page's CSS
        booths = re.findall(r"<g ([^>]*data-code=[^>]*)>", page)
        assert len(booths) == 70
        assert all('tabindex="0"' in b and 'role="button"' in b and 'aria-pressed="false"' in b for b in booths)
        first = next(b for b in booths if 'data-code="A01"' in b)
        assert 'aria-label="A01, Đã xếp, HTX Mận Bắc Hà"' in first and 'data-registration="r-4"' in first
        free = next(b for b in booths if 'data-code="A03"' in b)
        assert 'aria-label="A03, Còn trống"' in free and "data-registration" not in free
        assert 'aria-label="A01, Assigned, HTX Mận Bắc Hà"' in english and 'aria-label="A03, Free"' in english
        # the drawing's patterns renamed so they cannot meet the page's ids (#assign, #block …)
        assert 'id="map-assigned"' in page and 'fill="url(#map-assigned)"' in page and "url(#assigned)" not in page
        # the move and release forms offer the registration a click on A01 pre-selects
        assert re.search(r'<select id="move-registration_id".*?<option value="r-4"', page, re.S)
        assert re.search(r'<fieldset id="map-mode" class="map-mode" hidden', page)
        assert page.count('name="map-mode"') == 6
        assert_csp_clean(page)

    async def test_the_live_fragment_is_the_map_alone(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/fairs/f-1/floorplan/map")
            fake.on("GET", "booths", "/fairs/f-1/floorplan.svg", httpx.Response(200, text="<html>not a plan</html>"))
            unreadable = await client.get("/organizer/fairs/f-1/floorplan/map")
        assert res.status_code == 200 and res.text.startswith('<svg viewBox="0 0 ')
        assert res.text.count('role="button"') == 70 and 'data-registration="r-5"' in res.text
        assert "script-src 'self'" in res.headers["content-security-policy"]
        assert res.headers["cache-control"] == "no-store"
        assert unreadable.status_code == 502  # the page keeps its map and says the live link is lost

    async def test_falls_back_to_the_image_when_the_drawing_cannot_be_read(self, portal):
        app, fake = portal
        fake.on("GET", "booths", "/fairs/f-1/floorplan.svg", problem(503, "Tạm thời không vẽ được / unavailable"))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/fairs/f-1/floorplan"))
        assert re.search(r'<div id="live-map"[^>]*>\s*<img src="/fairs/f-1/floorplan.svg"', page)
        assert "data-map=" not in page and 'id="map-mode"' not in page
        assert 'id="move"' in page  # the forms work without the map

    async def test_puts_a_refused_assignment_next_to_the_booth_codes(self, portal):
        app, fake = portal
        fake.on("POST", "booths", "/fairs/f-1/assignments", problem(
            409, "Gian đã có người / booth taken",
            [{"field": "booth_codes", "message": "Gian A01 đã được giữ hoặc xếp / A01 held or assigned"}]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/fairs/f-1/booths/assign",
                                    data={"registration_id": "r-1", "booth_codes": "A01, A02"})
        assert res.status_code == 409
        assert sent_json(fake, "POST", "/fairs/f-1/assignments") == {"registration_id": "r-1",
                                                                     "booth_codes": ["A01", "A02"]}
        page = text_of(res)
        assert field_error(page, "assign-booth_codes") == "Gian A01 đã được giữ hoặc xếp"
        assert 'value="A01, A02"' in page
        assert field_error(page, "move-booth_codes") is None

    async def test_swap_and_block_send_the_services_bodies(self, portal):
        app, fake = portal
        fake.on("POST", "booths", "/fairs/f-1/swap", httpx.Response(200, json={"data": [], "count": 0}))
        fake.on("POST", "booths", "/fairs/f-1/booths/block", httpx.Response(200, json=["C01"]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            swapped = await client.post("/organizer/fairs/f-1/booths/swap", data={"first": "r-1", "second": "r-2"})
            blocked = await client.post("/organizer/fairs/f-1/booths/block",
                                        data={"booth_codes": "C01", "reason": "cột điện"})
        assert swapped.headers["location"] == "/organizer/fairs/f-1/floorplan?result=swap#swap"
        assert blocked.status_code == 303
        assert sent_json(fake, "POST", "/fairs/f-1/swap") == {"registration_ids": ["r-1", "r-2"]}
        assert sent_json(fake, "POST", "/fairs/f-1/booths/block") == {"booth_codes": ["C01"], "reason": "cột điện"}

    async def test_the_swap_form_offers_only_registrations_with_a_partner_of_the_same_booth_count(self, portal):
        app, fake = portal
        odd = {"registration_id": "r-1", "exhibitor_id": "ex-dongvan", "booth_codes": ["B01", "B02", "B03"],
               "reason": "chỉ định / chosen", "assigned_at": "2026-11-04T00:00:00Z"}
        fake.on("GET", "booths", "/fairs/f-1/assignments",
                httpx.Response(200, json={"data": [*ASSIGNMENTS, odd], "count": 3}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/fairs/f-1/floorplan"))
        form = page[page.index('id="swap"'):page.index("</form>", page.index('id="swap"'))]
        first = form[form.index('<select id="swap-first"'):form.index("</select>", form.index('id="swap-first"'))]
        assert '<optgroup label="2 gian">' in first and "3 gian" not in first
        assert 'value="r-4"' in first and 'value="r-5"' in first and 'value="r-1"' not in first
        assert "Chỉ đổi được giữa hai doanh nghiệp có cùng số gian" in form
        assert "HTX Chè Shan tuyết Đồng Văn (3 gian)" in form  # named apart: nobody to swap with

    async def test_a_pair_with_different_booth_counts_is_refused_in_vietnamese_before_sending(self, portal):
        app, fake = portal
        odd = {"registration_id": "r-1", "exhibitor_id": "ex-dongvan", "booth_codes": ["B01", "B02", "B03"],
               "reason": "chỉ định / chosen", "assigned_at": "2026-11-04T00:00:00Z"}
        fake.on("GET", "booths", "/fairs/f-1/assignments",
                httpx.Response(200, json={"data": [*ASSIGNMENTS, odd], "count": 3}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/fairs/f-1/booths/swap", data={"first": "r-1", "second": "r-4"})
            same = await client.post("/organizer/fairs/f-1/booths/swap", data={"first": "r-4", "second": "r-4"})
        assert res.status_code == 422 and fake.calls_to("POST", "/fairs/f-1/swap") == []
        assert field_error(text_of(res), "swap-registration_ids") == (
            "Không đổi được: HTX Chè Shan tuyết Đồng Văn có 3 gian, r-4 có 2 gian. "
            "Chỉ đổi được giữa hai doanh nghiệp có cùng số gian.")
        assert field_error(text_of(same), "swap-registration_ids") == "Vui lòng chọn hai doanh nghiệp khác nhau."

    async def test_with_no_pair_of_the_same_booth_count_the_swap_form_says_why(self, portal):
        app, fake = portal
        fake.on("GET", "booths", "/fairs/f-1/assignments", httpx.Response(200, json={"data": [
            {**ASSIGNMENTS[0], "booth_codes": ["A01"]}, ASSIGNMENTS[1]], "count": 2}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/fairs/f-1/floorplan"))
        form = page[page.index('id="swap"'):page.index("</form>", page.index('id="swap"'))]
        assert "Chưa đổi được: không có hai doanh nghiệp nào có cùng số gian." in form
        assert "<select" not in form and "<button" not in form

    async def test_grid_and_csv_replace_the_plan(self, portal):
        app, fake = portal
        fake.on("PUT", "booths", "/fairs/f-1/floorplan/grid",
                httpx.Response(200, json={"fair_id": "f-1", "source": "grid", "booth_count": 40}))
        fake.on("PUT", "booths", "/fairs/f-1/floorplan/csv", problem(
            422, "Sơ đồ không hợp lệ (dòng 3 / line 3) / invalid floor plan: overlap",
            [{"field": "x", "line": 3, "message": "line 3: gian chồng lên A01 / overlaps A01"}]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            grid = await client.post("/organizer/fairs/f-1/floorplan/grid", data={
                "rows": "4", "booths_per_row": "10", "aisle_every": "5", "reserved": "B05 C01", "name": "Nhà A"})
            csv = await client.post("/organizer/fairs/f-1/floorplan/csv", files={
                "csv": ("plan.csv", b"code,hall,x,y\nA01,,0,0\nA02,,1,0\n", "text/csv")})
        assert grid.status_code == 303
        assert sent_json(fake, "PUT", "/fairs/f-1/floorplan/grid") == {"halls": [{
            "rows": 4, "booths_per_row": 10, "aisle_every": 5, "code": "", "name": "Nhà A",
            "reserved": ["B05", "C01"]}]}
        assert csv.status_code == 422
        assert fake.calls_to("PUT", "/fairs/f-1/floorplan/csv")[0].content == b"code,hall,x,y\nA01,,0,0\nA02,,1,0\n"
        assert field_error(text_of(csv), "csv-csv") == "dòng 3, x: gian chồng lên A01"

    async def test_allocation_shows_who_went_where_and_why_and_what_is_unmet(self, portal):
        app, fake = portal
        fake.on("POST", "booths", "/fairs/f-1/allocate", httpx.Response(200, json=ALLOCATION))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/fairs/f-1/allocate", data={"mode": "heuristic", "time_limit_s": "3"})
        assert res.status_code == 200
        assert sent_json(fake, "POST", "/fairs/f-1/allocate") == {"mode": "heuristic", "time_limit_s": 3.0}
        page = text_of(res)
        assert re.search(r"<td>HTX Chè Shan tuyết Đồng Văn</td><td>A01, A02</td><td>điểm ưu tiên 38; khối liền kề",
                         page)
        assert "<strong>Hộ kinh doanh Mèn mén Mèo Vạc</strong>: không còn đủ gian liền kề" in page
        assert "tối ưu (đã chứng minh)" in page and "contiguous block" not in page
        assert_csp_clean(page)

    async def test_allocation_reasons_follow_the_english_switch(self, portal):
        app, fake = portal
        fake.on("POST", "booths", "/fairs/f-1/allocate", httpx.Response(200, json=ALLOCATION))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            client.cookies.set("hangviet_lang", "en")
            page = text_of(await client.post("/organizer/fairs/f-1/allocate", data={"mode": "exact"}))
        assert "<td>priority 38; contiguous block A01–A02</td>" in page and "Who went where, and why" in page
        assert sent_json(fake, "POST", "/fairs/f-1/allocate") == {"mode": "exact", "time_limit_s": 5.0}

    async def test_allocation_without_a_solver_choice_leaves_it_to_the_fair(self, portal):
        app, fake = portal
        fake.on("POST", "booths", "/fairs/f-1/allocate", httpx.Response(200, json=ALLOCATION))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/fairs/f-1/allocate", data={"mode": "", "time_limit_s": "4"})
        assert res.status_code == 200
        assert sent_json(fake, "POST", "/fairs/f-1/allocate") == {"time_limit_s": 4.0}

    async def test_a_draft_fair_has_no_map_yet(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json={**FAIR, "status": "draft"}))
        fake.on("GET", "booths", "/fairs/f-1/floorplan", problem(404, "Không tìm thấy / Not found"))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/fairs/f-1/floorplan")
        assert res.status_code == 200 and "Hãy công bố hội chợ trước" in text_of(res)


class TestLiveStream:
    async def test_relays_the_booths_services_events_with_the_users_token(self, portal):
        app, fake = portal
        events = (b'event: ready\ndata: {"fair_id": "f-1"}\n\n'
                  b'event: booths\ndata: {"fair_id": "f-1", "cause": "allocation", "booths": {"A01": "assigned"}}\n\n')
        fake.on("GET", "booths", "/fairs/f-1/floorplan/stream",
                httpx.Response(200, content=events, headers={"content-type": "text/event-stream"}))
        async with running_app(app) as client:
            token = await log_in(client, "organizer-tq")
            res = await client.get("/organizer/fairs/f-1/floorplan/stream")
        assert res.status_code == 200 and res.headers["content-type"].startswith("text/event-stream")
        assert res.content == events
        upstream = fake.calls_to("GET", "/fairs/f-1/floorplan/stream")[0]
        assert upstream.headers["authorization"] == f"Bearer {token}"
        assert upstream.headers["accept"] == "text/event-stream"

    async def test_an_unknown_fair_ends_the_stream_with_its_status(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/fairs/f-404/floorplan/stream")
        assert res.status_code == 404


class TestAuditAndExports:
    async def test_shows_both_audit_logs(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/fairs/f-1/audit", httpx.Response(200, json={"data": [
            {"id": 1, "at": "2026-11-02T03:00:00+00:00", "actor_role": "organizer", "actor": "tq",
             "action": "registration.rejected", "entity": "registration", "entity_id": "r-9", "fair_id": "f-1",
             "changes": {"status": ["submitted", "rejected"]}, "reason": "Sai ngành hàng"}], "count": 1}))
        fake.on("GET", "booths", "/fairs/f-1/audit", httpx.Response(200, json={"data": [
            {"at": "2026-11-04T03:00:00+00:00", "actor": "tq", "action": "block", "registration_id": None,
             "booth_codes": ["C01"], "detail": "cột điện"}], "count": 1}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/fairs/f-1/audit"))
        assert "registration.rejected" in page and "status: submitted → rejected" in page and "Sai ngành hàng" in page
        assert "<td>C01</td><td>cột điện</td>" in page

    async def test_proxies_the_excel_and_csv_exports(self, portal):
        app, fake = portal
        disposition = "attachment; filename=\"dang-ky-f-1.xlsx\""
        fake.on("GET", "registration", "/fairs/f-1/registrations.xlsx", httpx.Response(
            200, content=b"PK\x03\x04xlsx", headers={"content-disposition": disposition}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/fairs/f-1/registrations.xlsx")
            other = await client.get("/organizer/fairs/f-1/registrations.pdf")
        assert res.status_code == 200 and res.content == b"PK\x03\x04xlsx"
        assert res.headers["content-disposition"] == disposition
        assert res.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert other.status_code == 404


class TestRoles:
    @pytest.mark.parametrize(("method", "path"), [
        ("GET", "/organizer/fairs/new"), ("GET", "/organizer/fairs/f-1"), ("GET", "/organizer/fairs/f-1/floorplan"),
        ("GET", "/organizer/fairs/f-1/floorplan/stream"), ("GET", "/organizer/fairs/f-1/audit"),
        ("GET", "/organizer/fairs/f-1/registrations.csv"), ("POST", "/organizer/fairs"),
        ("POST", "/organizer/fairs/f-1/bulk"), ("POST", "/organizer/fairs/f-1/allocate"),
        ("POST", "/organizer/fairs/f-1/booths/assign"), ("POST", "/organizer/fairs/f-1/lifecycle/publish"),
    ])
    async def test_an_exhibitor_gets_a_403_page_and_no_service_is_called(self, portal, method, path):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.request(method, path, headers={"accept": "text/html"})
        assert res.status_code == 403
        assert "Trang dành cho ban tổ chức" in text_of(res)
        assert fake.calls == []

    async def test_another_centres_fair_is_a_not_found_page(self, portal):
        app, _ = portal  # the registration service answers 404 for a fair of another centre
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/fairs/f-2", headers={"accept": "text/html"})
        assert res.status_code == 404 and "Không tìm thấy" in text_of(res)

    async def test_a_visitor_is_sent_to_log_in(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.get("/organizer/fairs/f-1/floorplan")
        assert res.status_code == 303 and res.headers["location"].startswith("/login?next=")
