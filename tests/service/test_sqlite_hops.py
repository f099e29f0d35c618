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

from shared.db import _FewerHops, make_engine

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
