"""shared.db on a SQLite file: opening, fetching from and closing a cursor run in the caller's thread (no hop to
the connection's thread and back), statements still on the connection's thread; transactions behave as before."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from shared.db import Database, _Checkpoints, _FewerHops, make_engine

CALLS: list[tuple[str, bool]] = []  # (call, ran in the caller's thread)


class _TracedCursor(sqlite3.Cursor):
    def execute(self, *args: Any) -> Any:
        CALLS.append(("execute", threading.current_thread() is threading.main_thread()))
        return super().execute(*args)

    def fetchall(self) -> list[Any]:
        CALLS.append(("fetchall", threading.current_thread() is threading.main_thread()))
        return super().fetchall()

    def close(self) -> None:
        CALLS.append(("close", threading.current_thread() is threading.main_thread()))
        super().close()


class _TracedConnection(sqlite3.Connection):
    def cursor(self, factory: Any = _TracedCursor) -> Any:
        CALLS.append(("cursor", threading.current_thread() is threading.main_thread()))
        return super().cursor(factory)


@pytest.mark.asyncio
async def test_only_statements_hop_to_the_connection_thread(tmp_path: Path) -> None:
    connection = _FewerHops(partial(sqlite3.connect, str(tmp_path / "y.db"), check_same_thread=False,
                                    factory=_TracedConnection), 64)
    await connection
    try:
        CALLS.clear()
        cursor = await connection.cursor()
        await cursor.execute("CREATE TABLE t (v)")
        await cursor.execute("INSERT INTO t VALUES (1), (2)")
        await cursor.execute("SELECT v FROM t ORDER BY v")
        assert [r[0] for r in await cursor.fetchall()] == [1, 2]
        await cursor.close()
        assert CALLS == [("cursor", True), ("execute", False), ("execute", False), ("execute", False),
                         ("fetchall", True), ("close", True)]
        await connection.commit()
    finally:
        await connection.close()


@pytest.mark.asyncio
async def test_a_file_database_gets_the_connection_and_writers_still_serialise(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'z.db'}")
    try:
        async with engine.begin() as conn:
            assert isinstance((await conn.get_raw_connection()).driver_connection, _FewerHops)
            await conn.execute(text("CREATE TABLE c (n INTEGER)"))
            await conn.execute(text("INSERT INTO c VALUES (0)"))

        async def bump() -> None:
            async with engine.begin() as conn:
                n = (await conn.execute(text("SELECT n FROM c"))).scalar_one()
                await asyncio.sleep(0)
                await conn.execute(text("UPDATE c SET n = :n"), {"n": n + 1})

        await asyncio.gather(*(bump() for _ in range(20)))
        with pytest.raises(RuntimeError):
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE c SET n = -1"))
                raise RuntimeError("rolled back")
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT n FROM c"))).scalar_one() == 20
    finally:
        await engine.dispose()


class _TracedStatements(sqlite3.Connection):
    """Records each statement (its first word or two), commit and rollback with whether it ran in the caller's
    thread."""

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or _StatementCursor)

    def commit(self) -> None:
        CALLS.append(("commit", threading.current_thread() is threading.main_thread()))
        super().commit()

    def rollback(self) -> None:
        CALLS.append(("rollback", threading.current_thread() is threading.main_thread()))
        super().rollback()


class _StatementCursor(sqlite3.Cursor):
    def execute(self, sql: str, *args: Any) -> Any:
        words = sql.split()
        verb = " ".join(words[:2]) if words[0] == "BEGIN" else words[0]
        CALLS.append((verb, threading.current_thread() is threading.main_thread()))
        return super().execute(sql, *args)


def without_resets() -> list[tuple[str, bool]]:
    """The calls but the rollbacks, once every rollback is known to have run in the caller's thread."""
    assert all(here for call, here in CALLS if call == "rollback")
    return [c for c in CALLS if c[0] != "rollback"]


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite3, "connect", partial(sqlite3.connect, factory=_TracedStatements))


@pytest.mark.asyncio
@pytest.mark.usefixtures("traced")
async def test_what_cannot_wait_runs_in_the_callers_thread(tmp_path: Path) -> None:
    """A write transaction does not hop (BEGIN IMMEDIATE is taken here, with no busy wait, when no other process
    holds the lock; its COMMIT only appends to the WAL: checkpoints run elsewhere); a read (WAL) and a rollback
    do not hop either."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        async with db.transaction() as session:
            await session.exec(text("CREATE TABLE c (n INTEGER)"))  # type: ignore[call-overload]
        CALLS.clear()
        async with db.transaction() as session:
            await session.exec(text("INSERT INTO c VALUES (1)"))  # type: ignore[call-overload]
            assert (await session.exec(text("SELECT count(*) FROM c"))).one()[0] == 1  # type: ignore[call-overload]
        # (the pool's reset on return is a rollback with nothing to roll back: here too)
        assert without_resets() == [("BEGIN IMMEDIATE", True), ("INSERT", True), ("SELECT", True),
                                    ("commit", True)]
        async with db.sessions() as session:  # the reader's connection opened (its PRAGMAs hop)
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        CALLS.clear()
        async with db.sessions() as session:
            assert (await session.exec(text("SELECT n FROM c"))).one()[0] == 1  # type: ignore[call-overload]
        assert without_resets() == [("BEGIN", True), ("SELECT", True)]
        CALLS.clear()
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                await session.exec(text("INSERT INTO c VALUES (2)"))  # type: ignore[call-overload]
                raise RuntimeError("rolled back")
        assert CALLS[:3] == [("BEGIN IMMEDIATE", True), ("INSERT", True), ("rollback", True)]
        assert without_resets() == CALLS[:2]
        async with db.sessions() as session:
            assert (await session.exec(text("SELECT count(*) FROM c"))).one()[0] == 1  # type: ignore[call-overload]
    finally:
        await db.dispose()


@pytest.mark.asyncio
async def test_a_writer_waiting_for_another_process_does_not_stop_the_loop(tmp_path: Path) -> None:
    """Another process holds the write lock: our writer waits on its connection's thread while the event loop
    goes on and reads answer; it commits once the lock is let go."""
    path = tmp_path / "p.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        async with db.transaction() as session:
            await session.exec(text("CREATE TABLE c (n INTEGER)"))  # type: ignore[call-overload]
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO c VALUES (7)")

        async def write() -> None:
            async with db.transaction() as session:
                await session.exec(text("INSERT INTO c VALUES (8)"))  # type: ignore[call-overload]

        writer = asyncio.create_task(write())  # refused at once here, then waits on the connection's thread
        for _ in range(50):  # the loop turns, and reads answer, while the writer waits for the lock
            await asyncio.sleep(0)
            async with db.sessions() as session:
                assert (await session.exec(text("SELECT count(*) FROM c"))).one()[0] == 0  # type: ignore[call-overload]
        assert not writer.done()
        other.execute("COMMIT")
        await asyncio.wait_for(writer, 30)
        async with db.sessions() as session:
            rows = (await session.exec(text("SELECT n FROM c ORDER BY n"))).all()  # type: ignore[call-overload]
        assert [r[0] for r in rows] == [7, 8]
    finally:
        other.close()
        await db.dispose()


class _BusyOnceCursor(sqlite3.Cursor):
    """Refuses the first SELECT of table `busy_once` run in the caller's thread, as SQLite does when a reader
    would have to wait (SQLITE_BUSY with the busy timeout at 0)."""

    armed = False

    def execute(self, sql: str, *args: Any) -> Any:
        here = threading.current_thread() is threading.main_thread()
        if sql.lstrip().upper().startswith("SELECT") and "busy_once" in sql:
            CALLS.append(("SELECT", here))
            if here and _BusyOnceCursor.armed:
                _BusyOnceCursor.armed = False
                busy = sqlite3.OperationalError("database is locked")
                busy.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
                raise busy
        return super().execute(sql, *args)


class _BusyOnceConnection(sqlite3.Connection):
    def cursor(self, factory: Any = _BusyOnceCursor) -> Any:
        return super().cursor(factory)


@pytest.mark.asyncio
async def test_a_read_that_would_wait_waits_on_the_connection_thread_not_in_the_loop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With WAL a reader almost never waits, but it can (a connection cleaning up the WAL as it closes, a
    recovery). Such a read is tried in the loop's thread with no busy wait; refused, it runs again on its
    connection's thread (where waiting stops nothing else) and answers."""
    monkeypatch.setattr(sqlite3, "connect", partial(sqlite3.connect, factory=_BusyOnceConnection))
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    try:
        async with db.transaction() as session:
            await session.exec(text("CREATE TABLE busy_once (n INTEGER)"))  # type: ignore[call-overload]
            await session.exec(text("INSERT INTO busy_once VALUES (7)"))  # type: ignore[call-overload]
        async with db.sessions() as session:  # the reader's connection opened (its PRAGMAs hop)
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        CALLS.clear()
        async with db.sessions() as session:
            assert (await session.exec(text("SELECT n FROM busy_once"))).one()[0] == 7  # type: ignore[call-overload]
        assert CALLS == [("SELECT", True)]  # not refused: read in the loop's thread
        _BusyOnceCursor.armed = True
        CALLS.clear()
        async with db.sessions() as session:
            assert (await session.exec(text("SELECT n FROM busy_once"))).one()[0] == 7  # type: ignore[call-overload]
        assert CALLS == [("SELECT", True), ("SELECT", False)]  # refused here, then read on the thread
    finally:
        _BusyOnceCursor.armed = False
        await db.dispose()


@pytest.mark.asyncio
async def test_a_writer_never_checkpoints_itself_and_every_so_many_commits_a_checkpoint_runs_elsewhere(
        tmp_path: Path) -> None:
    """The writer's connection has SQLite's automatic checkpoint off (a COMMIT in the loop's thread must not copy
    the WAL back and sync the file); after `every` commits of the file a PASSIVE checkpoint runs on a worker
    thread and copies the whole WAL back."""
    path = tmp_path / "c.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    checkpoints = _Checkpoints.of(str(path.resolve()))
    checkpoints.every = 5
    try:
        async with db.transaction() as session:
            await session.exec(text("CREATE TABLE c (n INTEGER)"))  # type: ignore[call-overload]
            assert (await session.exec(text("PRAGMA wal_autocheckpoint"))).one()[0] == 0  # type: ignore[call-overload]
        ran = asyncio.get_running_loop().create_future()
        original = checkpoints._checkpoint

        def checkpoint() -> tuple[int, int, int]:
            result = original()
            ran.get_loop().call_soon_threadsafe(ran.set_result, (threading.current_thread(), result))
            return result

        checkpoints._checkpoint = checkpoint  # type: ignore[method-assign]
        for n in range(4):  # with the CREATE, five commits
            async with db.transaction() as session:
                await session.exec(text("INSERT INTO c VALUES (:n)"), params={"n": n})  # type: ignore[call-overload]
            assert not ran.done()
        thread, (busy, wal_pages, copied) = await asyncio.wait_for(ran, 30)
        assert thread is not threading.main_thread()
        assert busy == 0 and wal_pages > 0 and copied == wal_pages  # nothing left behind in the WAL
    finally:
        await db.dispose()
