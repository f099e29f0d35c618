"""The registration service in memory (FastStream's test broker) on a real database file."""

from __future__ import annotations

import pytest
from sqlmodel import select

from services.registration.app import create_app
from shared.contracts import EVENTS_BY_TYPE
from shared.outbox import OutboxMessage
from tests.conftest import running_app, token, unique
from tests.service.fixtures import exhibitor_body, fair_body


@pytest.fixture
def app(settings_for):
    return create_app(settings_for("registration"))


async def staged_events(app) -> list[OutboxMessage]:
    async with app.state.runtime.db.sessions() as session:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def open_fair(client, organizer, **overrides) -> dict:
    fair = (await client.post("/fairs", json=fair_body(**overrides), headers=organizer)).json()
    published = await client.post(f"/fairs/{fair['id']}/publish", headers=organizer)
    assert published.status_code == 200, published.text
    return published.json()


class TestFairSaga:
    async def test_publishes_registers_and_approves_with_events_in_the_outbox(self, app):
        settings = app.state.settings
        organizer = token(settings, "organizer", centre_id="tq")
        exhibitor = token(settings, "exhibitor", exhibitor_id=unique("ex-"))
        async with running_app(app) as client:
            fair = await open_fair(client, organizer)
            assert fair["status"] == "open"
            created = await client.post("/exhibitors", json=exhibitor_body(), headers=exhibitor)
            assert created.status_code == 201, created.text
            assert created.json()["province_code"] == "08"  # Hà Giang maps to Tuyên Quang
            reg = await client.post(f"/fairs/{fair['id']}/registrations",
                                    json={"booths_requested": 2, "sector": "food"}, headers=exhibitor)
            assert reg.status_code == 201, reg.text
            approved = await client.post(f"/registrations/{reg.json()['id']}/approve", headers=organizer)
            assert approved.json()["status"] == "approved"
            await app.state.runtime.relay.flush()
        rows = await staged_events(app)
        types = [EVENTS_BY_TYPE[r.event_type].event_name for r in rows]
        assert types == ["fair.published", "registration.submitted", "registration.approved"]
        assert all(r.sent_at is not None for r in rows)
        assert {r.key for r in rows} == {fair["id"]}

    async def test_waitlists_when_capacity_is_taken(self, app):
        settings = app.state.settings
        organizer = token(settings, "organizer", centre_id="tq")
        async with running_app(app) as client:
            fair = await open_fair(client, organizer, capacity_booths=3, max_booths_per_exhibitor=2)
            outcomes = []
            for tax in ("0100233488", "0100109106"):
                ex = token(settings, "exhibitor", exhibitor_id=unique("ex-"))
                await client.post("/exhibitors", json=exhibitor_body(tax_code=tax), headers=ex)
                reg = await client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 2},
                                        headers=ex)
                assert reg.status_code == 201, reg.text
                res = await client.post(f"/registrations/{reg.json()['id']}/approve", headers=organizer)
                outcomes.append(res.json()["status"])
        assert outcomes == ["approved", "waitlisted"]


class TestBadInput:
    async def test_rejects_a_wrong_tax_code_naming_the_field(self, app):
        settings = app.state.settings
        async with running_app(app) as client:
            res = await client.post("/exhibitors", json=exhibitor_body(tax_code="0100233480"),
                                    headers=token(settings, "exhibitor", exhibitor_id="ex-bad"))
        assert res.status_code == 422
        assert res.headers["content-type"] == "application/problem+json"
        assert res.json()["errors"][0]["field"] == "tax_code"

    async def test_rejects_an_unknown_province(self, app):
        settings = app.state.settings
        async with running_app(app) as client:
            res = await client.post("/fairs", json=fair_body(province_code="Atlantis"),
                                    headers=token(settings, "organizer", centre_id="tq"))
        assert res.status_code == 422
        assert res.json()["errors"][0]["field"] == "province_code"

    async def test_refuses_a_second_registration_for_the_same_fair(self, app):
        settings = app.state.settings
        organizer = token(settings, "organizer", centre_id="tq")
        ex = token(settings, "exhibitor", exhibitor_id=unique("ex-"))
        async with running_app(app) as client:
            fair = await open_fair(client, organizer)
            await client.post("/exhibitors", json=exhibitor_body(), headers=ex)
            first = await client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 1}, headers=ex)
            second = await client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 1},
                                       headers=ex)
        assert first.status_code == 201
        assert second.status_code == 409
        assert second.json()["type"].endswith("duplicate-registration")

    async def test_an_exhibitor_cannot_approve(self, app):
        settings = app.state.settings
        async with running_app(app) as client:
            res = await client.post("/registrations/x/approve",
                                    headers=token(settings, "exhibitor", exhibitor_id="e1"))
        assert res.status_code == 403

    async def test_another_centre_cannot_publish_the_fair(self, app):
        settings = app.state.settings
        async with running_app(app) as client:
            fair = (await client.post("/fairs", json=fair_body(),
                                      headers=token(settings, "organizer", centre_id="tq"))).json()
            res = await client.post(f"/fairs/{fair['id']}/publish",
                                    headers=token(settings, "organizer", centre_id="other"))
        assert res.status_code == 404
