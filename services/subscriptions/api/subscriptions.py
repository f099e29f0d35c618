"""HTTP routes for subscriptions, their secrets and feeds, the caller as a subscriber, and the regions.

Subscriptions are for subscribers — role `regional` (a regional centre, bound to its region) or
`organizer` (an organizing centre, bound to its own fairs and programmes) — and `admin`. A subscriber sees
and manages only its own subscriptions (another's is a 404)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from services.subscriptions.api.deps import DbDep, RegionsDep, SettingsDep, Subscriber, subscription_public
from services.subscriptions.domain.access import reach_of
from services.subscriptions.domain.subscription import NewSubscription
from services.subscriptions.schemas.subscriptions import (
    FeedCreated,
    RegionPublic,
    SecretRotate,
    SecretRotated,
    SubscriberPublic,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    SubscriptionsPublic,
)
from services.subscriptions.service import subscriptions as service
from shared.auth import CurrentPrincipal

subscriptions = APIRouter(prefix="/subscriptions", tags=["subscriptions"])


@subscriptions.post("", status_code=status.HTTP_201_CREATED, response_model=SubscriptionCreated,
                    summary="Subscribe to a filter, by webhook when a URL is given (regional, organizer, admin); "
                            "the signing secret is shown only here")
async def create_subscription(body: SubscriptionCreate, db: DbDep, principal: Subscriber, regions: RegionsDep,
                              settings: SettingsDep) -> SubscriptionCreated:
    subscription = await service.create_subscription(
        db=db, principal=principal, data=NewSubscription(**body.model_dump()), regions=regions,
        allow_loopback=settings.webhook_allow_loopback)
    return SubscriptionCreated(**subscription_public(subscription).model_dump(), secret=subscription.secret)


@subscriptions.get("", response_model=SubscriptionsPublic,
                   summary="The caller's subscriptions, maybe only the flagged ones (regional, organizer, admin)")
async def read_subscriptions(db: DbDep, principal: Subscriber, flagged: bool | None = None) -> SubscriptionsPublic:
    rows = await service.list_subscriptions(db=db, principal=principal, flagged=flagged)
    return SubscriptionsPublic(data=[subscription_public(s) for s in rows], count=len(rows))


@subscriptions.get("/{subscription_id}", response_model=SubscriptionPublic,
                   summary="One of the caller's subscriptions (regional, organizer, admin)")
async def read_subscription(subscription_id: str, db: DbDep, principal: Subscriber) -> SubscriptionPublic:
    return subscription_public(await service.get_subscription(db=db, principal=principal,
                                                              subscription_id=subscription_id))


@subscriptions.delete("/{subscription_id}", response_model=SubscriptionPublic,
                      summary="Deactivate a subscription: nothing more is matched, sent or fed "
                              "(regional, organizer, admin)")
async def delete_subscription(subscription_id: str, db: DbDep, principal: Subscriber) -> SubscriptionPublic:
    return subscription_public(await service.deactivate_subscription(db=db, principal=principal,
                                                                     subscription_id=subscription_id))


@subscriptions.post("/{subscription_id}/secret", response_model=SecretRotated,
                    summary="Rotate the webhook secret; the old one keeps signing beside the new one for the "
                            "overlap (regional, organizer, admin)")
async def rotate_secret(subscription_id: str, db: DbDep, principal: Subscriber, settings: SettingsDep,
                        body: SecretRotate | None = None) -> SecretRotated:
    overlap_s = body.overlap_s if body and body.overlap_s is not None else settings.webhook_secret_overlap_s
    subscription = await service.rotate_secret(db=db, principal=principal, subscription_id=subscription_id,
                                               overlap_s=overlap_s)
    return SecretRotated(secret=subscription.secret, previous_secret_until=subscription.previous_secret_until)


@subscriptions.post("/{subscription_id}/feed", status_code=status.HTTP_201_CREATED, response_model=FeedCreated,
                    summary="A new secret address for the subscription's calendar feed; the previous one stops "
                            "working (regional, organizer, admin)")
async def create_feed(subscription_id: str, db: DbDep, principal: Subscriber, request: Request) -> FeedCreated:
    token = await service.create_feed(db=db, principal=principal, subscription_id=subscription_id)
    path = f"/feeds/{token}.ics"
    return FeedCreated(url=str(request.base_url).rstrip("/") + path, path=path)


@subscriptions.delete("/{subscription_id}/feed", status_code=status.HTTP_204_NO_CONTENT,
                      summary="Revoke the calendar feed's address (regional, organizer, admin)")
async def delete_feed(subscription_id: str, db: DbDep, principal: Subscriber) -> Response:
    await service.revoke_feed(db=db, principal=principal, subscription_id=subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


subscribers = APIRouter(prefix="/subscribers", tags=["subscribers"])


@subscribers.get("/me", response_model=SubscriberPublic,
                 summary="The caller as a subscriber: what it may see, its subscriptions (regional, organizer, admin)")
async def read_me(db: DbDep, principal: Subscriber, regions: RegionsDep) -> SubscriberPublic:
    reach = reach_of(principal, regions)
    total, flagged = await service.count_subscriptions(db=db, principal=principal)
    return SubscriberPublic(subject=principal.subject, role=principal.role.value, region=principal.region,
                            centre_id=reach.centre_id,
                            provinces=sorted(reach.provinces) if reach.provinces is not None else None,
                            subscriptions=total, flagged=flagged)


regions_router = APIRouter(prefix="/regions", tags=["regions"])


@regions_router.get("", response_model=list[RegionPublic],
                    summary="The regions usable in filters, with their provinces (any signed-in caller)")
async def read_regions(principal: CurrentPrincipal, regions: RegionsDep) -> list[RegionPublic]:
    return [RegionPublic(id=r.id, name=r.name, centre=r.centre, provinces=list(r.provinces)) for r in regions.all()]


ROUTERS = (subscriptions, subscribers, regions_router)
