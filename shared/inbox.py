"""Inbox: the ids of the events a consumer has applied, written in the same transaction as the effect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession as SqlModelSession

from shared.uow import insert_ignore


class InboxMessage(SQLModel, table=True):
    """An event (by its CloudEvents id) that one consumer has applied."""

    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=100)
    event_id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=200)
    applied_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


async def claim(session: SqlModelSession, *, consumer: str, event_id: str, event_type: str) -> bool:
    """Record one event applied, first thing in the transaction of its effect: True when this consumer had not
    applied it (go on), False when it had (the row exists; nothing written). One INSERT that does nothing on a
    conflict both checks and records, where a look-up by key and an INSERT after the effect cost a consumer two
    statements for every event it applies alone. A concurrent apply of the same event (a replica sharing the
    database) waits on the row, then finds it: a duplicate, not an error."""
    inserted = await insert_ignore(session, InboxMessage, {"consumer": consumer, "event_id": event_id,
                                                           "event_type": event_type, "applied_at": datetime.now(UTC)},
                                   index_elements=("consumer", "event_id"))
    return inserted == 1


async def record(session: SqlModelSession, *, consumer: str, events: list[tuple[str, str]]) -> None:
    """Mark events (id, type) applied, in the transaction of their effect: one statement for a whole batch (an ORM
    object per event cost a consumer more than some of its handlers), the rows as its parameters (inlined with
    `.values(rows)` it would have no cache key and be compiled again for every batch). The primary key makes a
    concurrent second apply fail and roll back."""
    if not events:
        return
    now = datetime.now(UTC)
    rows = [{"consumer": consumer, "event_id": event_id, "event_type": event_type, "applied_at": now}
            for event_id, event_type in events]
    await session.exec(insert(_TABLE), params=rows[0] if len(rows) == 1 else rows)


_TABLE: Any = InboxMessage.__table__  # type: ignore[attr-defined]  # Core, not the ORM's bulk path
