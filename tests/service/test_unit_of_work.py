"""The kernel's unit of work on a real database (SQLite, and PostgreSQL when set): events staged with the rows,
actions after commit only, insert_ignore on both dialects."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Field, SQLModel, select

from shared.contracts.markets import SessionCancelled
from shared.db import Database
from shared.messaging import KERNEL_TABLES
from shared.outbox import OutboxMessage, add_event
from shared.uow import RecordingUnitOfWork, insert_ignore, new_id


class Thing(SQLModel, table=True):
    """A row with a natural key."""

    __tablename__ = "test_uow_things"
    id: str = Field(primary_key=True)
    name: str = Field(unique=True)


def cancelled() -> SessionCancelled:
    return SessionCancelled(programme_id="p1", session_id="s1", reason="mưa lũ")


@pytest.fixture
async def db(database_url):
    database = Database(database_url, source="/tests/uow")
    await database.create_tables([*KERNEL_TABLES, Thing])
    yield database
    await database.dispose()


async def test_emitted_events_and_rows_commit_together_with_the_bound_source(db):
    async with db.unit_of_work() as uow:
        uow.session.add(Thing(id=new_id(), name="a"))
        uow.emit(cancelled())
    async with db.sessions() as session:
        rows = (await session.exec(select(OutboxMessage))).all()
        assert [(r.event_type, r.header_dict()["ce_source"]) for r in rows] == [
            ("vn.hangviet.session.cancelled.v1", "/tests/uow")]
        assert len((await session.exec(select(Thing))).all()) == 1


async def test_events_alone_are_written_at_the_commit_in_the_order_they_were_staged(db):
    """Staged rows are no ORM objects (no flush would write them): the commit writes them, ids in staging order;
    a session that rolled back and began again writes only what its new transaction staged."""
    events = [SessionCancelled(programme_id="p1", session_id=f"s{n}", reason="mưa lũ") for n in range(5)]
    async with db.unit_of_work() as uow:
        staged = [add_event(uow.session, e, source="/tests/uow") for e in events]
    async with db.write_sessions() as session:
        async with session.begin():
            add_event(session, cancelled(), source="/tests/uow")
            await session.rollback()
        async with session.begin():
            last = add_event(session, events[0], source="/tests/uow")
    async with db.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()  # type: ignore[arg-type]
    assert [r.event_id for r in rows] == [s.event_id for s in staged] + [last.event_id]
    assert [json.loads(r.payload)["session_id"] for r in rows] == ["s0", "s1", "s2", "s3", "s4", "s0"]
    assert all(r.sent_at is None and r.attempts == 0 for r in rows)


async def test_a_rollback_drops_the_events_and_the_after_commit_actions(db):
    ran: list[str] = []
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as uow:
            uow.emit(cancelled())
            uow.after_commit(lambda: ran.append("x"))
            raise RuntimeError("the use case failed")
    async with db.sessions() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []
    assert ran == []


async def test_after_commit_actions_run_once_in_order_after_the_commit(db):
    seen: list[tuple[str, int]] = []

    async def rows() -> int:
        async with db.sessions() as session:
            return len((await session.exec(select(Thing))).all())

    committed: list[int] = []
    async with db.unit_of_work() as uow:
        uow.session.add(Thing(id=new_id(), name="b"))
        uow.after_commit(lambda: seen.append(("first", 0)))
        uow.after_commit(lambda: seen.append(("second", 0)))
        uow.after_commit(lambda: committed.append(1))
        assert seen == []
    assert seen == [("first", 0), ("second", 0)] and committed == [1]
    assert await rows() == 1


async def test_a_failing_after_commit_action_does_not_stop_the_others(db):
    seen: list[str] = []
    async with db.unit_of_work() as uow:
        uow.after_commit(lambda: 1 / 0)
        uow.after_commit(lambda: seen.append("ran"))
    assert seen == ["ran"]


async def test_a_database_without_a_source_refuses_a_unit_of_work(database_url):
    database = Database(database_url)
    try:
        with pytest.raises(RuntimeError, match="source"):
            async with database.unit_of_work():
                pass
    finally:
        await database.dispose()


async def test_insert_ignore_skips_rows_that_collide_on_the_key(db):
    async with db.transaction() as session:
        assert await insert_ignore(session, Thing, {"id": "1", "name": "x"}, index_elements=["name"]) == 1
    async with db.transaction() as session:
        inserted = await insert_ignore(session, Thing, [{"id": "2", "name": "x"}, {"id": "3", "name": "y"}],
                                       index_elements=["name"])
        assert inserted == 1
        assert await insert_ignore(session, Thing, [], index_elements=["name"]) == 0
    async with db.sessions() as session:
        assert sorted((t.id, t.name) for t in (await session.exec(select(Thing))).all()) == [("1", "x"), ("3", "y")]


async def test_the_recording_unit_of_work_keeps_what_a_use_case_emitted(db):
    async with db.sessions() as session:
        uow = RecordingUnitOfWork(session)
        ran: list[int] = []
        uow.emit(cancelled())
        uow.after_commit(lambda: ran.append(1))
        assert [type(e) for e in uow.emitted] == [SessionCancelled] and ran == []
        uow.run_after_commit()
        assert ran == [1] and uow.pending == []


def test_new_ids_are_32_hex_and_distinct():
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
