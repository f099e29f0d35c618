"""Use cases of the subscriptions service: a subscriber manages its subscriptions (filters, webhook
secrets, calendar feeds). One transaction each; deliveries are in `deliveries`, events come in through
`reactions`."""

from __future__ import annotations

import secrets
from datetime import timedelta

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.subscriptions.adapters import net
from services.subscriptions.domain import matching, signing
from services.subscriptions.domain.access import Reach, owns, reach_of
from services.subscriptions.domain.regions import Regions
from services.subscriptions.domain.subscription import (
    SUBSCRIPTION_TRANSITIONS,
    NewSubscription,
    SubscriptionStatus,
    status_of,
)
from services.subscriptions.models import Subscription
from shared.contracts import EVENT_CLASSES
from shared.db import Database, utcnow
from shared.errors import Invalid, NotFound, Rejected
from shared.principal import Principal

KNOWN_EVENTS: tuple[str, ...] = tuple(cls.event_name for cls in EVENT_CLASSES)
log = structlog.get_logger()


def checked_filter(*, reach: Reach, regions: Regions, provinces: list[str], region_ids: list[str],
                   event_types: list[str], fair_id: str | None, programme_id: str | None) -> matching.Filter:
    """A new filter: regions expanded, at least one province and one type, inside the caller's reach."""
    types = matching.normalize_event_types(event_types, KNOWN_EVENTS)
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
    return matching.Filter(tuple(types), frozenset(wanted), fair_id=fair_id, programme_id=programme_id,
                         centre_id=reach.centre_id)


async def create_subscription(*, db: Database, principal: Principal, data: NewSubscription, regions: Regions,
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


async def owned(session: AsyncSession, principal: Principal, subscription_id: str) -> Subscription:
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or not owns(principal, owner=subscription.owner, owner_role=subscription.owner_role):
        raise NotFound(f"Không tìm thấy đăng ký / subscription {subscription_id} not found", code="not-found")
    return subscription


async def get_subscription(*, db: Database, principal: Principal, subscription_id: str) -> Subscription:
    """One of the caller's subscriptions (any, for an admin)."""
    async with db.sessions() as session:
        return await owned(session, principal, subscription_id)


async def get_active_subscription(*, db: Database, principal: Principal, subscription_id: str) -> Subscription:
    """One of the caller's subscriptions that is still active (a deactivated one is a 409 `inactive`)."""
    async with db.sessions() as session:
        return await active_of(session, principal, subscription_id)


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
        subscription = await owned(session, principal, subscription_id)
        SUBSCRIPTION_TRANSITIONS.check(status_of(active=subscription.active), SubscriptionStatus.DEACTIVATED)
        subscription.active, subscription.feed_token = False, None
        session.add(subscription)
    log.info("subscription.deactivated", subscription_id=subscription_id)
    return subscription


async def active_of(session: AsyncSession, principal: Principal, subscription_id: str) -> Subscription:
    subscription = await owned(session, principal, subscription_id)
    if not subscription.active:
        raise Rejected("Đăng ký đã ngừng / the subscription is deactivated", code="inactive")
    return subscription


async def rotate_secret(*, db: Database, principal: Principal, subscription_id: str,
                        overlap_s: float) -> Subscription:
    """A new signing secret; the current one keeps signing beside it for `overlap_s` (an older one, from a
    rotation still overlapping, stops at once: at most two secrets sign)."""
    async with db.transaction() as session:
        subscription = await active_of(session, principal, subscription_id)
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
        subscription = await active_of(session, principal, subscription_id)
        subscription.feed_token = secrets.token_urlsafe(24)
        session.add(subscription)
    log.info("subscription.feed_created", subscription_id=subscription_id)
    assert subscription.feed_token is not None
    return subscription.feed_token


async def revoke_feed(*, db: Database, principal: Principal, subscription_id: str) -> None:
    """The calendar feed's address stops working."""
    async with db.transaction() as session:
        subscription = await owned(session, principal, subscription_id)
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
