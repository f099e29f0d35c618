"""The registration workflow: who may register, priority with reasons, decisions, waitlist and promotions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from faststream.kafka.annotations import KafkaMessage

from shared.contracts.billing import InvoiceOverdue
from tests.conftest import running_app, unique
from tests.service.test_registration_support import (
    deliver,
    exhibitor_headers,
    make_app,
    names,
    new_exhibitor,
    open_fair,
    organizer,
    outbox,
    register,
)

NATIONAL_TEA = [{"name": "Chè Shan tuyết", "group": "agro_food",
                 "recognition": {"level": "national", "certificate_no": "88/QĐ-BCT", "year": 2024}}]

YEN_MINH = "00820"  # a commune no test policy lists as difficult


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


async def status_of(client, app, registration_id: str) -> dict:
    return (await client.get(f"/registrations/{registration_id}", headers=organizer(app))).json()


class TestSubmit:
    async def test_scores_by_the_fairs_policy_and_keeps_every_reason(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app), sectors=["Chè", "Mật ong"],
                                   priority_policy={"difficult_communes": ["00721"], "priority_sectors": ["Chè"]})
            headers, _ = await new_exhibitor(client, app, commune_code="00721", products=NATIONAL_TEA)
            reg = await register(client, fair["id"], headers, 2, sector="che", products=["Chè Shan tuyết"])
        assert reg["sector"] == "Chè"  # the fair's own spelling
        codes = {r["code"]: r["points"] for r in reg["priority_reasons"]}
        assert {"cnnt_national": 30, "cscnnt": 10, "difficult_commune": 15, "priority_sector": 10}.items() <= \
            codes.items()
        assert reg["priority_score"] == sum(codes.values())
        submitted = next(p for n, p in await outbox(app) if n == "registration.submitted")
        assert submitted["priority_score"] == reg["priority_score"]

    async def test_refuses_when_the_window_has_not_opened(self, app):
        now = datetime.now(UTC)
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app), registration_opens_at=(now + timedelta(days=1)).isoformat())
            headers, _ = await new_exhibitor(client, app)
            res = await client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 1},
                                    headers=headers)
        assert res.status_code == 409 and res.json()["type"].endswith("window-closed")

    async def test_refuses_when_registration_is_closed(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            await client.post(f"/fairs/{fair['id']}/close", headers=org)
            headers, _ = await new_exhibitor(client, app)
            res = await client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 1},
                                    headers=headers)
        assert res.status_code == 409 and res.json()["type"].endswith("fair-not-open")

    async def test_refuses_an_ineligible_exhibitor_saying_why(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app), eligibility={
                "kinds": ["household"], "cscnnt_only": True, "home_provinces": ["Lào Cai"]})
            headers, _ = await new_exhibitor(client, app, kind="enterprise", is_cscnnt=False)
            res = await client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 1},
                                    headers=headers)
        assert res.status_code == 409 and res.json()["type"].endswith("not-eligible")
        assert "enterprise" in res.json()["title"] and "15" in res.json()["title"]
        assert await names(app) == ["fair.published"]

    async def test_refuses_more_booths_than_the_fair_allows_naming_the_field(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app), max_booths_per_exhibitor=2)
            headers, _ = await new_exhibitor(client, app)
            res = await client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 3},
                                    headers=headers)
        assert res.status_code == 422 and res.json()["errors"][0]["field"] == "booths_requested"

    async def test_refuses_a_sector_the_fair_does_not_have(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app), sectors=["Chè"])
            headers, _ = await new_exhibitor(client, app)
            res = await client.post(f"/fairs/{fair['id']}/registrations",
                                    json={"booths_requested": 1, "sector": "Ô tô"}, headers=headers)
        assert res.status_code == 422 and res.json()["errors"][0]["field"] == "sector"

    async def test_needs_a_profile_first(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app))
            res = await client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 1},
                                    headers=exhibitor_headers(app, unique("ex-")))
        assert res.status_code == 409 and res.json()["type"].endswith("no-profile")


class TestDecide:
    async def test_bulk_approval_goes_best_first_and_waitlists_the_rest_in_policy_order(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, capacity_booths=4, max_booths_per_exhibitor=2)
            plain = [await register(client, fair["id"], (await new_exhibitor(client, app, is_cscnnt=False))[0], 2)
                     for _ in range(2)]
            best = await register(client, fair["id"],
                                  (await new_exhibitor(client, app, products=NATIONAL_TEA))[0], 2)
            res = await client.post(f"/fairs/{fair['id']}/registrations/approve", headers=org,
                                    json={"registration_ids": [r["id"] for r in [*plain, best]]})
            waitlist = (await client.get(f"/fairs/{fair['id']}/waitlist", headers=org)).json()
        assert res.status_code == 200, res.text
        outcome = {r["id"]: r["status"] for r in res.json()["data"]}
        assert [r["waitlist_position"] for r in res.json()["data"]] == [None, 1, None]
        assert outcome == {best["id"]: "approved", plain[0]["id"]: "approved", plain[1]["id"]: "waitlisted"}
        assert [(r["id"], r["waitlist_position"]) for r in waitlist["data"]] == [(plain[1]["id"], 1)]
        waitlisted = [p for n, p in await outbox(app) if n == "registration.waitlisted"]
        assert [(p["registration_id"], p["position"]) for p in waitlisted] == [(plain[1]["id"], 1)]

    async def test_bulk_approval_is_all_or_nothing(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            reg = await register(client, fair["id"], (await new_exhibitor(client, app))[0])
            res = await client.post(f"/fairs/{fair['id']}/registrations/approve", headers=org,
                                    json={"registration_ids": [reg["id"], "nope"]})
            after = await status_of(client, app, reg["id"])
        assert res.status_code == 404 and res.json()["errors"][0]["field"] == "registration_ids.1"
        assert after["status"] == "submitted"

    async def test_rejects_with_a_reason_one_or_many(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            regs = [await register(client, fair["id"], (await new_exhibitor(client, app))[0]) for _ in range(3)]
            one = await client.post(f"/registrations/{regs[0]['id']}/reject", json={"reason": "Sai ngành hàng"},
                                    headers=org)
            many = await client.post(f"/fairs/{fair['id']}/registrations/reject", headers=org,
                                     json={"registration_ids": [regs[1]["id"], regs[2]["id"]], "reason": "Hết chỗ"})
            no_reason = await client.post(f"/registrations/{regs[0]['id']}/reject", json={"reason": " "},
                                          headers=org)
            again = await client.post(f"/registrations/{regs[0]['id']}/approve", headers=org)
        assert one.json()["status"] == "rejected" and one.json()["decision_reason"] == "Sai ngành hàng"
        assert [r["status"] for r in many.json()["data"]] == ["rejected", "rejected"]
        assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
        assert again.status_code == 409
        rejected = [p["reason"] for n, p in await outbox(app) if n == "registration.rejected"]
        assert rejected == ["Sai ngành hàng", "Hết chỗ", "Hết chỗ"]


class TestRescore:
    async def test_a_new_policy_reorders_the_waitlist_and_audits_each_changed_score(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, capacity_booths=2, max_booths_per_exhibitor=2)
            holder = await register(client, fair["id"], (await new_exhibitor(client, app, commune_code=YEN_MINH))[0], 2)
            tea = await register(client, fair["id"], (await new_exhibitor(client, app, commune_code=YEN_MINH,
                                                                          products=NATIONAL_TEA))[0], 1)
            mountain = await register(client, fair["id"],
                                      (await new_exhibitor(client, app, commune_code="00721"))[0], 1)
            for reg in (holder, tea, mountain):  # one by one: the holder takes both booths
                await client.post(f"/registrations/{reg['id']}/approve", headers=org)
            before = (await client.get(f"/fairs/{fair['id']}/waitlist", headers=org)).json()["data"]
            res = await client.patch(f"/fairs/{fair['id']}", headers=org, json={"priority_policy": {
                "recognition_points": {"national": 5}, "difficult_communes": ["00721"],
                "difficult_commune_points": 50}})
            after = (await client.get(f"/fairs/{fair['id']}/waitlist", headers=org)).json()["data"]
            log = (await client.get(f"/fairs/{fair['id']}/audit", headers=org)).json()["data"]
        assert res.status_code == 200, res.text
        assert [r["id"] for r in before] == [tea["id"], mountain["id"]]
        assert [(r["id"], r["waitlist_position"]) for r in after] == [(mountain["id"], 1), (tea["id"], 2)]
        rescored = {e["entity_id"]: e for e in log if e["action"] == "registration.rescored"}
        assert rescored.keys() == {tea["id"], mountain["id"]}  # the holder's score did not move: no entry
        assert log[-3]["action"] == "fair.updated"
        for old, new in ((tea, after[1]), (mountain, after[0])):
            entry = rescored[old["id"]]
            assert entry["changes"]["priority_score"] == [old["priority_score"], new["priority_score"]]
            assert entry["changes"]["priority_reasons"] == [old["priority_reasons"], new["priority_reasons"]]
            assert "priority_policy" in entry["reason"] and entry["actor_role"] == "organizer"
        assert {r["code"]: r["points"] for r in after[0]["priority_reasons"]}["difficult_commune"] == 50
        assert {r["code"]: r["points"] for r in after[1]["priority_reasons"]}["cnnt_national"] == 5


class TestResubmit:
    async def test_the_organizer_asks_the_exhibitor_changes_and_it_is_back_to_review(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, max_booths_per_exhibitor=3)
            headers, _ = await new_exhibitor(client, app, products=NATIONAL_TEA)
            reg = await register(client, fair["id"], headers, 3)
            early = await client.patch(f"/registrations/{reg['id']}", json={"booths_requested": 2}, headers=headers)
            asked = await client.post(f"/registrations/{reg['id']}/request-changes",
                                      json={"reason": "Xin giảm còn 2 gian"}, headers=org)
            approve_now = await client.post(f"/registrations/{reg['id']}/approve", headers=org)
            changed = await client.patch(f"/registrations/{reg['id']}", headers=headers,
                                         json={"booths_requested": 2, "products": ["Chè Shan tuyết"]})
            approved = await client.post(f"/registrations/{reg['id']}/approve", headers=org)
            log = (await client.get(f"/fairs/{fair['id']}/audit", headers=org,
                                    params={"registration_id": reg["id"]})).json()["data"]
        assert early.status_code == 409
        assert asked.json()["status"] == "changes_requested"
        assert asked.json()["decision_reason"] == "Xin giảm còn 2 gian"
        assert approve_now.status_code == 409
        assert changed.json()["status"] == "submitted" and changed.json()["booths_requested"] == 2
        assert approved.json()["status"] == "approved"
        assert [e["action"] for e in log] == ["registration.submitted", "registration.changes_requested",
                                              "registration.resubmitted", "registration.approved"]
        assert log[1]["reason"] == "Xin giảm còn 2 gian" and log[1]["actor_role"] == "organizer"
        assert log[2]["changes"]["booths_requested"] == [3, 2]


class TestCancelAndPromote:
    async def test_an_exhibitor_cancels_and_the_best_waitlisted_is_promoted(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, capacity_booths=2, max_booths_per_exhibitor=2)
            holder_headers, _ = await new_exhibitor(client, app)
            holder = await register(client, fair["id"], holder_headers, 2)
            low = await register(client, fair["id"], (await new_exhibitor(client, app, is_cscnnt=False))[0], 2)
            high = await register(client, fair["id"], (await new_exhibitor(client, app, products=NATIONAL_TEA))[0], 2)
            for r in (holder, low, high):
                await client.post(f"/registrations/{r['id']}/approve", headers=org)
            waitlist = (await client.get(f"/fairs/{fair['id']}/waitlist", headers=org)).json()["data"]
            res = await client.post(f"/registrations/{holder['id']}/cancel", json={"reason": "Ốm"},
                                    headers=holder_headers)
            statuses = {k: (await status_of(client, app, r["id"]))["status"]
                        for k, r in (("low", low), ("high", high))}
        assert [r["id"] for r in waitlist] == [high["id"], low["id"]]
        assert res.json()["status"] == "cancelled" and res.json()["cancel_reason"] == "exhibitor"
        assert statuses == {"high": "approved", "low": "waitlisted"}
        tail = [(n, p["registration_id"]) for n, p in (await outbox(app))[-2:]]
        assert tail == [("registration.cancelled", holder["id"]), ("registration.approved", high["id"])]

    async def test_each_decision_audits_why_booths_free_score_and_what_freed_them(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, capacity_booths=3, max_booths_per_exhibitor=2)
            holder_headers, _ = await new_exhibitor(client, app)
            holder = await register(client, fair["id"], holder_headers, 2)
            low = await register(client, fair["id"], (await new_exhibitor(client, app, is_cscnnt=False))[0], 2)
            high = await register(client, fair["id"], (await new_exhibitor(client, app, products=NATIONAL_TEA))[0], 2)
            for r in (holder, low, high):
                await client.post(f"/registrations/{r['id']}/approve", headers=org)
            await client.post(f"/registrations/{holder['id']}/cancel", headers=holder_headers)
            await client.patch(f"/fairs/{fair['id']}", json={"capacity_booths": 4}, headers=org)
            log = (await client.get(f"/fairs/{fair['id']}/audit", headers=org)).json()["data"]
        decisions = [(e["entity_id"], e["action"], e["changes"], e["reason"]) for e in log
                     if e["action"] in ("registration.approved", "registration.waitlisted", "registration.promoted")]
        assert [(who, action) for who, action, _, _ in decisions] == [
            (holder["id"], "registration.approved"), (low["id"], "registration.waitlisted"),
            (high["id"], "registration.waitlisted"), (high["id"], "registration.promoted"),
            (low["id"], "registration.promoted")]
        facts = [{k: c[k] for k in ("status", "booths_requested", "capacity_booths", "booths_free",
                                    "waitlist_position") if k in c} for _, _, c, _ in decisions]
        assert facts == [
            {"status": ["submitted", "approved"], "booths_requested": 2, "capacity_booths": 3, "booths_free": [3, 1]},
            {"status": ["submitted", "waitlisted"], "booths_requested": 2, "capacity_booths": 3,
             "booths_free": [1, 1], "waitlist_position": 1},
            {"status": ["submitted", "waitlisted"], "booths_requested": 2, "capacity_booths": 3,
             "booths_free": [1, 1], "waitlist_position": 1},  # the better score goes ahead of the earlier one
            {"status": ["waitlisted", "approved"], "booths_requested": 2, "capacity_booths": 3,
             "booths_free": [3, 1], "waitlist_position": 1},
            {"status": ["waitlisted", "approved"], "booths_requested": 2, "capacity_booths": 4,
             "booths_free": [2, 0], "waitlist_position": 1},
        ]
        scores = {holder["id"]: holder, low["id"]: low, high["id"]: high}
        assert all(c["priority_score"] == scores[who]["priority_score"] for who, _, c, _ in decisions)
        assert f"priority score {holder['priority_score']}" in decisions[0][3]
        assert "only 1 booths free for 2 requested" in decisions[1][3]
        assert holder["id"] in decisions[3][2]["freed_by"] and "2 booths freed" in decisions[3][2]["freed_by"]
        assert "capacity raised from 3 to 4 booths" in decisions[4][2]["freed_by"]
        assert decisions[4][2]["freed_by"] in decisions[4][3]

    async def test_an_exhibitor_cannot_cancel_after_the_deadline_the_organizer_can(self, app):
        now = datetime.now(UTC)
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, registration_opens_at=(now - timedelta(days=3)).isoformat(),
                                   cancellation_deadline=(now - timedelta(days=1)).isoformat())
            headers, _ = await new_exhibitor(client, app)
            reg = await register(client, fair["id"], headers)
            late = await client.post(f"/registrations/{reg['id']}/cancel", headers=headers)
            by_organizer = await client.post(f"/registrations/{reg['id']}/cancel", headers=org,
                                             json={"reason": "Không liên lạc được"})
        assert late.status_code == 409 and late.json()["type"].endswith("cancellation-deadline-passed")
        assert by_organizer.json()["cancel_reason"] == "organizer"

    async def test_an_overdue_invoice_cancels_promotes_and_a_redelivery_changes_nothing(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, capacity_booths=2, max_booths_per_exhibitor=2)
            unpaid_headers, unpaid_profile = await new_exhibitor(client, app)
            unpaid = await register(client, fair["id"], unpaid_headers, 2)
            waiting = await register(client, fair["id"], (await new_exhibitor(client, app))[0], 1)
            await client.post(f"/fairs/{fair['id']}/registrations/approve", headers=org,
                              json={"registration_ids": [unpaid["id"], waiting["id"]]})
            overdue = InvoiceOverdue(fair_id=fair["id"], invoice_id=unique("inv-"), registration_id=unpaid["id"],
                                     exhibitor_id=unpaid_profile["id"], due_on=date(2026, 12, 1),
                                     outstanding_vnd=10_800_000)
            headers = await deliver(app, overdue)
            before = await outbox(app)
            await deliver(app, overdue, headers)
            after = await outbox(app)
            cancelled, promoted = (await status_of(client, app, unpaid["id"]),
                                   await status_of(client, app, waiting["id"]))
            log = (await client.get(f"/fairs/{fair['id']}/audit", headers=org)).json()["data"]
        assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "unpaid")
        assert promoted["status"] == "approved"
        assert [(n, p["registration_id"], p.get("reason")) for n, p in before[-2:]] == [
            ("registration.cancelled", unpaid["id"], "unpaid"), ("registration.approved", waiting["id"], None)]
        assert after == before
        assert [e["actor"] for e in log[-2:]] == ["billing", "billing"]

    async def test_an_overdue_invoice_for_an_unknown_registration_is_dead_lettered(self, app):
        dead: list[dict[str, str]] = []

        @app.state.runtime.broker.subscriber("billing.events.dlq")
        async def collect(message: KafkaMessage) -> None:
            dead.append({k: v.decode() if isinstance(v, bytes) else v for k, v in message.headers.items()})

        async with running_app(app):
            await deliver(app, InvoiceOverdue(fair_id="f", invoice_id="i", registration_id="nope", exhibitor_id="e",
                                              due_on=date(2026, 12, 1), outstanding_vnd=1))
        assert len(dead) == 1 and "unknown registration" in dead[0]["dlq_reason"]
        assert await outbox(app) == []
