"""Booths' event reactions on the kernel's RecordingUnitOfWork: what they emit and what waits for the commit,
on a database of their own, without an outbox, a broker or Redis; times come from the context's clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from services.booths.adapters.live import LiveFeed
from services.booths.models import TABLES, Assignment, BoothRequest
from services.booths.service import reactions
from services.booths.service.store import Context
from services.booths.settings import BoothsSettings
from shared.contracts.booths import BoothsAssigned, FloorplanPublished
from shared.db import Database
from shared.uow import RecordingUnitOfWork
from tests.service.booths_support import FakeClock, approved, fair_published


async def _context(tmp_path: Path, clock: FakeClock) -> Context:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/booths.db", source="/services/booths")
    await db.create_tables(TABLES)
    no_redis: Any = None  # nothing here reaches Redis: the live update waits for a commit that never comes
    return Context(db=db, redis=no_redis, feed=LiveFeed(no_redis), settings=BoothsSettings(), clock=clock)


async def test_a_published_fair_gets_its_plan_once_and_one_event(tmp_path: Path) -> None:
    ctx = await _context(tmp_path, FakeClock())
    fair = fair_published()
    async with ctx.db.transaction() as session:
        uow = RecordingUnitOfWork(session)
        built = await reactions.build_floorplan(uow=uow, event=fair)
        again = await reactions.build_floorplan(uow=uow, event=fair)  # a replay changes nothing
    assert built is not None and again is None
    [event] = uow.emitted
    assert isinstance(event, FloorplanPublished) and event.booth_count == 70 and event.booth_codes[0] == "A01"
    await ctx.db.dispose()


async def test_an_approval_in_an_automatic_fair_is_placed_at_the_clocks_time(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2027, 1, 15, 8, 30, tzinfo=UTC))
    ctx = await _context(tmp_path, clock)
    fair = fair_published()
    approval = approved(fair.fair_id, 2)
    async with ctx.db.transaction() as session:
        uow = RecordingUnitOfWork(session)
        await reactions.build_floorplan(uow=uow, event=fair)
        request = await reactions.approve(uow=uow, ctx=ctx, event=approval)
        rows = (await session.exec(select(Assignment).where(
            Assignment.registration_id == approval.registration_id))).all()
    assert request.status == "assigned" and isinstance(request, BoothRequest)
    assert sorted(row.booth_code for row in rows) == ["A01", "A02"]
    assert {row.assigned_at for row in rows} == {clock.now}
    assigned = [e for e in uow.emitted if isinstance(e, BoothsAssigned)]
    assert [(e.booth_codes, e.operation, e.corner_count) for e in assigned] == [(["A01", "A02"], "automatic", 1)]
    assert len(uow.pending) == 1  # the live map's update runs only after a commit
    await ctx.db.dispose()
