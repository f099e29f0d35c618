"""What the organizer's review page reads from the registration API: one registration with its priority score and
every reason, and its own history (the fair's audit log filtered by registration), for the organizers of the
fair's centre and admins only — another centre's organizer and another exhibitor find nothing."""

from __future__ import annotations

import pytest

from tests.conftest import running_app, token
from tests.service.test_registration_support import make_app, new_exhibitor, open_fair, organizer, register

NATIONAL_TEA = [{"name": "Chè Shan tuyết", "group": "agro_food",
                 "recognition": {"level": "national", "certificate_no": "88/QĐ-BCT", "year": 2024}}]


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


async def test_the_organizer_reads_the_score_with_every_reason_and_the_registrations_own_history(app):
    async with running_app(app) as client:
        fair = await open_fair(client, organizer(app))
        headers, _ = await new_exhibitor(client, app, products=NATIONAL_TEA)
        reg = await register(client, fair["id"], headers, 2, products=["Chè Shan tuyết"])
        other_headers, _ = await new_exhibitor(client, app)
        other = await register(client, fair["id"], other_headers, 1)
        asked = await client.post(f"/registrations/{reg['id']}/request-changes", json={"reason": "Thêm ảnh"},
                                  headers=organizer(app))
        read = await client.get(f"/registrations/{reg['id']}", headers=organizer(app))
        admin = await client.get(f"/registrations/{reg['id']}", headers=token(app.state.settings, "admin"))
        log = await client.get(f"/fairs/{fair['id']}/audit", params={"registration_id": reg["id"]},
                               headers=organizer(app))
        foreign = await client.get(f"/registrations/{reg['id']}", headers=organizer(app, "hg"))
        foreign_log = await client.get(f"/fairs/{fair['id']}/audit", params={"registration_id": reg["id"]},
                                       headers=organizer(app, "hg"))
        stranger = await client.get(f"/registrations/{reg['id']}", headers=other_headers)
    assert asked.status_code == 200, asked.text
    assert (read.status_code, admin.status_code) == (200, 200)
    body = read.json()
    reasons = {r["code"]: r for r in body["priority_reasons"]}
    assert reasons["cnnt_national"]["points"] == 30 and " / " in reasons["cnnt_national"]["detail"]
    assert body["priority_score"] == sum(r["points"] for r in body["priority_reasons"])
    entries = log.json()["data"]
    assert [e["action"] for e in entries] == ["registration.submitted", "registration.changes_requested"]
    assert {e["entity_id"] for e in entries} == {reg["id"]} and other["id"] not in log.text
    assert entries[1]["reason"] == "Thêm ảnh"
    assert foreign.status_code in (403, 404) and foreign_log.status_code in (403, 404)
    assert stranger.status_code in (403, 404)
