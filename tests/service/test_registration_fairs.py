"""Fairs: every field of a fair, the lifecycle with its events, changes, cancellation, search, and who sees what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.registration.service.fairs import close_due_fairs
from tests.conftest import running_app
from tests.service.test_registration_support import (
    create_fair,
    make_app,
    names,
    new_exhibitor,
    open_fair,
    organizer,
    outbox,
    register,
)

RULES = {"kinds": ["cooperative", "household"], "cscnnt_only": True, "home_provinces": ["Hà Giang", "Lào Cai"]}


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


class TestCreate:
    async def test_keeps_every_field_of_the_issue(self, app):
        async with running_app(app) as client:
            fair = await create_fair(client, organizer(app), kind="cnnt_showcase", venue_commune_code="Đồng Văn",
                                     sectors=["Chè", "Thủ công mỹ nghệ"], zones=["A", "B"], eligibility=RULES,
                                     allocation_mode="exhibitor_picks",
                                     cancellation_deadline="2027-01-10T10:00:00+07:00",
                                     priority_policy={"cscnnt_points": 20, "difficult_communes": ["00721"]})
        assert fair["status"] == "draft" and fair["centre_id"] == "tq"
        assert fair["venue_commune_code"] == "00721"
        assert fair["eligibility"] == {"kinds": ["cooperative", "household"], "cscnnt_only": True,
                                       "home_provinces": ["08", "15"]}
        assert fair["allocation_mode"] == "exhibitor_picks" and fair["zones"] == ["A", "B"]
        assert fair["cancellation_deadline"] == "2027-01-10T03:00:00Z"
        assert fair["priority_policy"]["cscnnt_points"] == 20
        assert fair["priority_policy"]["recognition_points"] == {"national": 30, "regional": 20, "provincial": 10}

    async def test_a_draft_is_announced_to_nobody(self, app):
        async with running_app(app) as client:
            await create_fair(client, organizer(app))
        assert await names(app) == []


class TestLifecycle:
    async def test_each_move_is_announced(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            for step in ("close", "reopen", "close", "start", "finish"):
                res = await client.post(f"/fairs/{fair['id']}/{step}", headers=org)
                assert res.status_code == 200, (step, res.text)
            await app.state.runtime.relay.flush()
        events = await outbox(app)
        assert [n for n, _ in events] == ["fair.published", "fair.closed", "fair.updated", "fair.closed",
                                          "fair.updated", "fair.updated"]
        assert [p.get("status") for n, p in events if n == "fair.updated"] == ["open", "running", "finished"]
        assert events[0][1]["status"] == "open"

    async def test_refuses_a_move_the_state_machine_forbids(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            start = await client.post(f"/fairs/{fair['id']}/start", headers=org)
            publish_again = await client.post(f"/fairs/{fair['id']}/publish", headers=org)
            state = (await client.get(f"/fairs/{fair['id']}")).json()["status"]
        assert start.status_code == 409 and start.json()["type"].endswith("invalid-transition")
        assert publish_again.status_code == 409
        assert state == "open"

    async def test_closes_fairs_whose_window_ended(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            assert await close_due_fairs(db=app.state.runtime.db) == []
            later = datetime.now(UTC) + timedelta(days=31)
            assert await close_due_fairs(db=app.state.runtime.db, now=later) == [fair["id"]]
            state = (await client.get(f"/fairs/{fair['id']}")).json()["status"]
            log = (await client.get(f"/fairs/{fair['id']}/audit", headers=org)).json()["data"]
        assert state == "closed"
        assert await names(app) == ["fair.published", "fair.closed"]
        assert log[-1]["actor_role"] == "system" and log[-1]["action"] == "fair.closed"


class TestUpdate:
    async def test_a_published_fair_announces_its_new_state_and_the_audit_says_what_changed(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            res = await client.patch(f"/fairs/{fair['id']}", json={"booth_price_vnd": 4_500_000, "zones": ["A"]},
                                     headers=org)
            log = (await client.get(f"/fairs/{fair['id']}/audit", headers=org)).json()["data"]
        assert res.status_code == 200 and res.json()["booth_price_vnd"] == 4_500_000
        events = await outbox(app)
        assert events[-1][0] == "fair.updated" and events[-1][1]["booth_price_vnd"] == 4_500_000
        assert log[-1]["changes"]["booth_price_vnd"] == [5_000_000, 4_500_000]

    async def test_capacity_cannot_fall_below_the_approved_booths(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, capacity_booths=5)
            headers, _ = await new_exhibitor(client, app)
            reg = await register(client, fair["id"], headers, 3)
            await client.post(f"/registrations/{reg['id']}/approve", headers=org)
            res = await client.patch(f"/fairs/{fair['id']}", json={"capacity_booths": 2}, headers=org)
            after = (await client.get(f"/fairs/{fair['id']}")).json()
        assert res.status_code == 422 and res.json()["errors"][0]["field"] == "capacity_booths"
        assert after["capacity_booths"] == 5 and after["approved_booths"] == 3

    async def test_more_capacity_promotes_the_waitlist(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, capacity_booths=2, max_booths_per_exhibitor=2)
            regs = []
            for _ in range(2):
                headers, _ = await new_exhibitor(client, app)
                regs.append(await register(client, fair["id"], headers, 2))
            await client.post(f"/fairs/{fair['id']}/registrations/approve",
                              json={"registration_ids": [r["id"] for r in regs]}, headers=org)
            await client.patch(f"/fairs/{fair['id']}", json={"capacity_booths": 4}, headers=org)
            statuses = {r["id"]: (await client.get(f"/registrations/{r['id']}", headers=org)).json()["status"]
                        for r in regs}
        assert set(statuses.values()) == {"approved"}
        approvals = [p for n, p in await outbox(app) if n == "registration.approved"]
        assert [p["promoted"] for p in approvals] == [False, True]

    async def test_a_finished_fair_cannot_be_changed(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            for step in ("close", "start", "finish"):
                await client.post(f"/fairs/{fair['id']}/{step}", headers=org)
            res = await client.patch(f"/fairs/{fair['id']}", json={"name": "Đổi tên"}, headers=org)
        assert res.status_code == 409 and res.json()["type"].endswith("fair-not-editable")


class TestCancel:
    async def test_cancels_the_fair_then_each_live_registration(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, capacity_booths=2, max_booths_per_exhibitor=2)
            regs = []
            for _ in range(3):
                headers, _ = await new_exhibitor(client, app)
                regs.append(await register(client, fair["id"], headers, 2))
            await client.post(f"/registrations/{regs[0]['id']}/approve", headers=org)
            await client.post(f"/registrations/{regs[1]['id']}/approve", headers=org)
            await client.post(f"/registrations/{regs[2]['id']}/reject", json={"reason": "Hồ sơ thiếu"}, headers=org)
            res = await client.post(f"/fairs/{fair['id']}/cancel", json={"reason": "Bão số 3"}, headers=org)
            statuses = [(await client.get(f"/registrations/{r['id']}", headers=org)).json() for r in regs]
        assert res.status_code == 200 and res.json()["status"] == "cancelled"
        assert res.json()["cancel_reason"] == "Bão số 3"
        assert [(s["status"], s["cancel_reason"]) for s in statuses] == [
            ("cancelled", "fair_cancelled"), ("cancelled", "fair_cancelled"), ("rejected", None)]
        events = await outbox(app)
        tail = [(n, p.get("reason"), p.get("was_approved")) for n, p in events[-3:]]
        assert tail == [("fair.cancelled", "Bão số 3", None), ("registration.cancelled", "fair_cancelled", True),
                        ("registration.cancelled", "fair_cancelled", False)]
        assert not any(n == "registration.approved" for n, _ in events[-3:])  # no promotion into a cancelled fair

    async def test_a_cancelled_draft_sends_nothing(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await create_fair(client, org)
            res = await client.post(f"/fairs/{fair['id']}/cancel", json={"reason": "Trùng lịch"}, headers=org)
        assert res.json()["status"] == "cancelled"
        assert await names(app) == []


class TestFind:
    async def test_finds_fairs_without_diacritics(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            await open_fair(client, org, name="Hội chợ Hoà Bình 2027", province_code="Hòa Bình")
            await open_fair(client, org, name="Hội chợ Cà phê Buôn Ma Thuột", province_code="Đắk Lắk")
            hoa_binh = (await client.get("/fairs", params={"q": "hoa binh"})).json()
            dak_lak = (await client.get("/fairs", params={"q": "dak lak"})).json()
            ha_giang = (await client.get("/fairs", params={"q": "ha giang"})).json()
        assert [f["name"] for f in hoa_binh["data"]] == ["Hội chợ Hoà Bình 2027"]
        assert [f["name"] for f in dak_lak["data"]] == ["Hội chợ Cà phê Buôn Ma Thuột"]
        assert ha_giang["count"] == 0  # Hòa Bình is now Phú Thọ; Đắk Lắk kept its name

    async def test_finds_a_fair_by_its_province_or_a_former_one_typed_without_diacritics(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            # neither the name nor the venue names a province: only the fair's place can match
            highland = await open_fair(client, org, name="Hội chợ Đặc sản vùng cao", venue="Sân vận động Đồng Văn",
                                       province_code="08")
            await open_fair(client, org, name="Hội chợ Cà phê Buôn Ma Thuột", province_code="Đắk Lắk",
                            venue="Buôn Ma Thuột")
            found = {q: [f["id"] for f in (await client.get("/fairs", params={"q": q})).json()["data"]]
                     for q in ("ha giang", "tuyen quang", "TUYEN  Quang", "Hà Giang", "dac san ha giang",
                               "ha giang ca phe")}
        assert found == {"ha giang": [highland["id"]], "tuyen quang": [highland["id"]],
                         "TUYEN  Quang": [highland["id"]], "Hà Giang": [highland["id"]],
                         "dac san ha giang": [highland["id"]], "ha giang ca phe": []}

    async def test_drafts_are_seen_only_by_their_centre(self, app):
        async with running_app(app) as client:
            draft = await create_fair(client, organizer(app))
            own = await client.get(f"/fairs/{draft['id']}", headers=organizer(app))
            other = await client.get(f"/fairs/{draft['id']}", headers=organizer(app, "hg"))
            anonymous = await client.get(f"/fairs/{draft['id']}")
            own_list = (await client.get("/fairs", params={"mine": "true"}, headers=organizer(app))).json()
            public = (await client.get("/fairs")).json()
        assert own.status_code == 200
        assert other.status_code == 404 and anonymous.status_code == 404
        assert [f["id"] for f in own_list["data"]] == [draft["id"]]
        assert public["count"] == 0

    async def test_another_centre_cannot_change_move_cancel_or_audit_the_fair(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app))
            other = organizer(app, "hg")
            answers = [
                await client.patch(f"/fairs/{fair['id']}", json={"name": "X"}, headers=other),
                await client.post(f"/fairs/{fair['id']}/close", headers=other),
                await client.post(f"/fairs/{fair['id']}/cancel", json={"reason": "x"}, headers=other),
                await client.get(f"/fairs/{fair['id']}/audit", headers=other),
                await client.get(f"/fairs/{fair['id']}/registrations", headers=other),
                await client.get(f"/fairs/{fair['id']}/registrations.xlsx", headers=other),
            ]
            after = (await client.get(f"/fairs/{fair['id']}")).json()
        assert [a.status_code for a in answers] == [404] * 6
        assert after["name"] == fair["name"] and after["status"] == "open"


class TestAuditLog:
    async def test_the_database_refuses_to_rewrite_or_erase_it(self, app):
        async with running_app(app) as client:
            await create_fair(client, organizer(app))
        db = app.state.runtime.db
        for statement in ("UPDATE audit_log SET reason = 'rewritten'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with db.transaction() as session:
                    await session.exec(text(statement))
        async with db.sessions() as session:
            assert (await session.exec(text("SELECT count(*) FROM audit_log"))).one()[0] == 1
