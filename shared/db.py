"""Async database engine and sessions: a SQLite file by default, PostgreSQL by URL, the same code."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import aiosqlite
import structlog
from sqlalchemy import Column, DateTime, Table, TypeDecorator, event
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from shared.uow import SqlUnitOfWork

log = structlog.get_logger()


def make_engine(url: str, *, writer: bool = True) -> AsyncEngine:
    """An async engine. On SQLite (WAL, busy timeout): a writer engine begins IMMEDIATE (takes the write lock
    up front, so read-then-write use cases serialise like SELECT FOR UPDATE); a reader engine begins deferred,
    so a read never waits for a writer (WAL gives it a snapshot)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=60)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # Readers keep up to 30 connections open (each an aiosqlite thread): a smaller pool opened and closed a
    # connection, a thread, for most reads above 10 at once.
    file = parsed.database if parsed.database and parsed.database != ":memory:" and not parsed.query else None
    engine = create_async_engine(url, connect_args={"timeout": 30}, pool_size=5 if writer else 30,
                                 max_overflow=5 if writer else 30, pool_timeout=60,
                                 **({"async_creator": _connector(file, writer=writer)} if file else {}))
    _configure_sqlite(engine, immediate=writer)
    return engine


class _FewerHops(aiosqlite.Connection):
    """aiosqlite runs every call on the connection's own thread, so one statement costs four thread round trips
    (open a cursor, execute, fetch, close), each a queue hand-off, a switch of the GIL and a wake-up of the event
    loop through its self-pipe: in py-spy profiles of the saga at 50/s the hand-offs were 10–40 % of a consuming
    service's busy samples.

    Here only what may wait runs on the connection's thread: BEGIN IMMEDIATE while another process holds the
    write lock (it is first tried here with no busy wait, and only waited for there when refused), COMMIT (it may
    checkpoint the WAL: file writes and an fsync), and any statement outside a transaction that holds the write
    lock other than a read. Everything else runs in the caller's thread, where it cannot block: opening and
    closing cursors and fetching rows; a SELECT outside a write transaction (with WAL a reader never waits for a
    writer); and, once BEGIN IMMEDIATE has taken the write lock, the statements of that transaction (no other
    writer can be in the way) and a rollback. A transaction of three statements is then one hop instead of five,
    a read none. The calls of one connection never overlap: SQLAlchemy awaits each
    before the next, and sqlite3 is built serialized (threadsafety 3)."""

    _write_locked = False  # BEGIN IMMEDIATE succeeded and no COMMIT or ROLLBACK since
    _wrote_unlocked = False  # a statement other than a read ran outside a write lock: its COMMIT may wait
    reads_here = False  # set once the file is known to be in WAL mode (without WAL a reader may wait for a writer)
    _busy_timeout_ms: int | None = None  # the connection's own, read at its first write
    checkpoints: _Checkpoints | None = None  # a writer's connection in WAL mode: its commits run here

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        owner = getattr(fn, "__self__", None)
        name = getattr(fn, "__name__", "")
        if isinstance(owner, sqlite3.Cursor):
            if name in _CURSOR_CALLS_HERE:
                return fn(*args, **kwargs)
            if name in ("execute", "executemany") and args and isinstance(args[0], str):
                return await self._statement(fn, args[0], *args, **kwargs)
        elif isinstance(owner, sqlite3.Connection):
            if name == "cursor":
                return fn(*args, **kwargs)
            if name in ("commit", "rollback"):
                return await self._ending(fn, name, *args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    async def _statement(self, fn: Callable[..., Any], sql: str, *args: Any, **kwargs: Any) -> Any:
        verb = sql.lstrip()[:16].upper()
        if verb.startswith(("COMMIT", "END", "ROLLBACK")) and not verb.startswith("ROLLBACK TO"):
            return await self._ending(partial(fn, *args, **kwargs), "commit" if verb[0] != "R" else "rollback")
        if self._write_locked:
            return fn(*args, **kwargs)
        if self.reads_here and not self._wrote_unlocked and (
                verb.startswith("SELECT") or verb.rstrip(" ;") in ("BEGIN", "BEGIN DEFERRED")):
            done, result = self._here_without_waiting(fn, *args, **kwargs)
            if done:
                return result
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        if verb.startswith("BEGIN IMMEDIATE") and self.reads_here and not self._wrote_unlocked:
            taken, result = self._begin_if_free(fn, *args, **kwargs)
            if taken:
                self._write_locked = True
                return result
        result = await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        if verb.startswith(("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")):
            self._write_locked = True
        elif not verb.startswith(("SELECT", "BEGIN")) and self._connection is not None \
                and self._connection.in_transaction:  # outside a transaction (a PRAGMA) nothing is left to commit
            self._wrote_unlocked = True
        return result

    def _here_without_waiting(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """A read in the caller's thread with SQLite's busy timeout at 0. With WAL a reader almost never waits,
        but it can (a connection cleaning up the WAL as it closes, a recovery): then (False, None), and the caller
        waits on the connection's thread, never in the event loop's. A CI run saw the loop stopped for 5 s."""
        return self._without_busy_wait(fn, *args, **kwargs)

    def _begin_if_free(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """BEGIN IMMEDIATE here when the write lock is free (the usual case: this process's writers already queue
        on an asyncio lock), without waiting: SQLite's busy timeout is 0 for the attempt. Taken by another
        process: (False, None), and the caller waits for it on the connection's thread as before."""
        return self._without_busy_wait(fn, *args, **kwargs)

    def _without_busy_wait(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """Run `fn` here with SQLite's busy timeout at 0: (True, its result), or (False, None) when SQLite was
        busy (nothing was done: the caller runs it again on the connection's thread, with the usual timeout)."""
        connection = self._connection
        assert connection is not None
        if self._busy_timeout_ms is None:
            self._busy_timeout_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
        connection.execute("PRAGMA busy_timeout=0")
        try:
            return True, fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) != sqlite3.SQLITE_BUSY:
                raise
            return False, None
        finally:
            connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms:d}")

    async def _ending(self, fn: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
        """A rollback, the end of a read, and the COMMIT of a writer's transaction that took the write lock up
        front, here; any other COMMIT on the connection's thread. A COMMIT in WAL mode appends to the WAL without
        waiting for anyone; what could take long after it, a checkpoint, is off on a writer's connection and runs
        on a thread of its own instead (`_Checkpoints`). The hop saved was 15–20 % of a one-statement
        transaction's CPU."""
        wrote = self._write_locked or self._wrote_unlocked
        try:
            if name == "rollback" or not wrote:
                return fn(*args, **kwargs)
            if self.checkpoints is not None and self._write_locked and not self._wrote_unlocked:
                result = fn(*args, **kwargs)
                self.checkpoints.committed()
                return result
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        finally:
            connection = self._connection
            if connection is None or not connection.in_transaction:
                self._write_locked = self._wrote_unlocked = False


_CURSOR_CALLS_HERE = frozenset({"fetchone", "fetchmany", "fetchall", "close"})


class _Checkpoints:
    """The WAL checkpoints of one database file, off the event loop: a writer's connection does none itself
    (`wal_autocheckpoint=0`, so its COMMIT never copies pages back and syncs the file in the loop's thread);
    every `every` commits of the file, a PASSIVE checkpoint runs on a worker thread over a connection opened for
    it (it waits for no one: pages a reader still needs are left for the next one). SQLite's own default is a
    checkpoint about every 1,000 pages; this is every 200 commits, a few MB of WAL at most between two."""

    _by_path: ClassVar[dict[str, _Checkpoints]] = {}

    def __init__(self, path: str, every: int = 200) -> None:
        self.path, self.every = path, every
        self._since = 0
        self._running = False

    @classmethod
    def of(cls, path: str) -> _Checkpoints:
        found = cls._by_path.get(path)
        if found is None:
            found = cls._by_path[path] = cls(path)
        return found

    def committed(self) -> None:
        """Count a commit; start a checkpoint when `every` have gathered and none is running."""
        self._since += 1
        if self._since < self.every or self._running:
            return
        self._since, self._running = 0, True
        future = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        future.add_done_callback(self._done)

    def _checkpoint(self) -> tuple[int, int, int]:
        connection = sqlite3.connect(self.path, timeout=0)
        try:
            busy, wal_pages, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            return int(busy), int(wal_pages), int(copied)
        finally:
            connection.close()

    def _done(self, future: asyncio.Future[tuple[int, int, int]]) -> None:
        self._running = False
        if not future.cancelled() and future.exception() is not None:
            log.warning("sqlite.checkpoint_failed", path=self.path, error=repr(future.exception()))


def _connector(path: str, *, writer: bool) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    """Opens `path` as aiosqlite would (timeout 30 s), as a `_FewerHops` connection usable from the loop's thread;
    a writer's connection in WAL mode leaves its checkpoints to `_Checkpoints`."""
    async def connect() -> aiosqlite.Connection:
        connection = _FewerHops(partial(sqlite3.connect, path, timeout=30, check_same_thread=False), 64)
        connection._thread.daemon = True  # as SQLAlchemy's own aiosqlite connect does
        await connection
        async with connection.execute("PRAGMA journal_mode=WAL") as cursor:
            mode = await cursor.fetchone()
        connection.reads_here = mode is not None and str(mode[0]).lower() == "wal"
        if writer and connection.reads_here:
            await connection.execute("PRAGMA wal_autocheckpoint=0")
            connection.checkpoints = _Checkpoints.of(str(Path(path).resolve()))
        return connection
    return connect


def _configure_sqlite(engine: AsyncEngine, *, immediate: bool) -> None:
    # pysqlite's own transaction handling is switched off (isolation_level=None) and we emit BEGIN ourselves:
    # IMMEDIATE for writers (no lost update between a read and a write), plain deferred BEGIN for readers.
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives a crash of the process (what the outbox/inbox need); only a power
        # loss may lose the last commits. FULL would fsync every commit and cap a consumer at ~35 events/s.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep objects usable after commit (no lazy reloads in async code)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_tables(engine: AsyncEngine, models: Sequence[type[SQLModel]]) -> None:
    """Create the given tables (a service creates only its own, plus the outbox and inbox)."""
    tables: list[Table] = [model.__table__ for model in models]  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=tables)


_in_transaction: ContextVar[bool] = ContextVar("hangviet_in_transaction", default=False)


class Database:
    """A service's database: its engines, its sessions, and one transaction per use case.

    `sessions()` is for reads; `transaction()` for a unit of work that writes. On SQLite the two use separate
    pools: reads begin deferred and never wait for a writer, and writers of one process queue on an asyncio
    lock instead of each holding a pooled connection blocked in SQLite's busy wait (another process's writer
    is still waited for by SQLite's busy timeout). On PostgreSQL both are the same engine.
    """

    def __init__(self, url: str, *, source: str | None = None) -> None:
        self.url = url
        self.source = source  # the CloudEvents source of the events its units of work emit
        self.engine = make_engine(url)
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.read_engine = make_engine(url, writer=False) if self.is_sqlite else self.engine
        self.sessions = make_session_factory(self.read_engine)
        self.write_sessions = make_session_factory(self.engine)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._on_events_committed: list[Callable[[], None]] = []

    def on_events_committed(self, callback: Callable[[], None]) -> None:
        """Call `callback` after each commit that staged outbox events (the relay's wake-up)."""
        self._on_events_committed.append(callback)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block ends, rolls back if it raises."""
        if self._write_lock is None or _in_transaction.get():
            async with self._transaction() as session:
                yield session
            return
        async with self._write_lock:
            token = _in_transaction.set(True)
            try:
                async with self._transaction() as session:
                    yield session
            finally:
                _in_transaction.reset(token)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.write_sessions() as session:
            async with session.begin():
                yield session
            if session.info.pop("outbox_pending", False):
                for callback in self._on_events_committed:
                    callback()

    def joined(self, session: AsyncSession) -> SqlUnitOfWork:
        """A unit of work over a session of this database opened elsewhere (a consumer's or a group commit's
        batch): its events go to this database's outbox under its source."""
        from shared.uow import SqlUnitOfWork  # the unit of work stages outbox rows; the outbox imports this module

        return SqlUnitOfWork(session, source=self.source)

    @asynccontextmanager
    async def unit_of_work(self, *, source: str | None = None) -> AsyncIterator[SqlUnitOfWork]:
        """`transaction()` as a unit of work: `uow.session`, `uow.emit(event)`, `uow.after_commit(fn)`."""
        from shared.uow import SqlUnitOfWork  # the unit of work stages outbox rows; the outbox imports this module

        emitter = source or self.source
        if emitter is None:
            raise RuntimeError("Database has no event source: pass source= to Database() or unit_of_work()")
        async with self.transaction() as session:
            yield SqlUnitOfWork(session, source=emitter)

    async def create_tables(self, models: Sequence[type[SQLModel]]) -> None:
        """Create the service's tables."""
        await create_tables(self.engine, models)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    """A SQLModel `sa_column` for an aware UTC datetime."""
    return Column(UtcDateTime(), nullable=nullable, index=index)


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)
