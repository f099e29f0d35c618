"""Approved booths never exceed capacity under concurrent approvals, against the real database (SQLite and
PostgreSQL when TEST_POSTGRES_URL is set): the fair's row lock serialises every capacity decision."""

from __future__ import annotations

import asyncio
import json
import random

import pytest
from sqlmodel import select

from services.registration.models import Registration
from services.registration.service import registrations
from shared.contracts.registration import RegistrationSubmitted
from shared.outbox import OutboxMessage
from tests.conftest import running_app, unique
from tests.service.fixtures import exhibitor_body
from tests.service.test_registration_support import (
    exhibitor_headers,
    make_app,
    new_exhibitor,
    next_tax_code,
    open_fair,
    organizer,
    outbox,
    register,
)

load_submissions = registrations._load_submissions


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


async def registrations_in_db(app, fair_id: str) -> list[Registration]:
    async with app.state.runtime.db.sessions() as session:
        return list((await session.exec(select(Registration).where(Registration.fair_id == fair_id))).all())


async def test_thirty_concurrent_approvals_respect_capacity(app):
    org = organizer(app)
    sizes = random.Random(7).choices([1, 2, 3], k=30)
    async with running_app(app) as client:
        fair = await open_fair(client, org, capacity_booths=40, max_booths_per_exhibitor=3)
        regs = [await register(client, fair["id"], (await new_exhibitor(client, app))[0], n) for n in sizes]
        answers = await asyncio.gather(*(client.post(f"/registrations/{r['id']}/approve", headers=org)
                                         for r in regs))
        await app.state.runtime.relay.flush()
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200]
    rows = await registrations_in_db(app, fair["id"])
    approved = [r for r in rows if r.status == "approved"]
    assert sum(r.booths_requested for r in approved) <= 40
    assert {r.status for r in rows} == {"approved", "waitlisted"}
    # Each waitlisted one was refused because it did not fit at that moment: nothing fits now either.
    free = 40 - sum(r.booths_requested for r in approved)
    assert all(r.booths_requested > free for r in rows if r.status == "waitlisted")
    events = await outbox(app)
    assert sorted(p["registration_id"] for n, p in events if n == "registration.approved") == \
        sorted(r.id for r in approved)
    assert len([n for n, _ in events if n == "registration.waitlisted"]) == len(rows) - len(approved)


async def test_thirty_concurrent_approvals_of_one_registration_approve_it_once(app):
    org = organizer(app)
    async with running_app(app) as client:
        fair = await open_fair(client, org)
        reg = await register(client, fair["id"], (await new_exhibitor(client, app))[0], 2)
        answers = await asyncio.gather(*(client.post(f"/registrations/{reg['id']}/approve", headers=org)
                                         for _ in range(30)))
    assert {a.status_code for a in answers} <= {200, 409}
    assert [n for n, p in await outbox(app) if n == "registration.approved"] == ["registration.approved"]


async def test_concurrent_bulk_approvals_and_cancellations_keep_the_invariant(app):
    org = organizer(app)
    async with running_app(app) as client:
        fair = await open_fair(client, org, capacity_booths=10, max_booths_per_exhibitor=2)
        people = [await new_exhibitor(client, app) for _ in range(16)]
        regs = [await register(client, fair["id"], headers, 2) for headers, _ in people]
        halves = [regs[:8], regs[8:]]
        first = await asyncio.gather(*(client.post(f"/fairs/{fair['id']}/registrations/approve", headers=org,
                                                   json={"registration_ids": [r["id"] for r in half]})
                                       for half in halves))
        approved = [r for r in regs if (await client.get(f"/registrations/{r['id']}", headers=org)).json()["status"]
                    == "approved"]
        owners = {r["id"]: headers for (headers, _), r in zip(people, regs, strict=True)}
        cancels = await asyncio.gather(*(client.post(f"/registrations/{r['id']}/cancel", headers=owners[r["id"]])
                                         for r in approved[:3]))
    assert [a.status_code for a in first] == [200, 200]
    assert [a.status_code for a in cancels] == [200, 200, 200]
    rows = await registrations_in_db(app, fair["id"])
    assert sum(r.booths_requested for r in rows if r.status == "approved") == 10  # promotions refilled the fair
    assert sum(1 for r in rows if r.status == "waitlisted") == 16 - 5 - 3


async def outbox_rows(app) -> list[OutboxMessage]:
    async with app.state.runtime.db.sessions() as session:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


class TestSubmissionsArrivingTogether:
    """Submissions, profiles and approvals sent at once share transactions; each is still answered on its own."""

    async def test_each_submission_is_answered_on_its_own_when_they_arrive_together(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org, max_booths_per_exhibitor=2)
            people = [await new_exhibitor(client, app) for _ in range(12)]
            bodies = [{"booths_requested": 3 if i == 4 else 1} for i in range(12)]  # the fifth asks too much
            answers = await asyncio.gather(
                *(client.post(f"/fairs/{fair['id']}/registrations", json=body, headers=headers)
                  for (headers, _), body in zip(people, bodies, strict=True)),
                client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 1}, headers=people[0][0]))
        assert answers[4].status_code == 422 and answers[4].json()["errors"][0]["field"] == "booths_requested"
        assert sorted(a.status_code for a in (answers[0], answers[12])) == [201, 409]  # one exhibitor twice
        assert all(a.status_code == 201 for i, a in enumerate(answers[1:12], start=1) if i != 4)
        rows = await registrations_in_db(app, fair["id"])
        assert len(rows) == 11
        assert sorted(p["registration_id"] for n, p in await outbox(app) if n == "registration.submitted") == \
            sorted(r.id for r in rows)

    async def test_each_submission_keeps_its_own_correlation_id(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app))
            people = [await new_exhibitor(client, app) for _ in range(6)]
            answers = await asyncio.gather(*(client.post(
                f"/fairs/{fair['id']}/registrations", json={"booths_requested": 1}, headers={
                    **headers, "X-Correlation-ID": f"rush-{profile['id']}"}) for headers, profile in people))
        assert all(a.status_code == 201 for a in answers)
        submitted = [r for r in await outbox_rows(app) if r.event_type == RegistrationSubmitted.ce_type()]
        assert {r.header_dict()["ce_correlationid"] for r in submitted} == {f"rush-{p['id']}" for _, p in people}
        for row in submitted:
            assert row.header_dict()["ce_correlationid"] == f"rush-{json.loads(row.payload)['exhibitor_id']}"

    async def test_a_batch_the_unique_index_refuses_is_run_again_one_by_one(self, app, monkeypatch):
        """As when another replica registered the same exhibitor first: the commit fails, nobody else loses."""
        async def nothing_taken(session, batch):
            loaded = await load_submissions(session, batch)
            loaded.taken.clear()
            return loaded

        monkeypatch.setattr(registrations, "_load_submissions", nothing_taken)
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app))
            people = [await new_exhibitor(client, app) for _ in range(5)]
            first = await register(client, fair["id"], people[2][0])
            answers = await asyncio.gather(*(client.post(f"/fairs/{fair['id']}/registrations",
                                                         json={"booths_requested": 1}, headers=headers)
                                             for headers, _ in people))
        assert [a.status_code for a in answers] == [201, 201, 409, 201, 201]
        assert answers[2].json()["type"].endswith("duplicate-registration")
        rows = await registrations_in_db(app, fair["id"])
        assert len(rows) == 5 and first["id"] in {r.id for r in rows}

    async def test_profiles_created_together_keep_one_per_tax_code(self, app):
        code = next_tax_code()
        async with running_app(app) as client:
            answers = await asyncio.gather(*(client.post(
                "/exhibitors", json=exhibitor_body(tax_code=code), headers=exhibitor_headers(app, unique("ex-")))
                for _ in range(5)))
        assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
        assert all(a.json()["type"].endswith("duplicate-tax-code") for a in answers if a.status_code == 409)
