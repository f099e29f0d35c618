"""Use cases of the subscriptions service: a subscriber manages its subscriptions (filters, webhook
secrets, calendar feeds) and their deliveries. One transaction each; events come in through `intake`."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import structlog
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.subscriptions import domain, net, signing
from services.subscriptions.access import Reach, owns, reach_of
from services.subscriptions.domain import DeliveryStatus
from services.subscriptions.models import Delivery, DeliveryAttempt, Subscription
from services.subscriptions.regions import Regions
from services.subscriptions.schemas import SubscriptionCreate
from shared.auth import Principal
from shared.contracts import EVENT_CLASSES
from shared.db import Database, utcnow
from shared.errors import Invalid, NotFound, Rejected

KNOWN_EVENTS: tuple[str, ...] = tuple(cls.event_name for cls in EVENT_CLASSES)
log = structlog.get_logger()


def checked_filter(*, reach: Reach, regions: Regions, provinces: list[str], region_ids: list[str],
                   event_types: list[str], fair_id: str | None, programme_id: str | None) -> domain.Filter:
    """A new filter: regions expanded, at least one province and one type, inside the caller's reach."""
    types = domain.normalize_event_types(event_types, KNOWN_EVENTS)
    expanded = regions.provinces_of(region_ids)
    reach.check(expanded, field="regions")
    wanted = list(dict.fromkeys([*expanded, *provinces]))
    if not wanted:
        raise Invalid("Cần ít nhất một tỉnh hoặc vùng / name at least one province or region (empty filter)",
                      field="provinces", code="empty")
    reach.check(wanted, field="provinces")
    if fair_id and programme_id:
        raise Invalid("Chỉ một hội chợ hoặc một chương trình / a fair or a programme, not both",
                      field="programme_id", code="conflict")
    return domain.Filter(tuple(types), frozenset(wanted), fair_id=fair_id, programme_id=programme_id,
                         centre_id=reach.centre_id)


async def create_subscription(*, db: Database, principal: Principal, data: SubscriptionCreate, regions: Regions,
                              allow_loopback: bool) -> Subscription:
    """Subscribe the caller to a filter, by webhook when a URL is given, with a fresh signing secret."""
    wanted = checked_filter(reach=reach_of(principal, regions), regions=regions, provinces=data.provinces,
                            region_ids=data.regions, event_types=data.event_types, fair_id=data.fair_id,
                            programme_id=data.programme_id)
    url = (await net.check_url(data.url, allow_loopback=allow_loopback)).url if data.url is not None else None
    ordered = [p for p in dict.fromkeys([*regions.provinces_of(data.regions), *data.provinces])]
    subscription = Subscription(
        owner=principal.subject, owner_role=principal.role.value, url=url,
        regions=[r.strip().lower() for r in dict.fromkeys(data.regions)], provinces=ordered,
        event_types=list(wanted.event_types), fair_id=wanted.fair_id, programme_id=wanted.programme_id,
        centre_id=wanted.centre_id, description=data.description, secret=signing.new_secret())
    async with db.transaction() as session:
        session.add(subscription)
    log.info("subscription.created", subscription_id=subscription.id, owner=subscription.owner,
             webhook=url is not None)
    return subscription


async def _own(session: AsyncSession, principal: Principal, subscription_id: str) -> Subscription:
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or not owns(principal, owner=subscription.owner, owner_role=subscription.owner_role):
        raise NotFound(f"Không tìm thấy đăng ký / subscription {subscription_id} not found", code="not-found")
    return subscription


async def get_subscription(*, db: Database, principal: Principal, subscription_id: str) -> Subscription:
    """One of the caller's subscriptions (any, for an admin)."""
    async with db.sessions() as session:
        return await _own(session, principal, subscription_id)


async def get_active_subscription(*, db: Database, principal: Principal, subscription_id: str) -> Subscription:
    """One of the caller's subscriptions that is still active (a deactivated one is a 409 `inactive`)."""
    async with db.sessions() as session:
        return await _active(session, principal, subscription_id)


async def is_active(*, db: Database, subscription_id: str) -> bool:
    """Whether the subscription exists and is still active."""
    async with db.sessions() as session:
        found = await session.get(Subscription, subscription_id)
    return found is not None and found.active


async def list_subscriptions(*, db: Database, principal: Principal,
                             flagged: bool | None = None) -> list[Subscription]:
    """The caller's subscriptions, oldest first (all of them, for an admin), maybe only (un)flagged ones."""
    query = select(Subscription).order_by(col(Subscription.created_at))
    if not principal.is_admin():
        query = query.where(Subscription.owner == principal.subject,
                            Subscription.owner_role == principal.role.value)
    if flagged is not None:
        flag = col(Subscription.flagged_at)
        query = query.where(flag.is_not(None) if flagged else flag.is_(None))
    async with db.sessions() as session:
        return list((await session.exec(query)).all())


async def count_subscriptions(*, db: Database, principal: Principal) -> tuple[int, int]:
    """(all, flagged) subscriptions of the caller."""
    async with db.sessions() as session:
        rows = (await session.exec(select(Subscription.flagged_at).where(
            Subscription.owner == principal.subject, Subscription.owner_role == principal.role.value))).all()
    return len(rows), sum(1 for flagged_at in rows if flagged_at is not None)


async def deactivate_subscription(*, db: Database, principal: Principal, subscription_id: str) -> Subscription:
    """Stop matching and delivering for a subscription (its feed, replay and streams go too); its deliveries
    stay readable."""
    async with db.transaction() as session:
        subscription = await _own(session, principal, subscription_id)
        subscription.active, subscription.feed_token = False, None
        session.add(subscription)
    log.info("subscription.deactivated", subscription_id=subscription_id)
    return subscription


async def _active(session: AsyncSession, principal: Principal, subscription_id: str) -> Subscription:
    subscription = await _own(session, principal, subscription_id)
    if not subscription.active:
        raise Rejected("Đăng ký đã ngừng / the subscription is deactivated", code="inactive")
    return subscription


async def rotate_secret(*, db: Database, principal: Principal, subscription_id: str,
                        overlap_s: float) -> Subscription:
    """A new signing secret; the current one keeps signing beside it for `overlap_s` (an older one, from a
    rotation still overlapping, stops at once: at most two secrets sign)."""
    async with db.transaction() as session:
        subscription = await _active(session, principal, subscription_id)
        until = utcnow() + timedelta(seconds=overlap_s) if overlap_s > 0 else None
        subscription.previous_secret = subscription.secret if until else None
        subscription.previous_secret_until = until
        subscription.secret = signing.new_secret()
        session.add(subscription)
    log.info("subscription.secret_rotated", subscription_id=subscription_id, overlap_s=overlap_s)
    return subscription


async def create_feed(*, db: Database, principal: Principal, subscription_id: str) -> str:
    """A fresh secret token for the subscription's calendar feed (the previous address stops working)."""
    async with db.transaction() as session:
        subscription = await _active(session, principal, subscription_id)
        subscription.feed_token = secrets.token_urlsafe(24)
        session.add(subscription)
    log.info("subscription.feed_created", subscription_id=subscription_id)
    assert subscription.feed_token is not None
    return subscription.feed_token


async def revoke_feed(*, db: Database, principal: Principal, subscription_id: str) -> None:
    """The calendar feed's address stops working."""
    async with db.transaction() as session:
        subscription = await _own(session, principal, subscription_id)
        subscription.feed_token = None
        session.add(subscription)


async def subscription_of_feed(*, db: Database, token: str) -> Subscription:
    """The active subscription whose feed has this token (404 otherwise: the token is the only key)."""
    async with db.sessions() as session:
        found = (await session.exec(select(Subscription).where(
            Subscription.feed_token == token, col(Subscription.active).is_(True)))).first()
    if found is None or not token:
        raise NotFound("Không tìm thấy lịch / feed not found", code="not-found")
    return found


async def list_deliveries(*, db: Database, principal: Principal, subscription_id: str,
                          status: DeliveryStatus | None = None, delivery_id: int | None = None,
                          limit: int = 100) -> list[tuple[Delivery, list[DeliveryAttempt]]]:
    """A subscription's deliveries (or one), newest first, each with its attempts in order."""
    async with db.sessions() as session:
        await _own(session, principal, subscription_id)
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
        await _active(session, principal, subscription_id)
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
            delivery.status, delivery.round_attempts, delivery.next_attempt_at = DeliveryStatus.PENDING.value, 0, now
            delivery.finished_at, delivery.redeliveries = None, delivery.redeliveries + 1
            session.add(delivery)
        await session.flush()
        subscription = await _own(session, principal, subscription_id)
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
