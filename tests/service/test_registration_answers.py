"""Answers say what happened: an approval that waitlists returns the position and the reason, not only the log."""

from __future__ import annotations

import pytest

from tests.conftest import running_app
from tests.service.test_registration_support import make_app, new_exhibitor, open_fair, organizer, outbox, register


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


class TestApproveAnswers:
    async def test_an_approval_that_waitlists_answers_the_position_and_the_reason(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, capacity_booths=3, max_booths_per_exhibitor=2)
            regs = [await register(client, fair["id"], (await new_exhibitor(client, app))[0], 2) for _ in range(3)]
            answers = [await client.post(f"/registrations/{r['id']}/approve", headers=org) for r in regs]
            read = await client.get(f"/registrations/{regs[2]['id']}", headers=org)
            log = (await client.get(f"/fairs/{fair['id']}/audit", headers=org,
                                    params={"registration_id": regs[2]["id"]})).json()["data"]
        approved, first, second = (a.json() for a in answers)
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert approved["status"] == "approved" and approved["waitlist_position"] is None
        assert "được duyệt" in approved["decision_reason"] and "granted" in approved["decision_reason"]
        assert (first["status"], first["waitlist_position"]) == ("waitlisted", 1)
        assert (second["status"], second["waitlist_position"]) == ("waitlisted", 2)
        assert "Chỉ còn 1 gian trống, xin 2 gian" in second["decision_reason"]
        assert "waitlisted at position 2" in second["decision_reason"]
        assert second["decision_reason"] == log[-1]["reason"]  # the answer and the audit log say the same
        assert (read.json()["waitlist_position"], read.json()["decision_reason"]) == (2, second["decision_reason"])
        positions = [p["position"] for n, p in await outbox(app) if n == "registration.waitlisted"]
        assert positions == [1, 2]

    async def test_a_promotion_replaces_the_waitlist_reason_with_what_freed_the_booths(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, capacity_booths=2, max_booths_per_exhibitor=2)
            holder_headers = (await new_exhibitor(client, app))[0]
            holder = await register(client, fair["id"], holder_headers, 2)
            waiting_headers = (await new_exhibitor(client, app))[0]
            waiting = await register(client, fair["id"], waiting_headers, 2)
            for reg in (holder, waiting):
                await client.post(f"/registrations/{reg['id']}/approve", headers=org)
            await client.post(f"/registrations/{holder['id']}/cancel", headers=holder_headers)
            promoted = (await client.get(f"/registrations/{waiting['id']}", headers=waiting_headers)).json()
        assert promoted["status"] == "approved" and promoted["waitlist_position"] is None
        assert f"hồ sơ {holder['id']} bị hủy" in promoted["decision_reason"]
        assert "waitlisted at position 1 and fits" in promoted["decision_reason"]
