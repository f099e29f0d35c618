"""Parked events: events a consumer cannot apply *yet*, kept in its database until what they need arrives.

Kafka orders events within a partition, never across topics: billing may read `booths.assigned` before the
`registration.approved` it depends on. A handler raising `NotYet` parks the event (durably, so the offset may
move on); later events with the same topic and key queue behind it to keep their order; every successful apply
retries the parked ones. An event parked longer than its time to live is dead-lettered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import utc_column, utcnow


class ParkedEvent(SQLModel, table=True):
    """An event waiting for a prerequisite, in arrival order per consumer, topic and key."""

    __tablename__ = "parked_events"

    id: int | None = Field(default=None, primary_key=True)
    consumer: str = Field(index=True, max_length=100)
    topic: str = Field(max_length=200)
    key: str = Field(default="", max_length=200)
    event_id: str = Field(max_length=64)
    headers: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    parked_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())

    def header_dict(self) -> dict[str, str]:
        """The event's headers as received."""
        value: dict[str, str] = json.loads(self.headers)
        return value


def park(session: AsyncSession, *, consumer: str, topic: str, key: str, event_id: str,
         headers: Mapping[str, str], body: bytes, reason: str) -> None:
    """Keep an event for later, in the caller's transaction."""
    session.add(ParkedEvent(consumer=consumer, topic=topic, key=key, event_id=event_id,
                            headers=json.dumps(dict(headers)), body=body.decode("utf-8", "replace"),
                            reason=reason[:2000]))


async def has_parked(session: AsyncSession, *, consumer: str, topic: str, key: str) -> bool:
    """Whether events of this topic and key wait already (a newer one must queue behind them)."""
    query = select(ParkedEvent.id).where(ParkedEvent.consumer == consumer, ParkedEvent.topic == topic,
                                         ParkedEvent.key == key).limit(1)
    return (await session.exec(query)).first() is not None


async def oldest_parked(session: AsyncSession, *, consumer: str, limit: int = 100) -> list[ParkedEvent]:
    """The consumer's parked events, oldest first."""
    query = select(ParkedEvent).where(ParkedEvent.consumer == consumer).order_by(ParkedEvent.id).limit(limit)  # type: ignore[arg-type]
    return list((await session.exec(query)).all())
