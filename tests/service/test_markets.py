"""The markets service in memory (FastStream's test broker) on a real database file."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import pytest
from sqlmodel import func, select

from services.markets.app import create_app
from services.markets.models import MarketSession, Programme
from shared.contracts import EVENTS_BY_TYPE
from shared.outbox import OutboxMessage
from tests.conftest import running_app, token

# Next year, so every session is still ahead and can be cancelled whatever day the tests run.
YEAR = date.today().year + 1
DONG_VAN, MEO_VAC, LUNG_CU = "00721", "00769", "00715"  # communes of Tuyên Quang (08), formerly Hà Giang
BAT_XAT = "02683"  # a commune of Lào Cai (15)


def programme_body(**overrides: Any) -> dict[str, Any]:
    """A year of market sessions in old Hà Giang, now Tuyên Quang (22 sessions there in 2014)."""
    body: dict[str, Any] = {
        "name": f"Đưa hàng Việt về miền núi, biên giới {YEAR}", "year": YEAR, "province_code": "Hà Giang",
        "target_sessions": 22, "session_days": 3, "booth_quota": 40, "enterprise_quota": 12,
        "budget_vnd": 1_800_000_000,
    }
    body.update(overrides)
    return body


def session_body(commune_code: str = DONG_VAN, start: str = "03-01", end: str = "03-03",
                 **overrides: Any) -> dict[str, Any]:
    """A three-day session at a commune's market."""
    body: dict[str, Any] = {"commune_code": commune_code, "site_name": "Chợ trung tâm xã",
                            "starts_on": f"{YEAR}-{start}", "ends_on": f"{YEAR}-{end}", "booth_quota": 40}
    body.update(overrides)
    return body


@pytest.fixture
def app(settings_for):
    return create_app(settings_for("markets"))


@pytest.fixture
def organizer(app) -> dict[str, str]:
    return token(app.state.settings, "organizer", centre_id="tq", subject="can-bo-tq")


# Every database read happens while the app still runs: stopping it cancels the outbox relay, which on
# SQLite can leave a connection holding the write lock (see the markets report on shared/runtime.py).
async def staged_events(app) -> list[OutboxMessage]:
    async with app.state.runtime.db.sessions() as session:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def count(app, model) -> int:
    async with app.state.runtime.db.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def new_programme(client, headers, **overrides) -> dict[str, Any]:
    res = await client.post("/programmes", json=programme_body(**overrides), headers=headers)
    assert res.status_code == 201, res.text
    return res.json()


def assert_problem(res, status: int, field: str | None = None) -> None:
    assert res.status_code == status, res.text
    assert res.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert field in [e["field"] for e in res.json().get("errors", [])], res.text


class TestCreateProgramme:
    async def test_creates_for_the_token_centre_mapping_an_old_province_name(self, app, organizer):
        async with running_app(app) as client:
            programme = await new_programme(client, organizer)
            await app.state.runtime.relay.flush()
            rows = await staged_events(app)
        assert programme["centre_id"] == "tq"
        assert programme["province_code"] == "08"
        assert programme["province_name"] == "Tuyên Quang"
        [row] = rows
        assert row.key == programme["id"]
        assert row.sent_at is not None
        assert json.loads(row.payload) == {
            "programme_id": programme["id"], "centre_id": "tq", "name": programme_body()["name"], "year": YEAR,
            "province_code": "08", "target_sessions": 22}

    async def test_refuses_the_same_name_twice_in_a_year(self, app, organizer):
        async with running_app(app) as client:
            await new_programme(client, organizer)
            res = await client.post("/programmes", json=programme_body(), headers=organizer)
            assert await count(app, Programme) == 1
        assert_problem(res, 409, "name")

    @pytest.mark.parametrize("role", ["exhibitor", "regional"])
    async def test_other_roles_are_forbidden(self, app, role):
        async with running_app(app) as client:
            res = await client.post("/programmes", json=programme_body(),
                                    headers=token(app.state.settings, role, exhibitor_id="e1", region="north"))
        assert_problem(res, 403)

    async def test_the_public_must_sign_in(self, app):
        async with running_app(app) as client:
            res = await client.post("/programmes", json=programme_body())
        assert_problem(res, 401)


class TestScheduleSessions:
    async def test_three_sessions_are_announced_in_order_keyed_by_the_programme(self, app, organizer):
        async with running_app(app) as client:
            programme = await new_programme(client, organizer)
            pid = programme["id"]
            created = []
            for body in (session_body(DONG_VAN), session_body(MEO_VAC, "03-02", "03-04"),
                         session_body(DONG_VAN, "03-08", "03-10")):
                res = await client.post(f"/programmes/{pid}/sessions", json=body, headers=organizer)
                assert res.status_code == 201, res.text
                created.append(res.json())
            await app.state.runtime.relay.flush()
            detail = (await client.get(f"/programmes/{pid}")).json()
            rows = await staged_events(app)
        assert [EVENTS_BY_TYPE[r.event_type].event_name for r in rows] == [
            "programme.created", "session.scheduled", "session.scheduled", "session.scheduled"]
        assert {r.key for r in rows} == {pid}
        assert all(r.sent_at is not None for r in rows)
        assert [json.loads(r.payload)["session_id"] for r in rows[1:]] == [s["id"] for s in created]
        assert json.loads(rows[1].payload)["province_code"] == "08"
        assert created[0]["commune_name"] == "Xã Đồng Văn"
        assert [s["id"] for s in detail["sessions"]] == [created[0]["id"], created[1]["id"], created[2]["id"]]
        assert detail["summary"] == {"sessions_scheduled": 3, "sessions_cancelled": 0, "communes_covered": 2,
                                     "booths_planned": 120, "sessions_to_target": 19}

    async def test_refuses_overlapping_days_at_the_same_commune(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            first = await client.post(f"/programmes/{pid}/sessions", json=session_body(), headers=organizer)
            res = await client.post(f"/programmes/{pid}/sessions", json=session_body(start="03-03", end="03-05"),
                                    headers=organizer)
            assert await count(app, MarketSession) == 1
            assert len(await staged_events(app)) == 2
        assert first.status_code == 201
        assert_problem(res, 409)
        assert res.json()["type"].endswith("session-overlap")

    async def test_refuses_an_overlap_with_another_programme_at_the_commune(self, app, organizer):
        async with running_app(app) as client:
            one = (await new_programme(client, organizer))["id"]
            two = (await new_programme(client, organizer, name="Chương trình bổ sung"))["id"]
            await client.post(f"/programmes/{one}/sessions", json=session_body(), headers=organizer)
            res = await client.post(f"/programmes/{two}/sessions", json=session_body(), headers=organizer)
        assert_problem(res, 409)

    async def test_refuses_a_commune_of_another_province(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/sessions", json=session_body(BAT_XAT), headers=organizer)
            assert await count(app, MarketSession) == 0
        assert_problem(res, 422, "commune_code")

    async def test_refuses_an_unknown_commune(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/sessions", json=session_body("99999"), headers=organizer)
        assert_problem(res, 422, "commune_code")

    @pytest.mark.parametrize(("start", "end", "field"), [
        ("03-05", "03-03", "ends_on"),  # ends before it starts
        ("03-01", "03-08", "ends_on"),  # eight days
    ])
    async def test_refuses_impossible_dates(self, app, organizer, start, end, field):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/sessions", json=session_body(start=start, end=end),
                                    headers=organizer)
        assert_problem(res, 422, field)

    async def test_refuses_dates_outside_the_programme_year(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/sessions", headers=organizer, json=session_body(
                starts_on=f"{YEAR - 1}-12-30", ends_on=f"{YEAR}-01-01"))
        assert_problem(res, 422, "starts_on")

    async def test_an_unknown_programme_is_not_found(self, app, organizer):
        async with running_app(app) as client:
            res = await client.post("/programmes/nope/sessions", json=session_body(), headers=organizer)
            read = await client.get("/programmes/nope")
        assert_problem(res, 404)
        assert_problem(read, 404)

    async def test_another_centre_cannot_schedule_or_cancel(self, app, organizer):
        other = token(app.state.settings, "organizer", centre_id="lc")
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            sid = (await client.post(f"/programmes/{pid}/sessions", json=session_body(),
                                     headers=organizer)).json()["id"]
            schedule = await client.post(f"/programmes/{pid}/sessions", json=session_body(MEO_VAC), headers=other)
            cancel = await client.post(f"/sessions/{sid}/cancel", json={"reason": "x"}, headers=other)
            assert await count(app, MarketSession) == 1
        assert_problem(schedule, 404)
        assert_problem(cancel, 404)


class TestBadInput:
    @pytest.mark.parametrize(("overrides", "field"), [
        ({"booth_quota": -5}, "booth_quota"),
        ({"enterprise_quota": "12"}, "enterprise_quota"),
        ({"target_sessions": True}, "target_sessions"),
        ({"session_days": 2}, "session_days"),
        ({"budget_vnd": -1}, "budget_vnd"),
        ({"year": "next"}, "year"),
        ({"name": "x" * 301}, "name"),
        ({"name": "   "}, "name"),
        ({"province_code": "Atlantis"}, "province_code"),
        ({"province_code": "q" * 101}, "province_code"),
        ({"centre_id": "someone-else"}, "centre_id"),
    ])
    async def test_a_bad_programme_names_the_field_and_stores_nothing(self, app, organizer, overrides, field):
        async with running_app(app) as client:
            res = await client.post("/programmes", json=programme_body(**overrides), headers=organizer)
            assert await count(app, Programme) == 0
            assert await staged_events(app) == []
        assert_problem(res, 422, field)

    @pytest.mark.parametrize(("overrides", "field"), [
        ({"booth_quota": -1}, "booth_quota"),
        ({"booth_quota": 0}, "booth_quota"),
        ({"booth_quota": 4.5}, "booth_quota"),
        ({"commune_code": "721"}, "commune_code"),
        ({"commune_code": 721}, "commune_code"),
        ({"site_name": "s" * 301}, "site_name"),
        ({"starts_on": 1_700_000_000}, "starts_on"),
        ({"ends_on": "next week"}, "ends_on"),
        ({"status": "cancelled"}, "status"),
    ])
    async def test_a_bad_session_names_the_field_and_stores_nothing(self, app, organizer, overrides, field):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/sessions", json=session_body(**overrides),
                                    headers=organizer)
            assert await count(app, MarketSession) == 0
            assert len(await staged_events(app)) == 1
        assert_problem(res, 422, field)

    async def test_an_oversized_reason_is_refused(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            sid = (await client.post(f"/programmes/{pid}/sessions", json=session_body(),
                                     headers=organizer)).json()["id"]
            res = await client.post(f"/sessions/{sid}/cancel", json={"reason": "r" * 501}, headers=organizer)
        assert_problem(res, 422, "reason")


class TestCancelSession:
    async def test_cancels_at_short_notice_and_frees_the_commune(self, app, organizer):
        reason = "Đồn Biên phòng tạm dừng tụ tập đông người trong vành đai biên giới"
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            sid = (await client.post(f"/programmes/{pid}/sessions", json=session_body(),
                                     headers=organizer)).json()["id"]
            res = await client.post(f"/sessions/{sid}/cancel", json={"reason": reason}, headers=organizer)
            again = await client.post(f"/sessions/{sid}/cancel", json={"reason": reason}, headers=organizer)
            public = (await client.get(f"/programmes/{pid}/sessions")).json()
            own = (await client.get(f"/programmes/{pid}", headers=organizer)).json()
            rebooked = await client.post(f"/programmes/{pid}/sessions", json=session_body(), headers=organizer)
            rows = await staged_events(app)
        assert res.status_code == 200, res.text
        assert res.json()["status"] == "cancelled"
        assert res.json()["cancel_reason"] == reason
        assert_problem(again, 409)
        assert public == {"data": [], "count": 0}
        assert [s["status"] for s in own["sessions"]] == ["cancelled"]
        assert own["summary"]["sessions_cancelled"] == 1
        assert rebooked.status_code == 201, rebooked.text
        names = [EVENTS_BY_TYPE[r.event_type].event_name for r in rows]
        assert names == ["programme.created", "session.scheduled", "session.cancelled", "session.scheduled"]
        assert json.loads(rows[2].payload) == {"programme_id": pid, "session_id": sid, "reason": reason}

    async def test_an_unknown_session_is_not_found(self, app, organizer):
        async with running_app(app) as client:
            res = await client.post("/sessions/nope/cancel", json={"reason": "x"}, headers=organizer)
        assert_problem(res, 404)

    async def test_an_exhibitor_cannot_cancel(self, app):
        async with running_app(app) as client:
            res = await client.post("/sessions/any/cancel", json={"reason": "x"},
                                    headers=token(app.state.settings, "exhibitor", exhibitor_id="e1"))
        assert_problem(res, 403)


class TestReadProgrammes:
    async def test_an_organizer_lists_its_centre_and_the_public_lists_all(self, app, organizer):
        other = token(app.state.settings, "organizer", centre_id="lc")
        async with running_app(app) as client:
            await new_programme(client, organizer)
            await new_programme(client, other, province_code="Yên Bái", name="Phiên chợ Lào Cai")
            own = (await client.get("/programmes", headers=organizer)).json()
            public = (await client.get("/programmes")).json()
            by_year = (await client.get("/programmes", params={"year": YEAR - 1})).json()
        assert [p["centre_id"] for p in own["data"]] == ["tq"]
        assert public["count"] == 2
        assert {p["province_code"] for p in public["data"]} == {"08", "15"}
        assert by_year["count"] == 0

    async def test_a_bad_token_is_refused_even_where_the_public_may_read(self, app):
        async with running_app(app) as client:
            res = await client.get("/programmes", headers={"Authorization": "Bearer not-a-token"})
        assert_problem(res, 401)

    async def test_the_asyncapi_document_names_the_topic(self, app):
        async with running_app(app) as client:
            doc = (await client.get("/asyncapi")).json()
        assert any("markets.events" in json.dumps(ch) for ch in doc["channels"].values())


class TestConcurrency:
    async def test_two_overlapping_sessions_at_once_book_the_commune_only_once(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            results = await asyncio.gather(*(
                client.post(f"/programmes/{pid}/sessions", json=session_body(start=f"03-0{day}", end=f"03-0{day + 2}"),
                            headers=organizer) for day in (1, 2, 3)))
            assert await count(app, MarketSession) == 1
        assert sorted(r.status_code for r in results) == [201, 409, 409]
