"""A fair is locked (read) once per transaction: a batch of approvals of one fair asks for it once; the next
transaction reads it again, and an unknown fair is still a 404 every time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from services.booths.adapters.live import LiveFeed
from services.booths.models import TABLES
from services.booths.service import reactions, store
from services.booths.service.store import Context
from services.booths.settings import BoothsSettings
from shared.db import Database
from shared.errors import NotFound
from shared.uow import RecordingUnitOfWork
from tests.service.booths_support import FakeClock, approved, fair_published


async def test_the_fair_is_read_once_per_transaction(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/booths.db", source="/services/booths")
    await db.create_tables(TABLES)
    fair = fair_published()
    async with db.transaction() as session:
        await reactions.build_floorplan(uow=RecordingUnitOfWork(session), event=fair)
    reads: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM booth_fairs" in statement:
            reads.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with db.transaction() as session:
            first = await store.lock_fair(session, fair.fair_id)
            again = await store.lock_fair(session, fair.fair_id)
            with pytest.raises(NotFound):
                await store.lock_fair(session, "no-such-fair")
            with pytest.raises(NotFound):
                await store.lock_fair(session, "no-such-fair")
        assert first is again
        assert len(reads) == 3  # the fair once, the unknown one each time
        async with db.transaction() as session:
            await store.lock_fair(session, fair.fair_id)
        assert len(reads) == 4  # a new transaction locks it again
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        await db.dispose()


async def test_two_approvals_of_one_fair_in_one_transaction_get_different_booths(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/booths.db", source="/services/booths")
    await db.create_tables(TABLES)
    no_redis: Any = None  # nothing here reaches Redis: the live update waits for a commit
    ctx = Context(db=db, redis=no_redis, feed=LiveFeed(no_redis), settings=BoothsSettings(), clock=FakeClock())
    fair = fair_published()
    async with db.transaction() as session:
        uow = RecordingUnitOfWork(session)
        await reactions.build_floorplan(uow=uow, event=fair)
        first = await reactions.approve(uow=uow, ctx=ctx, event=approved(fair.fair_id, 2))
        second = await reactions.approve(uow=uow, ctx=ctx, event=approved(fair.fair_id, 2))
    assert first.status == second.status == "assigned"
    assigned = [e.booth_codes for e in uow.emitted if type(e).__name__ == "BoothsAssigned"]
    assert len(assigned) == 2 and not set(assigned[0]) & set(assigned[1])
    await db.dispose()
