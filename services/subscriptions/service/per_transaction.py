"""What one consumer transaction keeps while it takes events in (the kernel applies a batch of events in one
transaction): the active webhook subscriptions and the places read once, and the events and deliveries taken,
written in one statement each just before the commit instead of being flushed event by event.

Nothing here outlives the transaction: it is kept in the session's ``info`` with the transaction that made
it, so a subscription created or deactivated, or a place learned, by another transaction or replica is seen
by the next transaction, as before; a rolled-back transaction takes its unwritten rows with it. The rows are
written in the order they were taken, so store positions (`seq`) and delivery ids (each subscription's order)
come out as if every event had been flushed on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.subscriptions.domain import matching
from services.subscriptions.models import Delivery, Place, StoredEvent, Subscription

_KEY = "subscriptions.intake"


@dataclass
class Intake:
    """One transaction's intake: what it read once, and what it took but has not written yet."""

    places: dict[str, Place] = field(default_factory=dict)  # fairs and programmes found (a miss is not kept)
    webhooks: list[tuple[str, matching.Filter]] | None = None  # active webhook subscriptions, read on first need
    events: list[dict[str, Any]] = field(default_factory=list)  # rows of `events`, in store order
    deliveries: list[dict[str, Any]] = field(default_factory=list)  # rows of `deliveries`, in the order owed
    taken: int = 0  # events taken in the transaction
    owed: int = 0  # deliveries owed in the transaction

    def store(self, row: dict[str, Any]) -> None:
        """Take an event row (written before the commit, or before the store is next read)."""
        self.events.append(row)
        self.taken += 1

    def owe(self, event_id: str, facts: matching.EventFacts, *, to: list[tuple[str, matching.Filter]],
            now: datetime) -> int:
        """Owe the event to every webhook (of `to`) that wants it; how many."""
        wanting = [subscription_id for subscription_id, wanted in to if matching.matches(wanted, facts)]
        self.deliveries.extend({"subscription_id": s, "event_id": event_id, "event_type": facts.event_name,
                                "next_attempt_at": now, "created_at": now} for s in wanting)
        self.owed += len(wanting)
        return len(wanting)


def of(session: AsyncSession) -> Intake:
    """This transaction's intake (a new one for a new transaction, written just before it commits)."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_KEY)
    if held is not None and held[0] is transaction:
        intake: Intake = held[1]
        return intake
    intake = Intake()
    session.info[_KEY] = (transaction, intake)
    sa_event.listen(session.sync_session, "before_commit", write, once=True)
    return intake


def write(session: Session) -> None:
    """Write the events and deliveries taken so far, events first (deliveries refer to them), each in one
    statement and in the order taken; nothing when the intake belongs to another (rolled back) transaction."""
    held = session.info.get(_KEY)
    if held is None or held[0] is not session.get_transaction():
        return
    intake: Intake = held[1]
    # Core inserts of the table: the rows are plain dicts, no ORM objects to build or track.
    if intake.events:
        session.execute(insert(StoredEvent.__table__), intake.events)  # type: ignore[attr-defined]
        intake.events = []
    if intake.deliveries:
        session.execute(insert(Delivery.__table__), intake.deliveries)  # type: ignore[attr-defined]
        intake.deliveries = []


async def webhooks(session: AsyncSession) -> list[tuple[str, matching.Filter]]:
    """The active webhook subscriptions and what each wants, read once per transaction."""
    intake = of(session)
    if intake.webhooks is None:
        found = (await session.exec(select(Subscription).where(
            col(Subscription.active).is_(True), col(Subscription.url).is_not(None)))).all()
        intake.webhooks = [(s.id, s.wanted()) for s in found]
    return intake.webhooks


async def places(session: AsyncSession, ids: list[str]) -> dict[str, Place]:
    """The known places among these fair / programme ids. A miss is read again next time: its placing event
    may come later in the transaction, or be committed meanwhile by a replica."""
    known = of(session).places
    missing = [i for i in ids if i not in known]
    if missing:
        for place in (await session.exec(select(Place).where(col(Place.aggregate_id).in_(missing)))).all():
            known[place.aggregate_id] = place
    return {i: known[i] for i in ids if i in known}


async def place(session: AsyncSession, aggregate_id: str) -> Place | None:
    """One place by id (from this transaction's if read or learned already)."""
    return (await places(session, [aggregate_id])).get(aggregate_id)


def remember(session: AsyncSession, found: Place) -> None:
    """A place this transaction learned or changed: later events of the transaction are placed by it."""
    of(session).places[found.aggregate_id] = found
