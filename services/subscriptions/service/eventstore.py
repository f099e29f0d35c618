"""Reading the event store: the events a filter matches (replay, calendar feeds) and the raw sequence a
live stream walks. Matching here is the SQL twin of `domain.matching.matches` (tests hold them together)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, true
from sqlmodel import col, select

from services.subscriptions.domain import matching as rules
from services.subscriptions.models import StoredEvent
from shared.db import Database


def facts(row: StoredEvent) -> rules.EventFacts:
    """What matching needs to know about a stored event."""
    return rules.EventFacts(row.event_type, row.province_code, row.fair_id, row.programme_id, row.centre_id)


def _types_clause(patterns: Iterable[str]) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    for pattern in patterns:
        if pattern == rules.WILDCARD:
            return true()
        if pattern.endswith(".*"):
            clauses.append(col(StoredEvent.event_type).startswith(pattern[:-1], autoescape=True))
        else:
            clauses.append(col(StoredEvent.event_type) == pattern)
    return or_(*clauses) if clauses else false()


def matching(wanted: rules.Filter) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the events a filter wants."""
    clauses = [col(StoredEvent.province_code).in_(sorted(wanted.provinces)), _types_clause(wanted.event_types)]
    for column, value in ((StoredEvent.fair_id, wanted.fair_id), (StoredEvent.programme_id, wanted.programme_id),
                          (StoredEvent.centre_id, wanted.centre_id)):
        if value is not None:
            clauses.append(col(column) == value)
    return clauses


async def replay(db: Database, wanted: rules.Filter, *, since: datetime | None, until: datetime | None = None,
                 after: int = 0, limit: int = 100) -> list[StoredEvent]:
    """The matching events with an event time in [since, until), after position `after`, in store order."""
    query = select(StoredEvent).where(*matching(wanted), col(StoredEvent.seq) > after)
    if since is not None:
        query = query.where(col(StoredEvent.time) >= since)
    if until is not None:
        query = query.where(col(StoredEvent.time) < until)
    async with db.sessions() as session:
        return list((await session.exec(query.order_by(col(StoredEvent.seq)).limit(limit))).all())


async def read_after(db: Database, position: int, *, limit: int) -> list[StoredEvent]:
    """Every stored event after a position, matched or not (a stream checks the sequence for gaps)."""
    async with db.sessions() as session:
        return list((await session.exec(select(StoredEvent).where(col(StoredEvent.seq) > position)
                                        .order_by(col(StoredEvent.seq)).limit(limit))).all())


async def last_position(db: Database) -> int:
    """The position of the newest stored event (0 when the store is empty)."""
    async with db.sessions() as session:
        found: Any = (await session.exec(select(func.max(StoredEvent.seq)))).one()
    return int(found or 0)


async def position_of(db: Database, event_id: str) -> int | None:
    """The position of the event with this CloudEvents id (None when it is not stored)."""
    async with db.sessions() as session:
        return (await session.exec(select(StoredEvent.seq).where(StoredEvent.id == event_id))).first()


async def of_types(db: Database, wanted: rules.Filter, event_types: Iterable[str]) -> list[StoredEvent]:
    """Every event of the given names inside the filter's provinces and scope, in store order (the
    calendar reads the whole history of its fairs and sessions, whatever types the filter names)."""
    scoped = rules.Filter(tuple(event_types), wanted.provinces, wanted.fair_id, wanted.programme_id,
                           wanted.centre_id)
    async with db.sessions() as session:
        return list((await session.exec(select(StoredEvent).where(*matching(scoped))
                                        .order_by(col(StoredEvent.seq)))).all())
