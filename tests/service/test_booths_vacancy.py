"""Approvals on a 2,000-booth fair take the area's free stretches from the database (vacancy.py) instead of
every free booth of the fair: each one still gets exactly what the whole-fair heuristic gave before — the
same block, adjacent in one row, in its pavilion or sector zone, a corner when wished — and the same reason
when it gets nothing, one event per transaction or several (the batching consumer), with cancellations
freeing booths in between."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlmodel import col, select

from services.booths.domain import floorplan
from services.booths.domain.allocation.explain import assigned_reason, unmet_reason
from services.booths.domain.allocation.greedy import place_one
from services.booths.domain.allocation.model import Instance
from services.booths.models import Assignment, BoothRequest, StandardBooth
from services.booths.service import reactions, store
from shared.contracts.registration import RegistrationApproved, RegistrationCancelled
from tests.conftest import running_app, token
from tests.service.booths_support import (
    CENTRE,
    approved,
    booths_redis_url,  # noqa: F401 - a fixture
    cancelled,
    deliver,
    emitted,
    make_app,
    published_fair,
)

pytestmark = pytest.mark.slow

ZONES = [
    {"code": "PV08", "name": "Tuyên Quang", "kind": "pavilion", "province": "08"},
    {"code": "TCMN", "name": "Thủ công mỹ nghệ", "kind": "sector", "sectors": ["Thủ công mỹ nghệ"]},
    {"code": "NLTS", "name": "Nông lâm thủy sản", "kind": "sector", "sectors": ["chế biến nông lâm thủy sản"]},
    # Crafts may also go to the bamboo zone: the two areas share its booths.
    {"code": "MTD", "name": "Mây tre đan", "kind": "sector", "sectors": ["mây tre đan", "Thủ công mỹ nghệ"]},
]
HALL = {"rows": 20, "booths_per_row": 25, "aisle_every": 5}
GRID = {"halls": [  # 2,000 cells, 1,997 booths; the zones are small, so they fill up and fragment
    {**HALL, "code": "H1", "reserved": ["A03", "F10"], "zones": [{"zone": "PV08", "rows": ["A"]}]},
    {**HALL, "code": "H2", "zones": [{"zone": "TCMN", "rows": ["B"]}, {"zone": "NLTS", "booths": ["C01", "C02"]},
                                     {"zone": "MTD", "booths": [f"D{i:02d}" for i in range(1, 9)]}]},
    {**HALL, "code": "H3", "reserved": ["A01"]},
    {**HALL, "code": "H4", "zones": [{"zone": "NLTS", "rows": ["T"]}]},
]}
BLOCKED = ["H3-A02", "H3-A04", "H1-A10"]


@pytest.fixture
def app(settings_for, booths_redis_url):  # noqa: F811
    return make_app(settings_for, booths_redis_url)


async def large_fair(app: Any, client: Any) -> str:
    """A published automatic fair re-planned as four halls with zones and a few blocked booths."""
    headers = token(app.state.settings, "organizer", centre_id=CENTRE)
    fair = await published_fair(app, capacity_booths=2000, booths_per_row=25)
    for method, path, body in (("PUT", "zones", ZONES), ("PUT", "floorplan/grid", GRID),
                               ("POST", "booths/block", {"booth_codes": BLOCKED})):
        res = await client.request(method, f"/fairs/{fair.fair_id}/{path}", json=body, headers=headers)
        assert res.status_code == 200, res.text
    return fair.fair_id


def scenario(fair_id: str, seed: int, steps: int) -> list[tuple[str, Any]]:
    """Approvals of 1–4 booths for the pavilion, the sector zones and the general area (a quarter wishing a
    corner), and now and then the cancellation of an earlier one."""
    rng = random.Random(seed)
    events: list[tuple[str, Any]] = []
    placed: list[RegistrationApproved] = []
    for _ in range(steps):
        if placed and rng.random() < 0.2:
            events.append(("cancel", placed.pop(rng.randrange(len(placed)))))
            continue
        where = rng.choice([{"province_code": "08"}, {"sector": "Thủ công mỹ nghệ"}, {"sector": "thu cong my nghe"},
                            {"sector": "chế biến nông lâm thủy sản"}, {"sector": "mây tre đan"}, {"sector": "cơ khí"},
                            {}])
        approval = approved(fair_id, rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0], **where)
        events.append(("approve-corner" if rng.random() < 0.25 else "approve", approval))
        placed.append(approval)
    return events


class WholeFair:
    """What an approval got before: place_one over every free booth of the fair, and its reason.

    The free booths are those of `store.free_booths` (neither blocked nor held nor assigned), read as codes only:
    the fair's booths, converted once (their plan does not change during a scenario), are looked up by code.
    Building 2,000 ORM rows per approval was most of the test's CPU. `same_as_store` proves both readings agree.
    """

    def __init__(self, booths: dict[str, floorplan.Booth]) -> None:
        self.booths = booths

    @classmethod
    async def of(cls, session: Any, fair_id: str) -> WholeFair:
        rows = await session.exec(select(StandardBooth).where(StandardBooth.fair_id == fair_id))
        return cls({row.code: store.to_plan_booth(row) for row in rows.all()})

    async def free_codes(self, session: Any, fair_id: str) -> set[str]:
        taken = select(Assignment.booth_code).where(Assignment.fair_id == fair_id,
                                                    col(Assignment.released_at).is_(None))
        rows = await session.exec(select(StandardBooth.code).where(
            StandardBooth.fair_id == fair_id, col(StandardBooth.blocked).is_(False),
            col(StandardBooth.code).not_in(taken)))
        return set(rows.all())

    async def same_as_store(self, session: Any, fair_id: str) -> None:
        """The free booths read here are store.free_booths' (the same booths, the same attributes)."""
        free = await store.free_booths(session, fair_id)
        mine = await self.free_booths(session, fair_id)
        assert len(mine) == len(free) and {b.code: b for b in mine} == {b.code: b for b in free}

    async def free_booths(self, session: Any, fair_id: str) -> list[floorplan.Booth]:
        return [self.booths[code] for code in sorted(await self.free_codes(session, fair_id))]

    async def heuristic(self, session: Any, approval: RegistrationApproved, wants_corner: bool
                        ) -> tuple[tuple[str, ...], str]:
        request = store.to_request(BoothRequest(
            registration_id=approval.registration_id, fair_id=approval.fair_id, exhibitor_id=approval.exhibitor_id,
            booths_requested=approval.booths_requested, sector=approval.sector,
            province_code=approval.exhibitor.province_code, priority_score=approval.priority_score,
            wants_corner=wants_corner))
        instance = Instance(booths=tuple(await self.free_booths(session, approval.fair_id)),
                            zones=tuple(await store.zones_of(session, approval.fair_id)), requests=(request,))
        area = instance.area(request)
        block = place_one(instance, request)
        if block is None:
            pool = instance.area_booths(area)
            return (), unmet_reason(request, area, pool, ever_free=len(pool))
        return tuple(b.code for b in block), assigned_reason(request, area, block, with_priority=False)


class TestApprovalsOnALargeFair:
    # The PostgreSQL pass runs the batched variant only: the same queries as one approval per transaction, more
    # events per batch (each variant is the suite's costliest service test: the oracle places over the whole fair).
    @pytest.mark.parametrize("per_transaction", [
        pytest.param(1, marks=pytest.mark.sqlite_only(reason="the batched variant runs on PostgreSQL")), 6])
    async def test_each_approval_gets_what_the_whole_fair_heuristic_gives(self, app, per_transaction):
        ctx = app.state.booths
        async with running_app(app) as client:
            fair_id = await large_fair(app, client)
            events = scenario(fair_id, seed=per_transaction, steps=150)
            async with ctx.unit_of_work() as uow:
                oracle = await WholeFair.of(uow.session, fair_id)
            outcomes = []
            for first in range(0, len(events), per_transaction):
                async with ctx.unit_of_work() as uow:  # one consumer batch
                    for kind, event in events[first:first + per_transaction]:
                        if kind == "cancel":
                            await reactions.release_booths(uow=uow, ctx=ctx, event=cancelled(event))
                            continue
                        if kind == "approve-corner":  # stated before approval, as an exhibitor's preference
                            uow.session.add(BoothRequest(registration_id=event.registration_id, fair_id=fair_id,
                                                     exhibitor_id=event.exhibitor_id, booths_requested=1,
                                                     wants_corner=True))
                        expected = await oracle.heuristic(uow.session, event, kind == "approve-corner")
                        request = await reactions.approve(uow=uow, ctx=ctx, event=event)
                        got = [row.booth_code for row in await store.claims_of(uow.session, event.registration_id)]
                        assert (tuple(got), request.reason) == expected, (kind, event)
                        outcomes.append((kind, event, expected))
                    if first == 0 or first + per_transaction >= len(events):
                        await oracle.same_as_store(uow.session, fair_id)
        met = [codes for _, _, (codes, _) in outcomes if codes]
        unmet = " ".join(reason for _, _, (codes, reason) in outcomes if not codes)
        # The scenario reached every kind of outcome worth comparing.
        assert len(met) > 60 and {len(codes) for codes in met} == {1, 2, 3, 4}
        assert any(kind == "approve-corner" and "corner booth as wished" in reason
                   for kind, _, (codes, reason) in outcomes if codes)
        assert any(code.startswith("H1-A") for codes in met for code in codes)  # the pavilion
        assert any(code.startswith("H2-D0") for codes in met for code in codes)  # the shared bamboo zone
        assert not {code for codes in met for code in codes} & set(BLOCKED)
        # The small zones filled up: nothing free, too few, or none side by side.
        assert all(why in unmet for why in ("no free booth in the", "not enough free booths", "adjacent free booths"))

    async def test_one_batch_sees_what_its_earlier_events_took_and_freed(self, app):
        ctx = app.state.booths
        async with running_app(app) as client:
            fair_id = await large_fair(app, client)
            async with ctx.unit_of_work() as uow:
                oracle = await WholeFair.of(uow.session, fair_id)
            crafts, bamboo = {"sector": "Thủ công mỹ nghệ"}, {"sector": "mây tre đan"}
            first_bamboo = approved(fair_id, 1, **bamboo)
            steps = [approved(fair_id, 3, **crafts), first_bamboo, approved(fair_id, 4, **crafts),
                     approved(fair_id, 1, **bamboo), cancelled(first_bamboo), approved(fair_id, 1, **bamboo)]
            got = []
            async with ctx.unit_of_work() as uow:  # one consumer batch
                for event in steps:
                    if isinstance(event, RegistrationCancelled):
                        await reactions.release_booths(uow=uow, ctx=ctx, event=event)
                        continue
                    expected = await oracle.heuristic(uow.session, event, False)
                    request = await reactions.approve(uow=uow, ctx=ctx, event=event)
                    got.append(tuple(r.booth_code for r in await store.claims_of(uow.session, event.registration_id)))
                    assert (got[-1], request.reason) == expected
                await oracle.same_as_store(uow.session, fair_id)
        # The bamboo zone (H2-D01–D08, an aisle after D05) is shared by crafts: a perfect fit for three, then
        # for four once bamboo took D01; full for the next bamboo exhibitor, until a cancellation frees D01.
        assert got == [("H2-D06", "H2-D07", "H2-D08"), ("H2-D01",), ("H2-D02", "H2-D03", "H2-D04", "H2-D05"), (),
                       ("H2-D01",)]


class TestFromOneTransactionToTheNext:
    """After a transaction of approvals the process keeps the fair's stretches; anything else that changes the
    fair — here through another process on the same database — or a rollback must not leave them stale."""

    async def test_an_approval_sees_what_another_process_changed_since(self, settings_for, booths_redis_url):  # noqa: F811
        first, second = make_app(settings_for, booths_redis_url), make_app(settings_for, booths_redis_url)
        async with running_app(first), running_app(second) as other:
            fair = await published_fair(first)  # rows A–G of 10 booths, A01 and A10 corners
            pair, single, again = approved(fair.fair_id, 2), approved(fair.fair_id, 1), approved(fair.fair_id, 2)
            await deliver(first, pair)  # A01–A02; the first process keeps row A as A03–A10
            res = await other.post(f"/fairs/{fair.fair_id}/booths/block", json={"booth_codes": ["A03"]},
                                   headers=token(second.state.settings, "organizer", centre_id=CENTRE))
            assert res.status_code == 200, res.text
            await deliver(first, single)  # the end of row A that is no corner: A04 now, not the blocked A03
            await deliver(second, cancelled(pair))  # A01–A02 free again
            await deliver(first, again)  # a perfect fit there
        assigned = {p["registration_id"]: p["booth_codes"] for _, _, p in await emitted(first, "booths.assigned")}
        assert assigned == {pair.registration_id: ["A01", "A02"], single.registration_id: ["A04"],
                            again.registration_id: ["A01", "A02"]}

    async def test_a_placement_rolled_back_leaves_nothing_behind(self, settings_for, booths_redis_url):  # noqa: F811
        first, second = make_app(settings_for, booths_redis_url), make_app(settings_for, booths_redis_url)
        ctx = first.state.booths
        async with running_app(first), running_app(second) as other:
            fair = await published_fair(first)
            await deliver(first, approved(fair.fair_id, 2))  # A01–A02
            lost, kept = approved(fair.fair_id, 3), approved(fair.fair_id, 3)
            with pytest.raises(RuntimeError, match="the batch failed"):
                async with ctx.unit_of_work() as uow:
                    await reactions.approve(uow=uow, ctx=ctx, event=lost)  # A03–A05, then rolled back
                    await uow.session.flush()  # as a later event of the batch would, reading something
                    raise RuntimeError("the batch failed")
            # Another process writes the fair's next audit entry (on SQLite it takes the rolled-back one's id).
            res = await other.post(f"/fairs/{fair.fair_id}/booths/block", json={"booth_codes": ["G10"]},
                                   headers=token(second.state.settings, "organizer", centre_id=CENTRE))
            assert res.status_code == 200, res.text
            await deliver(first, kept)
        [_, second_pair] = [p for _, _, p in await emitted(first, "booths.assigned")]
        assert (second_pair["registration_id"], second_pair["booth_codes"]) == (kept.registration_id,
                                                                                ["A03", "A04", "A05"])
