"""Results, the year summary and the calendar feeds of the markets service, in memory."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from services.markets.app import create_app
from services.markets.service.proposals import SolverConfig
from shared.contracts import EVENTS_BY_TYPE
from tests.conftest import running_app, token
from tests.service.test_markets import assert_problem, new_programme, staged_events


@pytest.fixture
def app(settings_for):
    """The markets service on a fresh database, its solver kept small for tests."""
    application = create_app(settings_for("markets"))
    application.state.solver = SolverConfig(time_limit_s=20, max_time_limit_s=30, workers=2)
    return application


@pytest.fixture
def organizer(app) -> dict[str, str]:
    return token(app.state.settings, "organizer", centre_id="tq", subject="can-bo-tq")


def today_vn() -> date:
    """Today as the service sees it (Vietnam's date)."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


async def held_session(client, headers, commune: str = "00721") -> tuple[str, str]:
    """A programme of this year with a one-day session that started today (Vietnam time)."""
    day = today_vn()
    pid = (await new_programme(client, headers, year=day.year, name=f"Chợ {commune} {day}"))["id"]
    res = await client.post(f"/programmes/{pid}/sessions", headers=headers, json={
        "commune_code": commune, "site_name": "Chợ trung tâm", "starts_on": day.isoformat(),
        "ends_on": day.isoformat(), "booth_quota": 30})
    assert res.status_code == 201, res.text
    return pid, res.json()["id"]


REPORT = {"visitors": 3500, "revenue_vnd": 812_500_000, "enterprises_present": 13,
          "goods_sold": [{"category": "nông sản", "revenue_vnd": 300_000_000},
                         {"category": "dệt may", "revenue_vnd": 212_500_000, "note": "áo ấm"}],
          "note": "Đông người dân vùng biên đến mua sắm"}


class TestReportSession:
    async def test_records_once_announces_and_counts_in_the_summary(self, app, organizer):
        async with running_app(app) as client:
            pid, sid = await held_session(client, organizer)
            res = await client.post(f"/sessions/{sid}/report", json=REPORT, headers=organizer)
            twice = await client.post(f"/sessions/{sid}/report", json=REPORT, headers=organizer)
            public = await client.get(f"/sessions/{sid}/report")
            summary = (await client.get(f"/programmes/{pid}/summary")).json()
            rows = await staged_events(app)
        assert res.status_code == 201, res.text
        assert public.json() == res.json()
        assert_problem(twice, 409)
        last = rows[-1]
        assert EVENTS_BY_TYPE[last.event_type].event_name == "session.reported"
        assert json.loads(last.payload) == {
            "programme_id": pid, "session_id": sid, "visitors": 3500, "revenue_vnd": 812_500_000,
            "enterprises_present": 13, "commune_code": "00721", "goods_categories": ["nông sản", "dệt may"]}
        assert summary["sessions_held"] == summary["communes_covered"] == 1
        assert (summary["visitors"], summary["revenue_vnd"], summary["enterprises_present"]) == (3500, 812_500_000, 13)
        assert summary["revenue_by_category"] == {"dệt may": 212_500_000, "nông sản": 300_000_000}
        assert summary["sessions_to_target"] == 21

    async def test_refuses_a_session_not_yet_held_or_cancelled(self, app, organizer):
        async with running_app(app) as client:
            day = today_vn() + timedelta(2)  # early next year on 30 December: the programme follows the day
            pid = (await new_programme(client, organizer, year=day.year))["id"]
            later = (await client.post(f"/programmes/{pid}/sessions", headers=organizer, json={
                "commune_code": "00769", "site_name": "Chợ", "starts_on": day.isoformat(),
                "ends_on": day.isoformat(), "booth_quota": 30})).json()["id"]
            early = await client.post(f"/sessions/{later}/report", json=REPORT, headers=organizer)
            await client.post(f"/sessions/{later}/cancel", json={"reason": "mưa lũ"}, headers=organizer)
            cancelled = await client.post(f"/sessions/{later}/report", json=REPORT, headers=organizer)
        assert_problem(early, 409)
        assert early.json()["type"].endswith("session-not-held")
        assert_problem(cancelled, 409)

    @pytest.mark.parametrize(("overrides", "field"), [({"visitors": -1}, "visitors"),
                                                      ({"revenue_vnd": 1.5}, "revenue_vnd"),
                                                      ({"enterprises_present": "13"}, "enterprises_present"),
                                                      ({"goods_sold": [{"category": ""}]}, "goods_sold.0.category")])
    async def test_bad_reports_name_the_field(self, app, organizer, overrides, field):
        async with running_app(app) as client:
            _, sid = await held_session(client, organizer)
            res = await client.post(f"/sessions/{sid}/report", json={**REPORT, **overrides}, headers=organizer)
        assert_problem(res, 422, field)

    async def test_another_centre_gets_404_and_an_exhibitor_403(self, app, organizer):
        async with running_app(app) as client:
            _, sid = await held_session(client, organizer)
            other = await client.post(f"/sessions/{sid}/report", json=REPORT,
                                      headers=token(app.state.settings, "organizer", centre_id="lc"))
            exhibitor = await client.post(f"/sessions/{sid}/report", json=REPORT,
                                          headers=token(app.state.settings, "exhibitor", exhibitor_id="e1"))
            missing = await client.get(f"/sessions/{sid}/report")
        assert_problem(other, 404)
        assert_problem(exhibitor, 403)
        assert_problem(missing, 404)


class TestCalendarFeed:
    async def test_a_feed_parses_and_marks_cancelled_sessions(self, app, organizer):
        async with running_app(app) as client:
            pid, sid = await held_session(client, organizer)
            later = today_vn()  # the same day at another commune: no year boundary to cross on 31 December
            other = (await client.post(f"/programmes/{pid}/sessions", headers=organizer, json={
                "commune_code": "00769", "site_name": "Chợ phiên Mèo Vạc", "starts_on": later.isoformat(),
                "ends_on": later.isoformat(), "booth_quota": 40})).json()["id"]
            await client.post(f"/sessions/{other}/cancel", json={"reason": "mưa lũ"}, headers=organizer)
            res = await client.get(f"/programmes/{pid}/calendar.ics")
            one = await client.get(f"/programmes/{pid}/calendar.ics", params={"commune_code": "00769"})
            sites = await client.post(f"/programmes/{pid}/sites", headers=organizer,
                                      json={"commune_code": "00721", "capacity_booths": 30})
            by_site = await client.get(f"/sites/{sites.json()['id']}/calendar.ics")
            bad = await client.get(f"/programmes/{pid}/calendar.ics", params={"commune_code": "x"})
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/calendar")
        events = {str(e["uid"]): e for e in Calendar.from_ical(res.content).walk("VEVENT")}
        first, second = events[f"{sid}@markets.hangviet.vn"], events[f"{other}@markets.hangviet.vn"]
        assert first["status"] == "CONFIRMED" and second["status"] == "CANCELLED"
        assert first.decoded("dtstart") == today_vn()
        assert first.decoded("dtend") == today_vn() + timedelta(1)
        assert "Xã Đồng Văn" in str(first["summary"])
        assert "Tuyên Quang" in str(first["location"])
        assert int(second["sequence"]) == 1  # scheduled, then cancelled
        assert [str(e["uid"]) for e in Calendar.from_ical(one.content).walk("VEVENT")] == [
            f"{other}@markets.hangviet.vn"]
        assert [str(e["uid"]) for e in Calendar.from_ical(by_site.content).walk("VEVENT")] == [
            f"{sid}@markets.hangviet.vn"]
        assert_problem(bad, 422, "commune_code")

    async def test_an_unknown_programme_has_no_feed(self, app):
        async with running_app(app) as client:
            res = await client.get("/programmes/nope/calendar.ics")
        assert_problem(res, 404)
