"""Inbox: the ids of the events a consumer has applied, written in the same transaction as the effect."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession as SqlModelSession


class InboxMessage(SQLModel, table=True):
    """An event (by its CloudEvents id) that one consumer has applied."""

    __tablename__ = "inbox"

    consumer: str = Field(primary_key=True, max_length=100)
    event_id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=200)
    applied_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


async def seen(session: AsyncSession, *, consumer: str, event_id: str) -> bool:
    """Whether this consumer already applied this event."""
    return await session.get(InboxMessage, (consumer, event_id)) is not None


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
    await session.execute(_INSERT, rows[0] if len(rows) == 1 else rows)


_INSERT = insert(InboxMessage)
