"""Async database engine and sessions: a SQLite file by default, PostgreSQL by URL, the same code."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Table, TypeDecorator, event
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


def make_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and serialisable BEGIN IMMEDIATE transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})
    _make_sqlite_transactions_immediate(engine)
    return engine


def _make_sqlite_transactions_immediate(engine: AsyncEngine) -> None:
    # pysqlite's lazy BEGIN lets two writers read the same row then both write; BEGIN IMMEDIATE
    # takes the write lock up front, so read-then-write use cases are serialised like SELECT FOR UPDATE.
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep objects usable after commit (no lazy reloads in async code)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def create_tables(engine: AsyncEngine, models: Sequence[type[SQLModel]]) -> None:
    """Create the given tables (a service creates only its own, plus the outbox and inbox)."""
    tables: list[Table] = [model.__table__ for model in models]  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=tables)


class Database:
    """A service's database: its engine, its sessions, and one transaction per use case."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)
        self._on_events_committed: list[Callable[[], None]] = []

    def on_events_committed(self, callback: Callable[[], None]) -> None:
        """Call `callback` after each commit that staged outbox events (the relay's wake-up)."""
        self._on_events_committed.append(callback)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block ends, rolls back if it raises."""
        async with self.sessions() as session:
            async with session.begin():
                yield session
            if session.info.pop("outbox_pending", False):
                for callback in self._on_events_committed:
                    callback()

    async def create_tables(self, models: Sequence[type[SQLModel]]) -> None:
        """Create the service's tables."""
        await create_tables(self.engine, models)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


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
