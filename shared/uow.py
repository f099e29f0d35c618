"""The unit of work a use case runs in: one transaction, the events it stages, what runs once it commits.

`Database.unit_of_work()` opens one for a command; an event handler gets its consumer's session and wraps it with
`SqlUnitOfWork(session, source=...)`. Use cases are typed against the `UnitOfWork` protocol, so a service-layer
test can hand them a `RecordingUnitOfWork` and read what they emitted without an outbox or a relay.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, Protocol

import structlog
from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.base import Event
from shared.outbox import add_event

log = structlog.get_logger()

AfterCommit = Callable[[], object]

_AFTER_COMMIT = "uow.after_commit"


def new_id() -> str:
    """A new row id: 32 hex characters of a random UUID."""
    return uuid.uuid4().hex


class UnitOfWork(Protocol):
    """What a use case may do besides reading and writing rows through `session`."""

    session: AsyncSession

    def emit(self, event: Event) -> None:
        """Stage `event`: it is published if and only if the transaction commits."""

    def after_commit(self, action: AfterCommit) -> None:
        """Run `action` once the transaction has committed (never if it rolls back)."""


class SqlUnitOfWork:
    """A unit of work over one SQLAlchemy session: events go to the outbox table in the same transaction."""

    def __init__(self, session: AsyncSession, *, source: str | None) -> None:
        self.session = session
        self.source = source  # None: a database built without one (a service that emits nothing, a test)

    def emit(self, event: Event) -> None:
        """Stage `event` in the outbox, in this transaction."""
        if self.source is None:
            raise RuntimeError("Database has no event source: pass source= to Database()")
        add_event(self.session, event, source=self.source)

    def after_commit(self, action: AfterCommit) -> None:
        """Run `action` after the commit of this session's transaction (dropped on rollback)."""
        after_commit(self.session, action)


class RecordingUnitOfWork:
    """A unit of work for service-layer tests: `emitted` lists the events, `run_after_commit()` runs the actions
    a commit would run. Rows still go through `session` (an in-memory SQLite database is enough)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.emitted: list[Event] = []
        self.pending: list[AfterCommit] = []

    def emit(self, event: Event) -> None:
        """Record `event`."""
        self.emitted.append(event)

    def after_commit(self, action: AfterCommit) -> None:
        """Keep `action` until `run_after_commit()`."""
        self.pending.append(action)

    def run_after_commit(self) -> None:
        """Run the kept actions, as a commit would."""
        actions, self.pending = self.pending, []
        for action in actions:
            action()


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run `action` after `session`'s transaction commits; a rollback drops it. One listener per transaction."""
    actions: list[AfterCommit] = session.info.setdefault(_AFTER_COMMIT, [])
    actions.append(action)
    if len(actions) > 1:
        return

    def fire(sync_session: Session) -> None:
        for pending in list(sync_session.info.pop(_AFTER_COMMIT, [])):
            try:
                pending()
            except Exception:  # an after-commit action must not undo a committed transaction's caller
                log.exception("uow.after_commit_failed")

    def forget(sync_session: Session, *_: Any) -> None:
        sync_session.info.pop(_AFTER_COMMIT, None)

    sa_event.listen(session.sync_session, "after_commit", fire, once=True)
    sa_event.listen(session.sync_session, "after_rollback", forget, once=True)


async def insert_ignore(session: AsyncSession, model: type[SQLModel],
                        values: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
                        index_elements: Sequence[str]) -> int:
    """INSERT rows, skipping those that collide on `index_elements` (PostgreSQL and SQLite alike); returns how
    many were inserted. The rows go as parameters of one statement, never inlined with `.values(rows)`: a
    multi-VALUES statement has no cache key, so SQLAlchemy compiled it again on every call (a fifth of a
    consumer's CPU)."""
    rows = [dict(values)] if isinstance(values, Mapping) else [dict(v) for v in values]
    if not rows:
        return 0
    table: Any = model.__table__  # type: ignore[attr-defined]
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    statement = _insert_ignoring(table, dialect, tuple(index_elements))
    if len(rows) == 1:
        result = await session.exec(statement, params=rows[0])
        return int(getattr(result, "rowcount", 0) or 0)
    # several rows: counted by RETURNING (an executemany's rowcount is -1 on asyncpg)
    returned = await session.exec(statement.returning(*table.primary_key.columns), params=rows)
    return len(returned.all())


@cache
def _insert_ignoring(table: Any, dialect: str, index_elements: tuple[str, ...]) -> Any:
    """The INSERT that skips rows colliding on `index_elements`, built once per table, dialect and key."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))
    return insert(table)  # pragma: no cover - only the two dialects are supported
