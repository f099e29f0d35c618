"""Parked events: events a consumer cannot apply *yet*, kept in its database until what they need arrives.

Kafka orders events within a partition, never across topics: billing may read `booths.assigned` before the
`registration.approved` it needs. A handler raising `NotYet` parks the event (durably, so the offset may
move on); every successful apply, and a sweeper every few seconds, retries the parked ones; an event parked
longer than the consumer's time to live (minutes) is dead-lettered with its reason.

Which later events wait behind a parked one (its *queue*): events are keyed by fair (or programme), and their
CloudEvents subject names the aggregate — the registration for registration-level events, the fair itself
for fair-level ones. A later event waits when it has the same topic and key and either
- the same subject (the same registration keeps its order),
- or one of the two is fair-level (subject = key): a fair-level event may touch every registration of the
  fair, so it neither overtakes nor is overtaken by any of them.
Events of other registrations of the same fair go on: one stuck registration never stops a fair.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import utc_column, utcnow

WAITS_FOR_HEADER = "hangviet_waits_for"
"""Stored with a parked event's headers: the subject whose event it waits for (see `NotYet.waits_for`)."""


class Queue(NamedTuple):
    """What orders parked events: the topic, the Kafka key (fair or programme) and the subject."""

    topic: str
    key: str
    subject: str

    @property
    def aggregate_wide(self) -> bool:
        """Whether the event is about the whole fair (or programme) rather than one of its parts."""
        return self.subject == self.key

    def describe(self) -> str:
        """For reasons and logs."""
        return f"{self.topic} key {self.key}" + ("" if self.aggregate_wide else f" subject {self.subject}")


def blocks(waiting: Iterable[Queue], queue: Queue) -> bool:
    """Whether an event of `queue` must wait behind the parked events of the `waiting` queues."""
    return any(w.topic == queue.topic and w.key == queue.key
               and (w.subject == queue.subject or w.aggregate_wide or queue.aggregate_wide) for w in waiting)


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

    def queue(self) -> Queue:
        """The queue this event holds up (the subject is read from its stored CloudEvents headers)."""
        return Queue(self.topic, self.key, self.header_dict().get("ce_subject") or self.key)

    def waits_for(self) -> str | None:
        """The subject whose event it waits for, when its handler said (None: any event may help)."""
        return self.header_dict().get(WAITS_FOR_HEADER) or None


def park(session: AsyncSession, *, consumer: str, topic: str, key: str, event_id: str,
         headers: Mapping[str, str], body: bytes, reason: str, waits_for: str | None = None) -> None:
    """Keep an event for later, in the caller's transaction."""
    stored = {k: v for k, v in headers.items() if k != WAITS_FOR_HEADER}
    if waits_for:
        stored[WAITS_FOR_HEADER] = waits_for
    session.add(ParkedEvent(consumer=consumer, topic=topic, key=key, event_id=event_id,
                            headers=json.dumps(stored), body=body.decode("utf-8", "replace"),
                            reason=reason[:2000]))


async def claim(session: AsyncSession, parked_id: int | None) -> bool:
    """Take a parked event out in the caller's transaction (it comes back if that rolls back); False when it
    is gone already (another replica of the consumer took it)."""
    result = await session.exec(delete(ParkedEvent).where(col(ParkedEvent.id) == parked_id))
    return bool(result.rowcount)


async def waiting_queues(session: AsyncSession, *, consumer: str) -> set[Queue]:
    """The queues that have parked events now (usually none: one cheap query)."""
    rows = (await session.exec(select(ParkedEvent.topic, ParkedEvent.key, ParkedEvent.headers)
                               .where(ParkedEvent.consumer == consumer))).all()
    return {Queue(topic, key, json.loads(headers).get("ce_subject") or key) for topic, key, headers in rows}


async def oldest_parked(session: AsyncSession, *, consumer: str, limit: int = 100) -> list[ParkedEvent]:
    """The consumer's parked events, oldest first."""
    query = select(ParkedEvent).where(ParkedEvent.consumer == consumer).order_by(ParkedEvent.id).limit(limit)  # type: ignore[arg-type]
    return list((await session.exec(query)).all())
