"""Authorization: an exhibitor never sees or changes another's data, an organizer only its own centre's fairs."""

from __future__ import annotations

import pytest

from tests.conftest import running_app, token
from tests.service.fixtures import fair_body
from tests.service.test_registration_support import (
    create_fair,
    exhibitor_at,
    make_app,
    new_exhibitor,
    open_fair,
    organizer,
    outbox,
    register,
)


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


async def test_an_exhibitor_cannot_read_or_change_another_exhibitors_registration(app):
    async with running_app(app) as client:
        fair = await open_fair(client, organizer(app))
        owner, _ = await new_exhibitor(client, app)
        intruder, _ = await new_exhibitor(client, app)
        reg = await register(client, fair["id"], owner)
        await client.post(f"/registrations/{reg['id']}/request-changes", json={"reason": "Bổ sung"},
                          headers=organizer(app))
        before = await outbox(app)
        answers = {
            "read": await client.get(f"/registrations/{reg['id']}", headers=intruder),
            "resubmit": await client.patch(f"/registrations/{reg['id']}", json={"booths_requested": 1},
                                           headers=intruder),
            "cancel": await client.post(f"/registrations/{reg['id']}/cancel", headers=intruder),
            "list": await client.get(f"/fairs/{fair['id']}/registrations", headers=intruder),
            "approve": await client.post(f"/registrations/{reg['id']}/approve", headers=intruder),
            "reject": await client.post(f"/registrations/{reg['id']}/reject", json={"reason": "x"}, headers=intruder),
            "audit": await client.get(f"/fairs/{fair['id']}/audit", headers=intruder),
            "mine": await client.get("/registrations", headers=intruder),
        }
        own = await client.get(f"/registrations/{reg['id']}", headers=owner)
    codes = {k: v.status_code for k, v in answers.items()}
    assert codes == {"read": 404, "resubmit": 404, "cancel": 404, "list": 403, "approve": 403, "reject": 403,
                     "audit": 403, "mine": 200}
    assert answers["mine"].json()["count"] == 0
    assert own.json()["status"] == "changes_requested"
    assert await outbox(app) == before


async def test_an_organizer_cannot_touch_another_centres_registrations(app):
    async with running_app(app) as client:
        fair = await open_fair(client, organizer(app, "tq"))
        owner, _ = await new_exhibitor(client, app)
        reg = await register(client, fair["id"], owner)
        other = organizer(app, "hg")
        before = await outbox(app)
        answers = [
            await client.get(f"/registrations/{reg['id']}", headers=other),
            await client.post(f"/registrations/{reg['id']}/approve", headers=other),
            await client.post(f"/registrations/{reg['id']}/reject", json={"reason": "x"}, headers=other),
            await client.post(f"/registrations/{reg['id']}/request-changes", json={"reason": "x"}, headers=other),
            await client.post(f"/registrations/{reg['id']}/cancel", headers=other),
            await client.post(f"/fairs/{fair['id']}/registrations/approve", json={"registration_ids": [reg["id"]]},
                              headers=other),
            await client.post(f"/fairs/{fair['id']}/registrations/reject",
                              json={"registration_ids": [reg["id"]], "reason": "x"}, headers=other),
            await client.get(f"/fairs/{fair['id']}/waitlist", headers=other),
        ]
        status = (await client.get(f"/registrations/{reg['id']}", headers=owner)).json()["status"]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert status == "submitted"
    assert await outbox(app) == before


async def test_other_roles_and_anonymous_callers(app):
    settings = app.state.settings
    regional = token(settings, "regional", subject="ttkc1", region="north")
    async with running_app(app) as client:
        fair = await open_fair(client, organizer(app))
        owner, profile = await new_exhibitor(client, app)
        reg = await register(client, fair["id"], owner)
        answers = {
            "regional reads a registration": await client.get(f"/registrations/{reg['id']}", headers=regional),
            "regional reads a profile": await client.get(f"/exhibitors/{profile['id']}", headers=regional),
            "regional creates a fair": await client.post("/fairs", json={}, headers=regional),
            "anonymous reads a registration": await client.get(f"/registrations/{reg['id']}"),
            "anonymous searches exhibitors": await client.get("/exhibitors"),
            "forged token": await client.get("/fairs", headers={"Authorization": "Bearer forged"}),
            "anonymous reads a fair": await client.get(f"/fairs/{fair['id']}"),
        }
    assert {k: v.status_code for k, v in answers.items()} == {
        "regional reads a registration": 404, "regional reads a profile": 404, "regional creates a fair": 403,
        "anonymous reads a registration": 401, "anonymous searches exhibitors": 401, "forged token": 401,
        "anonymous reads a fair": 200}


async def test_an_organizer_lists_only_its_own_centres_fairs_and_never_anothers_draft(app):
    tq, hg = organizer(app), organizer(app, "hg")
    admin = token(app.state.settings, "admin", subject="root")
    async with running_app(app) as client:
        fairs = {}
        for centre, headers in (("tq", tq), ("hg", hg)):
            fairs[centre, "draft"] = await create_fair(client, headers, name=f"Nháp {centre}")
            fairs[centre, "open"] = await open_fair(client, headers, name=f"Mở {centre}")
            cancelled = await open_fair(client, headers, name=f"Hủy {centre}")
            await client.post(f"/fairs/{cancelled['id']}/cancel", json={"reason": "Bão"}, headers=headers)
            fairs[centre, "cancelled"] = cancelled
        ids = {key: fair["id"] for key, fair in fairs.items()}
        listed = {who: {f["id"] for f in (await client.get("/fairs", headers=headers)).json()["data"]}
                  for who, headers in (("tq", tq), ("hg", hg), ("admin", admin))}
        anonymous = {f["id"] for f in (await client.get("/fairs")).json()["data"]}
        other_drafts = (await client.get("/fairs", params={"status": "draft"}, headers=hg)).json()["data"]
        other_open = await client.get(f"/fairs/{ids['tq', 'open']}", headers=hg)
        other_draft = await client.get(f"/fairs/{ids['tq', 'draft']}", headers=hg)
    assert listed["tq"] == {ids["tq", s] for s in ("draft", "open", "cancelled")}
    assert listed["hg"] == {ids["hg", s] for s in ("draft", "open", "cancelled")}
    assert listed["admin"] == set(ids.values())
    assert anonymous == {ids[c, s] for c in ("tq", "hg") for s in ("open", "cancelled")}
    assert [f["id"] for f in other_drafts] == [ids["hg", "draft"]]
    assert other_open.status_code == 200 and other_open.json()["centre_id"] == "tq"  # by id: public once published
    assert other_draft.status_code == 404


class TestExhibitorPersonalData:
    """Tax code, phone, e-mail, address and the audit trail of a profile: an organizer reads them only for an
    exhibitor registered at one of its centre's fairs."""

    async def test_an_organizer_reads_and_finds_only_exhibitors_registered_at_its_centre(self, app):
        tq, hg = organizer(app, "tq"), organizer(app, "hg")
        admin = token(app.state.settings, "admin", subject="root")
        async with running_app(app) as client:
            at_tq = (await exhibitor_at(client, app, (await open_fair(client, tq))["id"]))[1]
            at_hg = (await exhibitor_at(client, app, (await open_fair(client, hg))["id"]))[1]
            nowhere = (await new_exhibitor(client, app))[1]
            found = {who: {e["id"] for e in (await client.get("/exhibitors", headers=headers)).json()["data"]}
                     for who, headers in (("tq", tq), ("hg", hg), ("admin", admin))}
            by_tax_code = await client.get("/exhibitors", params={"q": at_hg["tax_code"]}, headers=tq)
            reads = {(who, name): (await client.get(f"/exhibitors/{profile['id']}{path}", headers=headers))
                     for who, headers in (("tq", tq), ("admin", admin))
                     for name, profile in (("at_tq", at_tq), ("at_hg", at_hg), ("nowhere", nowhere))
                     for path in ("", "/audit")}
        assert found == {"tq": {at_tq["id"]}, "hg": {at_hg["id"]}, "admin": {at_tq["id"], at_hg["id"], nowhere["id"]}}
        assert by_tax_code.json() == {"data": [], "count": 0}
        assert {key: r.status_code for key, r in reads.items()} == {
            ("tq", "at_tq"): 200, ("tq", "at_hg"): 404, ("tq", "nowhere"): 404,
            ("admin", "at_tq"): 200, ("admin", "at_hg"): 200, ("admin", "nowhere"): 200}
        hidden = reads["tq", "at_hg"]
        assert hidden.headers["content-type"].startswith("application/problem+json")
        assert at_hg["tax_code"] not in hidden.text

    async def test_a_rejected_or_cancelled_registration_still_shows_the_profile_to_that_centre(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            headers, profile = await new_exhibitor(client, app)
            reg = await register(client, fair["id"], headers)
            await client.post(f"/registrations/{reg['id']}/reject", json={"reason": "Sai ngành"}, headers=org)
            read = await client.get(f"/exhibitors/{profile['id']}", headers=org)
        assert read.status_code == 200 and read.json()["tax_code"] == profile["tax_code"]

    async def test_an_organizer_token_without_a_centre_gets_nothing_an_organizer_needs_one_for(self, app):
        nobody = token(app.state.settings, "organizer", subject="staff-without-centre")
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app))
            headers, profile = await exhibitor_at(client, app, fair["id"])
            reg = (await client.get("/registrations", headers=headers)).json()["data"][0]
            before = await outbox(app)
            refused = {
                "search": await client.get("/exhibitors", headers=nobody),
                "profile": await client.get(f"/exhibitors/{profile['id']}", headers=nobody),
                "profile audit": await client.get(f"/exhibitors/{profile['id']}/audit", headers=nobody),
                "create fair": await client.post("/fairs", json=fair_body(), headers=nobody),
            }
            hidden = {
                "registrations": await client.get(f"/fairs/{fair['id']}/registrations", headers=nobody),
                "waitlist": await client.get(f"/fairs/{fair['id']}/waitlist", headers=nobody),
                "export": await client.get(f"/fairs/{fair['id']}/registrations.csv", headers=nobody),
                "fair audit": await client.get(f"/fairs/{fair['id']}/audit", headers=nobody),
                "registration": await client.get(f"/registrations/{reg['id']}", headers=nobody),
                "approve": await client.post(f"/registrations/{reg['id']}/approve", headers=nobody),
                "change fair": await client.patch(f"/fairs/{fair['id']}", json={"name": "X"}, headers=nobody),
            }
            listed = await client.get("/fairs", params={"mine": "true"}, headers=nobody)
        assert {k: r.status_code for k, r in refused.items()} == dict.fromkeys(refused, 403)
        assert all(r.json()["type"].endswith("no-centre") for r in refused.values())
        assert {k: r.status_code for k, r in hidden.items()} == dict.fromkeys(hidden, 404)
        for answer in (*refused.values(), *hidden.values()):
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert profile["tax_code"] not in answer.text
        assert listed.json()["count"] == 0
        assert await outbox(app) == before


class TestOwnershipIsRoleAndSubjectTogether:
    """A claim on a token proves something only for the role it belongs to: an exhibitor id on an organizer's
    token, or a centre on a regional one, owns nothing."""

    async def test_an_exhibitor_claim_on_another_roles_token_reads_nothing_of_that_exhibitor(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app, "tq"))
            owner, profile = await exhibitor_at(client, app, fair["id"])
            reg = (await client.get("/registrations", headers=owner)).json()["data"][0]
            impostors = {
                "organizer": token(app.state.settings, "organizer", centre_id="hg", exhibitor_id=profile["id"],
                                   subject=profile["id"]),
                "regional": token(app.state.settings, "regional", region="north", exhibitor_id=profile["id"],
                                  subject=profile["id"]),
            }
            answers = {(who, what): await client.get(path, headers=headers)
                       for who, headers in impostors.items()
                       for what, path in (("profile", f"/exhibitors/{profile['id']}"),
                                          ("audit", f"/exhibitors/{profile['id']}/audit"),
                                          ("registration", f"/registrations/{reg['id']}"))}
            mine = {who: await client.get("/registrations", headers=headers) for who, headers in impostors.items()}
            edit = await client.patch(f"/exhibitors/{profile['id']}", json={"legal_name": "Chiếm"},
                                      headers=impostors["organizer"])
        assert {k: r.status_code for k, r in answers.items()} == dict.fromkeys(answers, 404)
        assert {k: r.status_code for k, r in mine.items()} == {"organizer": 403, "regional": 403}
        assert edit.status_code == 403

    async def test_a_centre_claim_on_a_regional_token_owns_no_fair(self, app):
        regional = token(app.state.settings, "regional", region="north", centre_id="tq", subject="tq")
        async with running_app(app) as client:
            await open_fair(client, organizer(app, "tq"))
            draft = await create_fair(client, organizer(app, "tq"))
            mine = await client.get("/fairs", params={"mine": "true"}, headers=regional)
            read_draft = await client.get(f"/fairs/{draft['id']}", headers=regional)
            change = await client.patch(f"/fairs/{draft['id']}", json={"name": "X"}, headers=regional)
        assert mine.json()["count"] == 0
        assert (read_draft.status_code, change.status_code) == (404, 403)
