"""The seeds' scenario: a 70-booth provincial fair, 90 applicants asking 1–3 booths each.

Ends with capacity respected, the waitlist in the policy's order, promotions on cancellation and on an
unpaid invoice, and the outbox telling the same story as the database.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlmodel import select

from services.registration.domain.capacity import rank_key, select_promotions
from services.registration.models import Registration
from services.registration.service.common import candidate
from shared.contracts.billing import InvoiceOverdue
from tests.conftest import running_app, unique
from tests.service.test_registration_support import (
    deliver,
    make_app,
    new_exhibitor,
    open_fair,
    organizer,
    outbox,
    register,
)

CAPACITY = 70
DIFFICULT = ["00721", "00769"]  # Đồng Văn, Mèo Vạc
PLAIN = ["00820", "00700"]  # Yên Minh, Ngọc Đường
LEVELS = [None, None, None, "provincial", "regional", "national"]
SECTORS = ["Thủ công mỹ nghệ", "Nông sản", "Cơ khí"]
# What each event says about a registration's state afterwards.
STATE_AFTER = {"registration.submitted": "submitted", "registration.approved": "approved",
               "registration.waitlisted": "waitlisted", "registration.rejected": "rejected",
               "registration.cancelled": "cancelled"}


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


async def rows(app, fair_id: str) -> dict[str, Registration]:
    async with app.state.runtime.db.sessions() as session:
        found = (await session.exec(select(Registration).where(Registration.fair_id == fair_id))).all()
    return {r.id: r for r in found}


def booths(regs: dict[str, Registration], status: str) -> int:
    return sum(r.booths_requested for r in regs.values() if r.status == status)


async def apply(client, app, fair_id: str, rng: random.Random, owners: dict[str, dict[str, str]]) -> None:
    """90 exhibitors of varied standing register for 1–3 booths."""
    for n in range(90):
        level = rng.choice(LEVELS)
        products = [{"name": f"Sản phẩm {n}", "group": "handicraft",
                     **({"recognition": {"level": level, "certificate_no": f"{n}/QĐ", "year": 2024}}
                        if level else {})}]
        commune = rng.choice(DIFFICULT + PLAIN)
        headers, _ = await new_exhibitor(client, app, legal_name=f"Cơ sở số {n}", is_cscnnt=rng.random() < 0.6,
                                         products=products, commune_code=commune)
        reg = await register(client, fair_id, headers, rng.randint(1, 3), sector=rng.choice(SECTORS))
        owners[reg["id"]] = headers


async def test_seventy_booths_ninety_applicants(app):
    rng, org, owners = random.Random(2014), organizer(app), {}
    async with running_app(app) as client:
        fair = await open_fair(client, org, capacity_booths=CAPACITY, max_booths_per_exhibitor=3,
                               sectors=SECTORS, priority_policy={"difficult_communes": DIFFICULT,
                                                                 "priority_sectors": ["Thủ công mỹ nghệ"]})
        await apply(client, app, fair["id"], rng, owners)
        submitted = await rows(app, fair["id"])
        assert all(r.priority_score == sum(x["points"] for x in r.priority_reasons) for r in submitted.values())

        # The organizer approves everyone at once: best first until the booths run out, the rest wait.
        res = await client.post(f"/fairs/{fair['id']}/registrations/approve", headers=org,
                                json={"registration_ids": list(submitted)})
        assert res.status_code == 200, res.text
        decided = await rows(app, fair["id"])
        expected, granted = {}, 0
        for r in sorted(submitted.values(), key=lambda r: rank_key(candidate(r))):
            fits = granted + r.booths_requested <= CAPACITY
            expected[r.id] = "approved" if fits else "waitlisted"
            granted += r.booths_requested if fits else 0
        assert {i: r.status for i, r in decided.items()} == expected
        assert booths(decided, "approved") <= CAPACITY
        free = CAPACITY - booths(decided, "approved")
        assert all(r.booths_requested > free for r in decided.values() if r.status == "waitlisted")

        # The waitlist the organizer sees is in the policy's order.
        waitlist = (await client.get(f"/fairs/{fair['id']}/waitlist", headers=org)).json()["data"]
        assert [w["id"] for w in waitlist] == [r.id for r in sorted(
            (r for r in decided.values() if r.status == "waitlisted"), key=lambda r: rank_key(candidate(r)))]
        assert [w["waitlist_position"] for w in waitlist] == list(range(1, len(waitlist) + 1))

        # Five approved exhibitors cancel: each time, the best waitlisted ones that fit are promoted.
        approved_ids = [i for i, r in decided.items() if r.status == "approved"]
        for registration_id in rng.sample(approved_ids, 5):
            before = await rows(app, fair["id"])
            answer = await client.post(f"/registrations/{registration_id}/cancel", headers=owners[registration_id])
            assert answer.status_code == 200, answer.text
            after = await rows(app, fair["id"])
            before[registration_id].status = "cancelled"
            predicted = select_promotions([candidate(r) for r in before.values() if r.status == "waitlisted"],
                                          capacity=CAPACITY, approved_booths=booths(before, "approved"))
            promoted = {i for i, r in after.items() if r.status == "approved" and before[i].status == "waitlisted"}
            assert promoted == {c.registration_id for c in predicted}
            assert booths(after, "approved") <= CAPACITY

        # An unpaid invoice frees booths too.
        unpaid = next(r for r in (await rows(app, fair["id"])).values() if r.status == "approved")
        await deliver(app, InvoiceOverdue(fair_id=fair["id"], invoice_id=unique("inv-"), registration_id=unpaid.id,
                                          exhibitor_id=unpaid.exhibitor_id, due_on=date(2026, 12, 15),
                                          outstanding_vnd=unpaid.booths_requested * 5_400_000))
        await app.state.runtime.relay.flush()

    final = await rows(app, fair["id"])
    assert final[unpaid.id].cancel_reason == "unpaid"
    assert booths(final, "approved") <= CAPACITY
    free = CAPACITY - booths(final, "approved")
    assert all(r.booths_requested > free for r in final.values() if r.status == "waitlisted")

    # The outbox tells the same story: replaying its events gives every registration its state in the database.
    events = await outbox(app)
    assert {p["fair_id"] for _, p in events} == {fair["id"]}
    told: dict[str, str] = {}
    for name, payload in events:
        if name in STATE_AFTER:
            told[payload["registration_id"]] = STATE_AFTER[name]
    assert told == {i: r.status for i, r in final.items()}
    assert sum(1 for n, p in events if n == "registration.approved" and p["promoted"]) == \
        sum(1 for r in final.values() if r.status in ("approved", "cancelled") and r.id not in approved_ids)
