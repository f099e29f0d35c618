"""The use cases run by events: take an event in — place it, store it (the event store), and owe it to every
webhook that wants it (the delivery outbox) — in the consumer's transaction, so an event is either fully taken
or not seen; once that transaction commits, the live streams and the delivery worker are told (once per
transaction)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import structlog
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.subscriptions.domain import matching
from services.subscriptions.models import Place, StoredEvent
from services.subscriptions.service import eventstore, per_transaction
from shared.contracts.base import Event
from shared.db import utcnow
from shared.envelope import EventMeta
from shared.uow import UnitOfWork

log = structlog.get_logger()


def structured_cloudevent(event: Event, meta: EventMeta) -> str:
    """The CloudEvents 1.0 structured JSON of an event, as every webhook body carries it."""
    document: dict[str, object] = {"specversion": "1.0", "id": meta.event_id, "source": meta.source,
                                   "type": meta.event_type}
    if meta.time:
        document["time"] = meta.time
    if meta.subject:
        document["subject"] = meta.subject
    if meta.traceparent:  # CloudEvents distributed tracing extension: the webhook continues the trace
        document["traceparent"] = meta.traceparent
    document.update({"datacontenttype": "application/json", "correlationid": meta.correlation_id,
                     "data": event.model_dump(mode="json")})
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _event_time(meta: EventMeta) -> datetime:
    try:
        parsed = datetime.fromisoformat(meta.time)
    except ValueError:
        return utcnow()
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _learn_place(session: AsyncSession, event: Event) -> matching.LearnedPlace | None:
    learned = matching.place_learned(event.event_name, event)
    if learned is None:
        return None
    place = await per_transaction.place(session, learned.aggregate_id)
    if place is None:
        place = Place(aggregate_id=learned.aggregate_id, kind=learned.kind, province_code=learned.province_code)
    place.province_code, place.centre_id, place.updated_at = learned.province_code, learned.centre_id, utcnow()
    session.add(place)
    per_transaction.remember(session, place)
    return learned


async def _place_waiting(session: AsyncSession, learned: matching.LearnedPlace) -> list[StoredEvent]:
    """Events stored unplaced because their fair or programme was not known yet (their topic ran ahead of
    the one that tells where it is): placed now, oldest first."""
    await session.run_sync(per_transaction.write)  # the events taken earlier in this transaction too
    rows = (await session.exec(select(StoredEvent).where(
        col(StoredEvent.province_code).is_(None),
        or_(col(StoredEvent.fair_id) == learned.aggregate_id, col(StoredEvent.programme_id) == learned.aggregate_id))
        .order_by(col(StoredEvent.seq)))).all()
    for row in rows:
        placed = matching.placed_later(eventstore.facts(row), learned)
        row.province_code, row.fair_id, row.programme_id, row.centre_id = (
            placed.province_code, placed.fair_id, placed.programme_id, placed.centre_id)
        session.add(row)
    return list(rows)


async def facts_of(session: AsyncSession, event: Event) -> matching.EventFacts:
    """Where the event happens and what it is about, from its own fields and the places learned so far."""
    placement = matching.placement_of(event)
    ids = [i for i in (placement.fair_id, placement.programme_id) if i]
    places = (await per_transaction.places(session, ids)).values() if ids else ()
    fairs = {p.aggregate_id: p for p in places if p.kind == matching.FAIR}
    programmes = {p.aggregate_id: p for p in places if p.kind == matching.PROGRAMME}
    province = matching.place_event(placement, fairs={k: p.province_code for k, p in fairs.items()},
                                  programmes={k: p.province_code for k, p in programmes.items()})
    fair_id, programme_id = matching.aggregate_ids(placement, programmes=programmes)
    owner = fairs.get(fair_id or "") or programmes.get(programme_id or "")
    centre_id = getattr(event, "centre_id", None) or (owner.centre_id if owner else None)
    return matching.EventFacts(event.event_name, province, fair_id, programme_id, centre_id)


async def take_event(uow: UnitOfWork, *, event: Event, meta: EventMeta,
                     committed: Callable[[per_transaction.Intake], object] | None = None) -> per_transaction.Intake:
    """Store the event and owe it (see `_take`); `committed` gets the transaction's intake once it has committed
    (registered by the transaction's first event: one wake-up for the whole batch)."""
    intake = await _take(uow.session, event=event, meta=meta)
    if committed is not None and intake.taken == 1:
        uow.after_commit(partial(committed, intake))
    return intake


async def _take(session: AsyncSession, *, event: Event, meta: EventMeta) -> per_transaction.Intake:
    """Store the event and owe it to every active webhook subscription that wants it — and, when it tells
    where a fair or programme is, the events about it that came in before it, right after it. Returns the
    transaction's intake (what it took and owed so far); the rows are written before the commit."""
    intake = per_transaction.of(session)
    learned = await _learn_place(session, event)
    facts = await facts_of(session, event)
    now = utcnow()
    intake.store({"id": meta.event_id, "event_type": event.event_name, "time": _event_time(meta),
                  "subject": meta.subject, "province_code": facts.province_code, "fair_id": facts.fair_id,
                  "programme_id": facts.programme_id, "centre_id": facts.centre_id,
                  "correlation_id": meta.correlation_id, "body": structured_cloudevent(event, meta),
                  "received_at": now})
    if facts.province_code is None:
        log.info("event.unplaced", event_type=event.event_name, subject=meta.subject)
        return intake
    waiting = await _place_waiting(session, learned) if learned else []
    webhooks = await per_transaction.webhooks(session)
    owed = 0  # one event after the other: delivery ids give each subscription's order
    for event_id, placed in [(meta.event_id, facts), *((r.id, eventstore.facts(r)) for r in waiting)]:
        owed += intake.owe(event_id, placed, to=webhooks, now=now)
    log.info("event.taken", event_type=event.event_name, province=facts.province_code, deliveries=owed,
             placed_late=len(waiting))
    return intake
