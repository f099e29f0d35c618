"""The organizer's market planner pages, the markets service answered by an httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest

from services.portal.app import create_app
from services.portal.domain.markets_forms import import_body, read_rule
from tests.conftest import running_app
from tests.service.test_portal import PORTAL, FakeServices, database_url, log_in, problem, text_of  # noqa: F401

SESSIONS = [
    {"id": "s-1", "programme_id": "p-1", "province_code": "08", "commune_code": "00715", "commune_name": "Xã Lũng Cú",
     "site_name": "Chợ Lũng Cú", "starts_on": "2026-01-17", "ends_on": "2026-01-19", "booth_quota": 20,
     "status": "scheduled", "cancel_reason": None, "cancelled_at": None},
    {"id": "s-2", "programme_id": "p-1", "province_code": "08", "commune_code": "00769", "commune_name": "Xã Mèo Vạc",
     "site_name": "Chợ Mèo Vạc", "starts_on": "2026-03-06", "ends_on": "2026-03-08", "booth_quota": 20,
     "status": "cancelled", "cancel_reason": "Biên phòng tạm dừng tụ tập", "cancelled_at": "2026-03-01T01:00:00Z"},
]
PROGRAMME = {
    "id": "p-1", "centre_id": "tq", "name": "Đưa hàng Việt về miền núi 2026", "year": 2026, "province_code": "08",
    "province_name": "Tuyên Quang", "target_sessions": 3, "session_days": 3, "booth_quota": 20,
    "enterprise_quota": 5, "budget_vnd": 900_000_000, "created_at": "2026-11-01T01:00:00Z", "planning": None,
    "sessions": SESSIONS,
    "summary": {"sessions_scheduled": 1, "sessions_cancelled": 1, "communes_covered": 1, "booths_planned": 20,
                "sessions_to_target": 2},
}
OTHER_PROGRAMME = {**PROGRAMME, "id": "p-9", "centre_id": "lc", "name": "Chương trình Lào Cai"}
SUMMARY = {"programme_id": "p-1", "year": 2026, "target_sessions": 3, "sessions_scheduled": 1, "sessions_held": 1,
           "sessions_cancelled": 1, "sessions_to_target": 2, "communes_planned": 2, "communes_covered": 1,
           "enterprises_present": 7, "suppliers_enrolled": 3, "visitors": 1500, "revenue_vnd": 120_000_000,
           "revenue_by_category": {"nông sản": 80_000_000}}
LINE = {"id": "l-1", "action": "new", "session_id": None, "commune_code": "00715", "commune_name": "Xã Lũng Cú",
        "site_name": "Chợ Lũng Cú", "starts_on": "2027-01-17", "ends_on": "2027-01-19", "booth_quota": 20,
        "pinned": False, "suppliers": [{"id": "sup-1", "name": "HTX Chè Shan tuyết"}], "note": ""}
PROPOSAL = {
    "id": "pr-1", "programme_id": "p-1", "status": "draft", "forbidden_dates": ["2027-02-10"],
    "created_at": "2026-11-20T01:00:00Z", "updated_at": "2026-11-20T01:00:00Z", "confirmed_at": None,
    "counts": {"new": 2, "keep": 0, "move": 0, "cancel": 0},
    "solver": {"dates": {"status": "optimal", "wall_s": 0.2}, "warnings": []},
    "items": [LINE, {**LINE, "id": "l-2", "commune_code": "00769", "commune_name": "Xã Mèo Vạc",
                     "site_name": "Chợ Mèo Vạc", "starts_on": "2027-03-13", "ends_on": "2027-03-15",
                     "pinned": True, "suppliers": []}],
}
SITE = {"id": "site-1", "programme_id": "p-1", "commune_code": "00715", "commune_name": "Xã Lũng Cú",
        "name": "Chợ Lũng Cú", "mountain": True, "border": True, "island": False, "difficult": True, "priority": 8,
        "capacity_booths": 30, "travel_hours": 4.0, "market_day": {"kind": "weekday", "weekdays": [7]},
        "market_day_text": "Chủ nhật", "blackouts": [], "max_sessions": None, "imported_as": None}


@pytest.fixture
def planner(settings_for):
    settings = settings_for("portal")
    fake = FakeServices({n: PORTAL.service_url(n) for n in ("registration", "booths", "billing", "markets")})
    fake.on("GET", "markets", "/programmes", httpx.Response(200, json={"data": [PROGRAMME, OTHER_PROGRAMME],
                                                                       "count": 2}))
    fake.on("GET", "markets", "/programmes/p-1", httpx.Response(200, json=PROGRAMME))
    fake.on("GET", "markets", "/programmes/p-9", httpx.Response(200, json=OTHER_PROGRAMME))
    fake.on("GET", "markets", "/programmes/p-1/summary", httpx.Response(200, json=SUMMARY))
    fake.on("GET", "markets", "/programmes/p-1/proposals", httpx.Response(200, json={"data": [], "count": 0}))
    fake.on("GET", "markets", "/programmes/p-1/sites", httpx.Response(200, json={"data": [SITE], "count": 1}))
    fake.on("GET", "markets", "/sessions/s-1/report", httpx.Response(200, json={
        "session_id": "s-1", "programme_id": "p-1", "visitors": 1500, "revenue_vnd": 120_000_000,
        "enterprises_present": 7, "goods_sold": [], "note": "", "reported_at": "2027-01-19T10:00:00Z"}))
    fake.on("GET", "markets", "/proposals/pr-1", httpx.Response(200, json=PROPOSAL))
    return create_app(settings, portal=PORTAL, transport=httpx.MockTransport(fake.handler)), fake


def sent(fake: FakeServices, method: str, path: str) -> Any:
    calls = fake.calls_to(method, path)
    assert calls, f"no {method} {path}"
    return json.loads(calls[-1].content)


def csp_clean(page: str) -> None:
    """No inline styles or scripts: the portal's CSP would block them."""
    assert " style=" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
    assert len(page.encode()) < 200_000


class TestAccess:
    async def test_an_exhibitor_gets_403_and_the_service_is_not_asked(self, planner):
        app, fake = planner
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/organizer/markets", headers={"accept": "text/html"})
            plan = await client.post("/organizer/markets/p-1/plan", data={})
        assert res.status_code == 403 and "Trang dành cho ban tổ chức" in text_of(res)
        assert plan.status_code == 403
        assert not [c for c in fake.calls if "markets" in str(c.url) or ":8003" in str(c.url)]

    async def test_a_visitor_is_sent_to_log_in(self, planner):
        app, _ = planner
        async with running_app(app) as client:
            res = await client.get("/organizer/markets/p-1")
        assert res.status_code == 303 and res.headers["location"].startswith("/login")

    async def test_lists_only_the_centres_own_programmes(self, planner):
        app, _ = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/markets")
        page = text_of(res)
        assert "Đưa hàng Việt về miền núi 2026" in page and "Chương trình Lào Cai" not in page
        csp_clean(page)

    async def test_another_centres_programme_is_not_found(self, planner):
        app, _ = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/markets/p-9")
            sites = await client.get("/organizer/markets/p-9/sites")
        assert res.status_code == 404 and sites.status_code == 404
        assert "Không tìm thấy chương trình" in text_of(res)

    async def test_a_service_403_becomes_an_error_page_not_a_crash(self, planner):
        app, fake = planner
        fake.on("GET", "markets", "/proposals/pr-x", problem(403, "Không có quyền / Forbidden"))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/markets/proposals/pr-x")
        assert res.status_code == 403 and "Không có quyền" in text_of(res)


class TestProgramme:
    async def test_creates_a_programme_from_the_form(self, planner):
        app, fake = planner
        fake.on("POST", "markets", "/programmes", httpx.Response(201, json=PROGRAMME))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/new", data={
                "name": " Đưa hàng Việt 2027 ", "year": "2027", "province_code": "08", "target_sessions": "22",
                "session_days": "3", "booth_quota": "25", "enterprise_quota": "12", "budget_vnd": "1.500.000.000",
                "min_gap_days": "", "max_concurrent": "2", "blackouts": "01/07/2027 - 31/08/2027 mùa mưa lũ\n"})
        assert res.status_code == 303 and res.headers["location"].startswith("/organizer/markets/p-1")
        assert sent(fake, "POST", "/programmes") == {
            "name": "Đưa hàng Việt 2027", "year": 2027, "province_code": "08", "target_sessions": 22,
            "session_days": 3, "booth_quota": 25, "enterprise_quota": 12, "budget_vnd": 1_500_000_000,
            "max_concurrent": 2,
            "blackouts": [{"starts_on": "2027-07-01", "ends_on": "2027-08-31", "reason": "mùa mưa lũ"}]}

    async def test_an_unreadable_blackout_is_refused_next_to_its_field_without_calling_the_service(self, planner):
        app, fake = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/new", data={"name": "X", "year": "2027",
                                                                   "blackouts": "mùa mưa"})
        assert res.status_code == 422
        assert re.search(r'<p class="field-error" id="blackouts-error">Dòng 1: cần dạng', text_of(res))
        assert fake.calls_to("POST", "/programmes") == []

    async def test_shows_the_year_summary_and_a_chart_of_sessions_per_month(self, planner):
        app, _ = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/markets/p-1")
        page = text_of(res)
        assert res.status_code == 200
        assert "120.000.000\u00a0₫" in page and "Phiên đã tổ chức" in page
        assert '<svg viewBox="0 0 640 220" role="img"' in page
        # January holds the held session, March the cancelled one: one bar each, nothing in other months.
        assert len(re.findall(r'<rect class="bar-held"', page)) == 1
        assert len(re.findall(r'<rect class="bar-cancelled"', page)) == 1
        assert "Tháng 1: 1." in page and "Tháng 3: 0 (+1 hủy)." in page
        assert "đã có kết quả" in page  # s-1 has a report
        assert 'href="/organizer/markets/p-1/calendar.ics"' in page
        csp_clean(page)

    async def test_cancelling_a_session_sends_the_reason(self, planner):
        app, fake = planner
        fake.on("POST", "markets", "/sessions/s-1/cancel", httpx.Response(200, json={**SESSIONS[0],
                                                                                      "status": "cancelled"}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/sessions/s-1/cancel",
                                    data={"reason": "Biên phòng tạm dừng"})
        assert res.status_code == 303 and res.headers["location"].startswith("/organizer/markets/p-1?notice=")
        assert sent(fake, "POST", "/sessions/s-1/cancel") == {"reason": "Biên phòng tạm dừng"}


class TestSites:
    async def test_offers_the_provinces_communes_with_labels(self, planner):
        app, _ = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/markets/p-1/sites")
        page = text_of(res)
        assert '<option value="00715"' in page and "Xã Lũng Cú" in page
        for name in ("commune_code", "capacity_booths", "travel_hours", "priority", "lunar_days", "branch_1"):
            assert f'<label for="{name}"' in page
        assert 'href="/organizer/markets/sites/site-1/calendar.ics"' in page
        csp_clean(page)

    async def test_puts_the_services_error_next_to_the_field_and_keeps_the_input(self, planner):
        app, fake = planner
        fake.on("POST", "markets", "/programmes/p-1/sites", problem(
            422, "Dữ liệu không hợp lệ / Invalid input",
            [{"field": "capacity_booths", "message": "Input should be greater than or equal to 1",
              "code": "greater_than_equal"}]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/p-1/sites", data={
                "commune_code": "00715", "capacity_booths": "0", "travel_hours": "4,5", "border": "on",
                "market_kind": "branch", "branch_1": "Dần", "branch_2": "Thân"})
        assert res.status_code == 422
        page = text_of(res)
        error = re.search(r'<p class="field-error" id="capacity_booths-error">([^<]*)</p>', page)
        assert error and error.group(1) == "Phải lớn hơn hoặc bằng 1."
        assert 'aria-describedby="capacity_booths-error"' in page
        assert re.search(r'<option value="00715"\s+selected', page)
        assert sent(fake, "POST", "/programmes/p-1/sites") == {
            "commune_code": "00715", "mountain": False, "border": True, "island": False, "difficult": False,
            "capacity_booths": 0, "travel_hours": 4.5, "market_day": {"kind": "branch", "branches": ["Dần", "Thân"]}}

    async def test_imports_lines_and_names_the_line_of_an_error(self, planner):
        app, fake = planner
        fake.on("POST", "markets", "/programmes/p-1/sites/import", problem(
            422, "Dữ liệu không hợp lệ / Invalid input",
            [{"field": "sites.1.commune_name", "message": "Xã Tả Lủng: nhiều xã trùng tên / ambiguous"}]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/p-1/sites/import", data={
                "lines": "00715;;30;4;CN;nbk\nXã Tả Lủng;;20;3;âm 2,7,12;n\n"})
        assert res.status_code == 422
        assert "Dòng 2 (commune_name): Xã Tả Lủng: nhiều xã trùng tên" in text_of(res)
        assert sent(fake, "POST", "/programmes/p-1/sites/import")["sites"][1]["market_day"] == {
            "kind": "lunar", "days": [2, 7, 12]}


def test_market_days_written_briefly() -> None:
    assert read_rule("CN") == {"kind": "weekday", "weekdays": [7]}
    assert read_rule("T2 T5") == {"kind": "weekday", "weekdays": [1, 4]}
    assert read_rule("Tỵ-Hợi") == {"kind": "branch", "branches": ["Tỵ", "Hợi"]}
    assert read_rule("âm 2, 7, 12, 17, 22, 27") == {"kind": "lunar", "days": [2, 7, 12, 17, 22, 27]}
    assert read_rule("hàng ngày") == {"kind": "daily"}
    assert read_rule("thứ hai") is None
    body, errors = import_body("Thị trấn Mèo Vạc;Huyện Mèo Vạc;20;5;thứ hai;b")
    assert errors.general == ["Dòng 1: không đọc được phiên chợ “thứ hai”."]
    assert body["sites"][0]["commune_name"] == "Thị trấn Mèo Vạc" and body["sites"][0]["border"] is True


class TestSuppliers:
    async def test_enrols_a_supplier_with_categories_and_availability(self, planner):
        app, fake = planner
        fake.on("POST", "markets", "/programmes/p-1/suppliers", httpx.Response(201, json={}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/p-1/suppliers", data={
                "name": "HTX Chè Shan tuyết", "kind": "cooperative", "tax_code": "", "categories": "chè, nông sản",
                "funded": "on", "max_sessions": "4", "availability": "01/03/2027 - 31/10/2027"})
        assert res.status_code == 303
        assert sent(fake, "POST", "/programmes/p-1/suppliers") == {
            "name": "HTX Chè Shan tuyết", "kind": "cooperative", "funded": True, "categories": ["chè", "nông sản"],
            "max_sessions": 4, "availability": [{"starts_on": "2027-03-01", "ends_on": "2027-10-31", "reason": ""}]}


async def wait_for_job(client: httpx.AsyncClient, job_url: str) -> dict[str, Any]:
    for _ in range(200):
        status = (await client.get(f"{job_url}/status")).json()
        if status["state"] != "running":
            return status
        await asyncio.sleep(0.01)
    raise AssertionError("the job did not finish")


class TestScheduler:
    async def test_runs_in_the_background_shows_a_waiting_page_then_the_proposal(self, planner):
        app, fake = planner
        release = asyncio.Event()

        async def slow_solver(request: httpx.Request) -> httpx.Response:
            await release.wait()
            return httpx.Response(201, json=PROPOSAL)

        fake.on("POST", "markets", "/programmes/p-1/proposals", slow_solver)  # type: ignore[arg-type]
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/p-1/plan", data={
                "forbidden_dates": "10/02/2027", "time_limit_s": "5"})
            assert res.status_code == 303
            job_url = res.headers["location"]
            waiting = await client.get(job_url)
            assert waiting.status_code == 200
            page = text_of(waiting)
            assert "Đang lập lịch" in page and 'src="/static/js/markets-poll.js"' in page
            assert (await client.get(f"{job_url}/status")).json()["state"] == "running"
            release.set()
            status = await wait_for_job(client, job_url)
            done = await client.get(job_url)
            js = await client.get("/static/js/markets-poll.js")
        assert status["state"] == "done" and status["next"] == "/organizer/markets/proposals/pr-1"
        assert done.status_code == 303 and done.headers["location"] == "/organizer/markets/proposals/pr-1"
        assert sent(fake, "POST", "/programmes/p-1/proposals") == {
            "forbidden_dates": ["2027-02-10"], "allow_fewer": False, "time_limit_s": 5.0}
        assert js.status_code == 200 and "data-status-url" in js.text
        csp_clean(page)

    async def test_an_unreadable_forbidden_date_stands_next_to_its_field_and_nothing_is_solved(self, planner):
        app, fake = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/p-1/plan", data={
                "forbidden_dates": "10/02/2027 31/02/2027", "time_limit_s": "5", "allow_fewer": "on"})
            await client.get("/lang/en")
            english = await client.post("/organizer/markets/p-1/plan", data={"forbidden_dates": "mai"})
        assert res.status_code == 422
        page = text_of(res)
        assert re.search(r'<p class="field-error" id="forbidden_dates-error">Không đọc được ngày “31/02/2027”', page)
        assert 'value="10/02/2027 31/02/2027"' in page and 'aria-describedby="forbidden_dates-error"' in page
        assert 'id="allow_fewer" name="allow_fewer" value="on" checked' in page
        assert re.search(r'id="forbidden_dates-error">Cannot read the date “mai”', text_of(english))
        assert fake.calls_to("POST", "/programmes/p-1/proposals") == []

    async def test_an_unreadable_date_to_forbid_stands_next_to_its_field(self, planner):
        app, fake = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/proposals/pr-1/forbid", data={"date": "12/13/2027"})
        assert res.status_code == 422
        assert re.search(r'<p class="field-error" id="date-error">Không đọc được ngày “12/13/2027”', text_of(res))
        assert fake.calls_to("PATCH", "/proposals/pr-1") == []

    async def test_explains_an_infeasible_target_with_its_blockers(self, planner):
        app, fake = planner
        response = problem(422, "Không lập được lịch đáp ứng mọi điều kiện / no schedule meets every rule")
        body = {**response.json(), "target": 10, "max_sessions": 6, "blockers": [
            {"constraint": "site-gap", "limit": 6, "message": "keeping 60 days between two sessions ..."}]}
        fake.on("POST", "markets", "/programmes/p-1/proposals",
                httpx.Response(422, json=body, headers={"content-type": "application/problem+json"}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            job_url = (await client.post("/organizer/markets/p-1/plan", data={})).headers["location"]
            assert (await wait_for_job(client, job_url))["state"] == "failed"
            res = await client.get(job_url)
        assert res.status_code == 422
        page = text_of(res)
        assert "Không lập được lịch đáp ứng mọi điều kiện" in page
        assert "Khoảng cách tối thiểu giữa hai phiên tại một điểm" in page and "<strong>6</strong>" in page

    async def test_someone_elses_job_is_not_found(self, planner):
        app, fake = planner
        fake.on("POST", "markets", "/programmes/p-1/proposals", httpx.Response(201, json=PROPOSAL))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            job_url = (await client.post("/organizer/markets/p-1/plan", data={})).headers["location"]
            app.state.markets_jobs[job_url.rsplit("/", 1)[1]].owner = "organizer:lc"
            res = await client.get(job_url)
        assert res.status_code == 404


class TestProposal:
    async def test_draws_the_proposal_as_month_calendars_and_a_list(self, planner):
        app, _ = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/markets/proposals/pr-1")
        page = text_of(res)
        assert res.status_code == 200
        captions = re.findall(r"<caption>([^<]+)</caption>", page)
        assert captions == ["Tháng 1/2027", "Tháng 2/2027", "Tháng 3/2027"]
        # 17 January 2027 is a Sunday: the session starts there, in the last column, and runs on to the 19th.
        start = re.search(r'<td class="busy">\s*<span class="dn">17</span>\s*<a class="mark a-new" '
                          r'href="#line-l-1" title="Xã Lũng Cú">Lũng Cú</a>', page)
        assert start
        assert re.search(r'<span class="dn">18</span>\s*<span class="mark cont a-new"', page)
        assert re.search(r'<td class=" forbidden">\s*<span class="dn">10</span>', page)
        assert 'class="mark a-new pinned" href="#line-l-2"' in page
        assert '<tr id="line-l-1" class="a-new">' in page and "HTX Chè Shan tuyết" in page
        assert "Chủ nhật" in page  # the market day from the site
        assert "Bỏ ghim" in page and "Xác nhận phương án" in page and "bộ giải: tối ưu" in page
        csp_clean(page)

    async def test_pinning_a_line_re_solves_it_in_the_background(self, planner):
        app, fake = planner
        fake.on("PATCH", "markets", "/proposals/pr-1", httpx.Response(200, json=PROPOSAL))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/proposals/pr-1/pin", data={"item_id": "l-1", "pinned": "0"})
            status = await wait_for_job(client, res.headers["location"])
            await client.post("/organizer/markets/proposals/pr-1/forbid", data={"date": "12/02/2027"})
        assert status["next"] == "/organizer/markets/proposals/pr-1"
        bodies = [json.loads(c.content) for c in fake.calls_to("PATCH", "/proposals/pr-1")]
        assert bodies[0] == {"pin": ["l-1"]}
        assert bodies[1] == {"forbid_dates": ["2027-02-12"]}

    async def test_confirming_returns_to_the_programme_with_what_happened(self, planner):
        app, fake = planner
        fake.on("POST", "markets", "/proposals/pr-1/confirm", httpx.Response(200, json={
            "proposal": {**PROPOSAL, "status": "confirmed"}, "scheduled": SESSIONS[:1] * 2, "rescheduled": [],
            "cancelled": []}))
        async with running_app(app) as client:
            token = await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/proposals/pr-1/confirm")
            programme = await client.get(res.headers["location"])
        assert res.status_code == 303 and res.headers["location"].startswith("/organizer/markets/p-1?notice=")
        assert fake.calls_to("POST", "/proposals/pr-1/confirm")[0].headers["authorization"] == f"Bearer {token}"
        assert "Đã xác nhận: 2 phiên mới, 0 phiên dời lịch, 0 phiên hủy." in text_of(programme)

    async def test_a_stale_proposal_is_a_readable_refusal(self, planner):
        app, fake = planner
        fake.on("POST", "markets", "/proposals/pr-1/confirm", problem(
            409, "Lịch đã thay đổi từ khi lập phương án / the sessions changed since this proposal"))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/proposals/pr-1/confirm", headers={"accept": "text/html"})
        assert res.status_code == 409 and "Lịch đã thay đổi từ khi lập phương án" in text_of(res)


class TestNotices:
    async def test_a_notice_code_is_shown_in_the_readers_language(self, planner):
        app, _ = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            vietnamese = await client.get("/organizer/markets/p-1", params={"notice": "confirmed", "n": "2.1.0"})
            await client.get("/lang/en")
            english = await client.get("/organizer/markets/p-1", params={"notice": "confirmed", "n": "2.1.0"})
        assert '<p class="notice" role="status">Đã xác nhận: 2 phiên mới, 1 phiên dời lịch, 0 phiên hủy.</p>' \
            in text_of(vietnamese)
        assert '<p class="notice" role="status">Confirmed: 2 new sessions, 1 moved, 0 cancelled.</p>' \
            in text_of(english)

    @pytest.mark.parametrize("params", [
        {"notice": "Tài khoản bị khóa, gọi 0900 000 000"}, {"notice": "confirmed", "n": "<b>9</b>.1.0"},
        {"notice": "confirmed", "n": "2"}, {"notice": "site-added", "n": "1"}])
    async def test_free_text_or_unknown_codes_are_not_shown(self, planner, params):
        app, _ = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/markets/p-1/sites", params=params)
        page = text_of(res)
        assert res.status_code == 200
        assert 'class="notice"' not in page
        assert "Tài khoản bị khóa" not in page and "<b>9</b>" not in page

    async def test_an_action_redirects_with_a_code_not_a_sentence(self, planner):
        app, fake = planner
        fake.on("POST", "markets", "/programmes/p-1/sites/import", httpx.Response(200, json={"count": 2}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/p-1/sites/import",
                                    data={"lines": "00715; ; 30; 4; CN; nb\n00769; ; 20; 5; CN; n"})
            page = await client.get(res.headers["location"])
        assert res.headers["location"] == "/organizer/markets/p-1/sites?notice=sites-imported&n=2"
        assert "Đã nhập 2 điểm." in text_of(page)


class TestResults:
    async def test_records_results_with_money_typed_the_vietnamese_way(self, planner):
        app, fake = planner
        programme = {**PROGRAMME, "sessions": [{**SESSIONS[0], "id": "s-3", "starts_on": "2026-01-10",
                                                "ends_on": "2026-01-12"}]}
        fake.on("GET", "markets", "/programmes/p-1", httpx.Response(200, json=programme))
        fake.on("POST", "markets", "/sessions/s-3/report", httpx.Response(201, json={}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            form = await client.get("/organizer/markets/p-1/sessions/s-3/report")
            res = await client.post("/organizer/markets/p-1/sessions/s-3/report", data={
                "visitors": "1500", "revenue_vnd": "120.000.000 ₫", "enterprises_present": "7",
                "goods_category_0": "nông sản", "goods_revenue_0": "80.000.000", "goods_category_1": "",
                "note": ""})
        for name in ("visitors", "revenue_vnd", "enterprises_present", "goods_category_0", "goods_revenue_0", "note"):
            assert f'<label for="{name}"' in text_of(form)
        assert res.status_code == 303
        assert sent(fake, "POST", "/sessions/s-3/report") == {
            "visitors": 1500, "revenue_vnd": 120_000_000, "enterprises_present": 7,
            "goods_sold": [{"category": "nông sản", "revenue_vnd": 80_000_000}]}

    async def test_shows_the_services_errors_next_to_the_fields(self, planner):
        app, fake = planner
        fake.on("POST", "markets", "/sessions/s-1/report", problem(422, "Dữ liệu không hợp lệ / Invalid input", [
            {"field": "visitors", "message": "Input should be a valid integer", "code": "int_type"},
            {"field": "enterprises_present", "message": "Field required", "code": "missing"}]))
        fake.on("GET", "markets", "/sessions/s-1/report", problem(404, "Không tìm thấy / Not found"))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/markets/p-1/sessions/s-1/report", data={
                "visitors": "nhiều", "revenue_vnd": "5000000"})
        assert res.status_code == 422
        page = text_of(res)
        assert '<p class="field-error" id="visitors-error">Vui lòng nhập một số nguyên.</p>' in page
        assert '<p class="field-error" id="enterprises_present-error">Vui lòng nhập trường này.</p>' in page
        assert 'value="nhiều"' in page
        assert sent(fake, "POST", "/sessions/s-1/report") == {"visitors": "nhiều", "revenue_vnd": 5_000_000,
                                                             "goods_sold": []}

    async def test_a_session_of_another_programme_is_not_found(self, planner):
        app, _ = planner
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/markets/p-1/sessions/s-404/report")
        assert res.status_code == 404


class TestFeeds:
    async def test_relays_the_programmes_icalendar_feed_without_login(self, planner):
        app, fake = planner
        fake.on("GET", "markets", "/programmes/p-1/calendar.ics",
                httpx.Response(200, content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"))
        async with running_app(app) as client:
            res = await client.get("/organizer/markets/p-1/calendar.ics")
        assert res.status_code == 200 and res.headers["content-type"].startswith("text/calendar")
        assert res.content.startswith(b"BEGIN:VCALENDAR")
