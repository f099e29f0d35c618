"""Approved booths never exceed capacity under concurrent approvals, against the real database (SQLite and
PostgreSQL when TEST_POSTGRES_URL is set): the fair's row lock serialises every capacity decision."""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlmodel import select

from services.registration.models import Registration
from tests.conftest import running_app
from tests.service.test_registration_support import make_app, new_exhibitor, open_fair, organizer, outbox, register


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
