"""Proposals end to end in memory: the Hà Giang-like programme of the seeds, planned, edited, confirmed, re-planned.

Every plan the service returns is checked by the independent checker of tests/markets_checker.py, rebuilt
from the same inputs the test sent: the test never trusts the solver's own claim. After a re-plan the whole
resulting year (kept + moved + new sessions, and the sessions stored once it is confirmed) is checked.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from typing import Any

import pytest

from services.markets.domain.planning import Blackout, Pin
from services.markets.domain.scheduler import PlannedSession
from services.markets.domain.sessions import DateSpan
from services.markets.models import MarketSession, Proposal
from services.markets.service.proposals import SolverConfig
from shared.contracts import EVENTS_BY_TYPE
from tests.conftest import running_app, token
from tests.markets_checker import check_plan, ha_giang_sites, ha_giang_suppliers, problem_from
from tests.service.test_markets import (
    YEAR,
    assert_problem,
    count,
    new_programme,
    session_body,
    staged_events,
)

D = date.fromisoformat
PLANNING = {"target_sessions": 22, "session_days": 3, "booth_quota": 30, "enterprise_quota": 12,
            "max_concurrent": 2, "min_gap_days": 60, "min_enterprises": 6, "max_same_category": 4}


@pytest.fixture
def app(settings_for):
    from services.markets.app import create_app

    app = create_app(settings_for("markets"))
    app.state.solver = SolverConfig(time_limit_s=20, max_time_limit_s=30, workers=2)
    return app


@pytest.fixture
def organizer(app) -> dict[str, str]:
    return token(app.state.settings, "organizer", centre_id="tq", subject="can-bo-tq")


async def ha_giang(client, headers, *, suppliers: int = 30, **overrides: Any) -> tuple[str, list[dict[str, Any]]]:
    """The programme with its communes and suppliers; returns its id and the suppliers as created."""
    pid = (await new_programme(client, headers, **{**PLANNING, **overrides}))["id"]
    res = await client.post(f"/programmes/{pid}/sites/import", json={"sites": ha_giang_sites(YEAR)}, headers=headers)
    assert res.status_code == 201, res.text
    created = []
    for body in ha_giang_suppliers(YEAR, suppliers):
        r = await client.post(f"/programmes/{pid}/suppliers", json=body, headers=headers)
        assert r.status_code == 201, r.text
        created.append({**body, "id": r.json()["id"]})
    return pid, created


def planned(proposal: dict[str, Any], *actions: str) -> list[PlannedSession]:
    return [PlannedSession(i["commune_code"], DateSpan(D(i["starts_on"]), D(i["ends_on"])), i["pinned"],
                           tuple(s["id"] for s in i["suppliers"]))
            for i in proposal["items"] if i["action"] in actions]


def checked(proposal: dict[str, Any], suppliers: list[dict[str, Any]], *, pins: tuple[Pin, ...] = (),
            forbidden: tuple[str, ...] = (), **rules: Any) -> list[str]:
    """The checker's verdict on a first proposal's new sessions; pins are the ones the test asked for."""
    problem = problem_from(ha_giang_sites(YEAR), suppliers, YEAR, **{
        "sessions": PLANNING["target_sessions"], "max_concurrent": 2, "min_enterprises": 6, **rules})
    problem = dataclasses.replace(problem, pins=pins, rules=dataclasses.replace(problem.rules, blackouts=(
        *problem.rules.blackouts, *(Blackout(DateSpan(D(d), D(d)), "forbidden") for d in forbidden))))
    return check_plan(problem, planned(proposal, "new"))


def year_checked(sessions: list[PlannedSession], target: int, *,
                 site_blackouts: dict[str, list[dict[str, str]]] | None = None) -> list[str]:
    """The checker's verdict on a whole year after a re-plan, with the sites' blackouts as they now are.

    No session is booked or pinned here: kept, moved and new sessions all face the site gap, the teams'
    limit, market days and every blackout, as one plan of `target` sessions.
    """
    sites = [{**s, "blackouts": s["blackouts"] + (site_blackouts or {}).get(s["commune_code"], [])}
             for s in ha_giang_sites(YEAR)]
    problem = problem_from(sites, [], YEAR, sessions=target, max_concurrent=PLANNING["max_concurrent"],
                           min_gap_days=PLANNING["min_gap_days"], session_days=PLANNING["session_days"])
    return check_plan(problem, sessions)


def stored(public: dict[str, Any]) -> list[PlannedSession]:
    """The programme's scheduled sessions as the public list shows them."""
    return [PlannedSession(s["commune_code"], DateSpan(D(s["starts_on"]), D(s["ends_on"])))
            for s in public["data"] if s["status"] == "scheduled"]


def event_names(rows) -> list[str]:
    return [EVENTS_BY_TYPE[r.event_type].event_name for r in rows]


class TestHaGiangYear:
    async def test_plans_22_sessions_that_pass_the_independent_checker_then_confirms_them(self, app, organizer):
        async with running_app(app) as client:
            pid, suppliers = await ha_giang(client, organizer)
            res = await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)
            assert res.status_code == 201, res.text
            proposal = res.json()
            assert await count(app, MarketSession) == 0  # a draft announces nothing
            confirmed = await client.post(f"/proposals/{proposal['id']}/confirm", headers=organizer)
            public = (await client.get(f"/programmes/{pid}/sessions")).json()
            names = event_names(await staged_events(app))
            again = await client.post(f"/proposals/{proposal['id']}/confirm", headers=organizer)
        assert proposal["status"] == "draft"
        assert proposal["counts"] == {"new": 22, "keep": 0, "move": 0, "cancel": 0}
        assert checked(proposal, suppliers) == []
        assert proposal["solver"]["dates"]["status"] == "optimal"
        assert len({i["commune_code"] for i in proposal["items"]}) == 22
        assert all(i["site_name"].startswith("Chợ ") and i["commune_name"] for i in proposal["items"])
        assert confirmed.status_code == 200, confirmed.text
        assert len(confirmed.json()["scheduled"]) == 22
        assert confirmed.json()["proposal"]["status"] == "confirmed"
        assert public["count"] == 22
        assert names.count("session.scheduled") == 22
        enrolled = sum(len(i["suppliers"]) for i in proposal["items"])
        assert names.count("supplier.enrolled") == enrolled > 22
        assert_problem(again, 409)

    async def test_pinning_a_line_and_forbidding_a_date_solve_the_draft_again(self, app, organizer):
        async with running_app(app) as client:
            pid, suppliers = await ha_giang(client, organizer, suppliers=10)
            draft = (await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)).json()
            pinned = draft["items"][3]
            other = draft["items"][5]
            res = await client.patch(f"/proposals/{draft['id']}", headers=organizer, json={
                "pin": [pinned["id"]], "forbid_dates": [other["starts_on"]]})
            read = (await client.get(f"/proposals/{draft['id']}", headers=organizer)).json()
        assert res.status_code == 200, res.text
        edited = res.json()
        assert edited == read
        assert edited["forbidden_dates"] == [other["starts_on"]]
        same = [i for i in edited["items"] if i["pinned"]]
        assert [(i["commune_code"], i["starts_on"]) for i in same] == [(pinned["commune_code"], pinned["starts_on"])]
        forbidden = D(other["starts_on"])
        assert not any(D(i["starts_on"]) <= forbidden <= D(i["ends_on"]) for i in edited["items"])
        assert checked(edited, suppliers, pins=(Pin(pinned["commune_code"], D(pinned["starts_on"])),),
                       forbidden=(other["starts_on"],)) == []

    async def test_refuses_to_pin_an_unknown_line(self, app, organizer):
        async with running_app(app) as client:
            pid, _ = await ha_giang(client, organizer, suppliers=0, target_sessions=3)
            draft = (await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)).json()
            res = await client.patch(f"/proposals/{draft['id']}", json={"pin": ["nope"]}, headers=organizer)
        assert_problem(res, 422, "pin.0")


class TestReplanning:
    async def test_after_a_cancellation_keeps_the_confirmed_and_adds_one(self, app, organizer):
        async with running_app(app) as client:
            pid, _ = await ha_giang(client, organizer, suppliers=0, target_sessions=6)
            first = (await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)).json()
            sessions = (await client.post(f"/proposals/{first['id']}/confirm", headers=organizer)).json()["scheduled"]
            gone = sessions[2]
            await client.post(f"/sessions/{gone['id']}/cancel", headers=organizer,
                              json={"reason": "Đồn Biên phòng tạm dừng tụ tập đông người"})
            again = (await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)).json()
            done = (await client.post(f"/proposals/{again['id']}/confirm", headers=organizer)).json()
            public = (await client.get(f"/programmes/{pid}/sessions")).json()
        assert again["counts"] == {"new": 1, "keep": 5, "move": 0, "cancel": 0}
        kept = {i["session_id"] for i in again["items"] if i["action"] == "keep"}
        assert kept == {s["id"] for s in sessions} - {gone["id"]}
        assert len(done["scheduled"]) == 1 and done["rescheduled"] == done["cancelled"] == []
        assert public["count"] == 6
        assert year_checked(planned(again, "keep", "move", "new"), 6) == []
        assert year_checked(stored(public), 6) == []

    async def test_a_border_closure_moves_only_the_session_it_covers(self, app, organizer):
        async with running_app(app) as client:
            pid, _ = await ha_giang(client, organizer, suppliers=0, target_sessions=6)
            first = (await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)).json()
            sessions = (await client.post(f"/proposals/{first['id']}/confirm", headers=organizer)).json()["scheduled"]
            hit = sessions[1]
            sites = (await client.get(f"/programmes/{pid}/sites")).json()["data"]
            site = next(s for s in sites if s["commune_code"] == hit["commune_code"])
            closure = {"starts_on": hit["starts_on"], "ends_on": (D(hit["ends_on"]) + timedelta(30)).isoformat(),
                       "reason": "Biên phòng tạm dừng tụ tập"}
            await client.patch(f"/sites/{site['id']}", json={"blackouts": [*site["blackouts"], closure]},
                               headers=organizer)
            again = (await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)).json()
            done = (await client.post(f"/proposals/{again['id']}/confirm", headers=organizer)).json()
            rows = await staged_events(app)
            public = (await client.get(f"/programmes/{pid}/sessions")).json()
        assert again["counts"] == {"new": 0, "keep": 5, "move": 1, "cancel": 0}
        closed = {hit["commune_code"]: [closure]}
        assert year_checked(planned(again, "keep", "move", "new"), 6, site_blackouts=closed) == []
        assert year_checked(stored(public), 6, site_blackouts=closed) == []
        left = PlannedSession(hit["commune_code"], DateSpan(D(hit["starts_on"]), D(hit["ends_on"])))
        # The checker sees the closure: the session left where it was would break it.
        assert any("Biên phòng" in e for e in year_checked([*stored(public), left], 7, site_blackouts=closed))
        [move] = [i for i in again["items"] if i["action"] == "move"]
        assert move["session_id"] == hit["id"]
        assert "Biên phòng" in move["note"]
        assert [s["id"] for s in done["rescheduled"]] == [hit["id"]]
        moved = done["rescheduled"][0]
        assert (moved["commune_code"], moved["starts_on"]) != (hit["commune_code"], hit["starts_on"])
        assert event_names(rows)[-1] == "session.rescheduled"
        payload = json.loads(rows[-1].payload)
        assert payload["session_id"] == hit["id"] and payload["starts_on"] == moved["starts_on"]

    async def test_a_session_with_nowhere_to_go_is_cancelled(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer, target_sessions=1))["id"]
            site = (await client.post(f"/programmes/{pid}/sites", headers=organizer, json={
                "commune_code": "00721", "capacity_booths": 40,
                "market_day": {"kind": "weekday", "weekdays": [7]}})).json()
            first = (await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)).json()
            [only] = (await client.post(f"/proposals/{first['id']}/confirm", headers=organizer)).json()["scheduled"]
            await client.patch(f"/sites/{site['id']}", headers=organizer, json={"blackouts": [
                {"starts_on": f"{YEAR}-01-01", "ends_on": f"{YEAR}-12-31", "reason": "biên giới đóng cả năm"}]})
            again = await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)
            fewer = (await client.post(f"/programmes/{pid}/proposals", json={"allow_fewer": True},
                                       headers=organizer)).json()
            done = (await client.post(f"/proposals/{fewer['id']}/confirm", headers=organizer)).json()
            rows = await staged_events(app)
        assert_problem(again, 422)  # the one session cannot move anywhere: the calendar says why
        assert again.json()["blockers"][0]["constraint"] == "calendar"
        assert fewer["counts"] == {"new": 0, "keep": 0, "move": 0, "cancel": 1}
        assert fewer["items"][0]["session_id"] == only["id"]
        assert "biên giới đóng cả năm" in fewer["solver"]["warnings"][0]
        assert [s["id"] for s in done["cancelled"]] == [only["id"]]
        assert event_names(rows)[-1] == "session.cancelled"

    async def test_a_draft_built_on_other_sessions_is_stale(self, app, organizer):
        async with running_app(app) as client:
            pid, _ = await ha_giang(client, organizer, suppliers=0, target_sessions=3)
            draft = (await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)).json()
            manual = await client.post(f"/programmes/{pid}/sessions", headers=organizer,
                                       json=session_body("00700", start="11-10", end="11-12"))
            assert manual.status_code == 201, manual.text
            res = await client.post(f"/proposals/{draft['id']}/confirm", headers=organizer)
        assert_problem(res, 409)
        assert res.json()["type"].endswith("stale-proposal")


class TestFairSpread:
    async def test_a_capped_year_spreads_and_explains_each_commune(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer, **{**PLANNING, "target_sessions": 8,
                                                             "max_per_commune": 2}))["id"]
            sites = [s for s in ha_giang_sites(YEAR) if not s["blackouts"]][:4]
            res = await client.post(f"/programmes/{pid}/sites/import", json={"sites": sites}, headers=organizer)
            assert res.status_code == 201, res.text
            draft = await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)
            over = await client.patch(f"/programmes/{pid}", headers=organizer, json={"max_per_commune": 1})
            capped = await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)
        assert draft.status_code == 201, draft.text
        counts: dict[str, int] = {}
        for item in draft.json()["items"]:
            counts[item["commune_code"]] = counts.get(item["commune_code"], 0) + 1
        assert sorted(counts.values()) == [2, 2, 2, 2]
        communes = draft.json()["solver"]["communes"]
        assert {c["site"] for c in communes} == {s["commune_code"] for s in sites}
        assert all(c["new"] == 2 and "cap of 2 a year" in c["why"] for c in communes)
        assert all(c["name"].startswith("Chợ ") for c in communes)
        assert over.status_code == 200
        assert_problem(capped, 422)
        assert [b["constraint"] for b in capped.json()["blockers"]] == ["cap"]
        assert capped.json()["max_sessions"] == 4


class TestInfeasible:
    async def test_more_sessions_than_one_commune_allows_names_the_gap_and_stores_nothing(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer, target_sessions=10, min_gap_days=60))["id"]
            await client.post(f"/programmes/{pid}/sites", headers=organizer, json={
                "commune_code": "00721", "capacity_booths": 40, "market_day": {"kind": "weekday", "weekdays": [7]}})
            res = await client.post(f"/programmes/{pid}/proposals", json={"time_limit_s": 5}, headers=organizer)
            stored = await count(app, Proposal)
        assert_problem(res, 422)
        body = res.json()
        assert body["type"].endswith("schedule-infeasible")
        assert [b["constraint"] for b in body["blockers"]] == ["site-gap"]
        assert body["max_sessions"] == 6 and body["target"] == 10
        assert "60 days" in body["detail"]
        assert stored == 0

    async def test_a_programme_without_sites_is_told_it_has_no_sites(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)
        assert_problem(res, 422)
        assert [b["constraint"] for b in res.json()["blockers"]] == ["no-sites"]
        assert res.json()["detail"].startswith("Chương trình chưa có địa điểm")
        assert "the programme has no sites" in res.json()["detail"]
        assert res.json()["max_sessions"] == 0

    async def test_a_commune_closed_all_year_is_named_with_its_blackout(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer, target_sessions=2))["id"]
            site = await client.post(f"/programmes/{pid}/sites", headers=organizer, json={
                "commune_code": "00721", "capacity_booths": 40, "market_day": {"kind": "weekday", "weekdays": [7]},
                "blackouts": [{"starts_on": f"{YEAR}-01-01", "ends_on": f"{YEAR}-12-31",
                               "reason": "đồn biên phòng tạm dừng họp chợ"}]})
            assert site.status_code == 201, site.text
            res = await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)
        assert_problem(res, 422)
        detail = res.json()["detail"]
        assert "no site has a single possible session date" in detail
        assert "(00721)" in detail and "đồn biên phòng tạm dừng họp chợ" in detail

    @pytest.mark.parametrize(("body", "field"), [({"time_limit_s": 0}, "time_limit_s"),
                                                 ({"time_limit_s": "5"}, "time_limit_s"),
                                                 ({"forbidden_dates": ["soon"]}, "forbidden_dates.0"),
                                                 ({"pin": []}, "pin")])
    async def test_bad_requests_name_the_field(self, app, organizer, body, field):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/proposals", json=body, headers=organizer)
        assert_problem(res, 422, field)


class TestAccess:
    async def test_another_centre_sees_nothing_and_an_exhibitor_is_refused(self, app, organizer):
        async with running_app(app) as client:
            pid, _ = await ha_giang(client, organizer, suppliers=0, target_sessions=2)
            draft = (await client.post(f"/programmes/{pid}/proposals", json={}, headers=organizer)).json()
            other = token(app.state.settings, "organizer", centre_id="lc")
            exhibitor = token(app.state.settings, "exhibitor", exhibitor_id="e1")
            results = [await client.get(f"/proposals/{draft['id']}", headers=other),
                       await client.post(f"/proposals/{draft['id']}/confirm", headers=other),
                       await client.post(f"/programmes/{pid}/proposals", json={}, headers=other),
                       await client.get(f"/proposals/{draft['id']}", headers=exhibitor),
                       await client.get(f"/proposals/{draft['id']}")]
            listed = (await client.get(f"/programmes/{pid}/proposals", headers=organizer)).json()
            discarded = await client.delete(f"/proposals/{draft['id']}", headers=organizer)
            late = await client.post(f"/proposals/{draft['id']}/confirm", headers=organizer)
        assert [r.status_code for r in results] == [404, 404, 404, 403, 401]
        assert listed["count"] == 1 and listed["data"][0]["status"] == "draft"
        assert discarded.status_code == 204
        assert_problem(late, 409)
