"""Authorization: an exhibitor never sees or changes another's data, an organizer only its own centre's fairs."""

from __future__ import annotations

import pytest

from tests.conftest import running_app, token
from tests.service.test_registration_support import (
    create_fair,
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
