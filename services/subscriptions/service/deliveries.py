"""Use cases of a subscription's webhook deliveries: the attempts log, redelivery of parked ones, and the flag a
parked delivery raises on its subscription."""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.subscriptions.domain.delivery import DELIVERY_TRANSITIONS, DeliveryStatus
from services.subscriptions.models import Delivery, DeliveryAttempt, Subscription
from services.subscriptions.service.subscriptions import active_of, owned
from shared.db import Database, utcnow
from shared.errors import NotFound, Rejected
from shared.principal import Principal

log = structlog.get_logger()


async def list_deliveries(*, db: Database, principal: Principal, subscription_id: str,
                          status: DeliveryStatus | None = None, delivery_id: int | None = None,
                          limit: int = 100) -> list[tuple[Delivery, list[DeliveryAttempt]]]:
    """A subscription's deliveries (or one), newest first, each with its attempts in order."""
    async with db.sessions() as session:
        await owned(session, principal, subscription_id)
        query = select(Delivery).where(Delivery.subscription_id == subscription_id)
        if status is not None:
            query = query.where(Delivery.status == status.value)
        if delivery_id is not None:
            query = query.where(Delivery.id == delivery_id)
        deliveries = list((await session.exec(query.order_by(col(Delivery.id).desc()).limit(limit))).all())
        ids = [d.id for d in deliveries]
        attempts = (await session.exec(select(DeliveryAttempt).where(col(DeliveryAttempt.delivery_id).in_(ids))
                                       .order_by(col(DeliveryAttempt.number)))).all()
    by_delivery: dict[int, list[DeliveryAttempt]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    return [(d, by_delivery.get(d.id or 0, [])) for d in deliveries]


async def redeliver(*, db: Database, principal: Principal, subscription_id: str,
                    delivery_id: int | None = None) -> list[int]:
    """Put parked deliveries (one, or all of the subscription's) back in the queue for a new round of
    attempts; they go out before newer ones, in their original order."""
    now = utcnow()
    async with db.transaction() as session:
        await active_of(session, principal, subscription_id)
        query = select(Delivery).where(Delivery.subscription_id == subscription_id)
        if delivery_id is None:
            parked = list((await session.exec(query.where(Delivery.status == DeliveryStatus.PARKED.value)
                                              .order_by(col(Delivery.id)))).all())
        else:
            one = (await session.exec(query.where(Delivery.id == delivery_id))).first()
            if one is None:
                raise NotFound(f"Không tìm thấy lần gửi / delivery {delivery_id} not found", code="not-found")
            if one.status != DeliveryStatus.PARKED.value:
                raise Rejected(f"Chỉ gửi lại được lần gửi đã dừng / only a parked delivery can be redelivered "
                               f"(this one is {one.status})", code="not-parked")
            parked = [one]
        for delivery in parked:
            DELIVERY_TRANSITIONS.check(delivery.status, DeliveryStatus.PENDING)
            delivery.status, delivery.round_attempts, delivery.next_attempt_at = DeliveryStatus.PENDING.value, 0, now
            delivery.finished_at, delivery.redeliveries = None, delivery.redeliveries + 1
            session.add(delivery)
        await session.flush()
        subscription = await owned(session, principal, subscription_id)
        flag_state(subscription, parked=await parked_count(session, subscription_id), now=now, reason=None)
        session.add(subscription)
    ids = [d.id or 0 for d in parked]
    log.info("deliveries.redelivered", subscription_id=subscription_id, count=len(ids))
    return ids


async def parked_count(session: AsyncSession, subscription_id: str) -> int:
    """How many of the subscription's deliveries are parked."""
    return (await session.exec(select(func.count()).select_from(Delivery).where(
        Delivery.subscription_id == subscription_id, Delivery.status == DeliveryStatus.PARKED.value))).one()


def flag_state(subscription: Subscription, *, parked: int, now: datetime, reason: str | None) -> None:
    """Flag the subscription when a delivery parks; clear the flag once none is parked."""
    if parked and subscription.flagged_at is None:
        subscription.flagged_at, subscription.flag_reason = now, reason
    elif not parked:
        subscription.flagged_at, subscription.flag_reason = None, None
