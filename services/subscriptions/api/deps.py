"""What the routes share: dependencies on the app's parts, the subscriber role guard, and reply shapes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.subscriptions.api.stream import Signal
from services.subscriptions.domain.delivery import DeliveryStatus
from services.subscriptions.domain.regions import Regions
from services.subscriptions.models import Delivery, DeliveryAttempt, Subscription
from services.subscriptions.schemas.deliveries import AttemptPublic, DeliveryPublic
from services.subscriptions.schemas.subscriptions import SubscriptionPublic
from services.subscriptions.service.delivery import DeliveryWorker
from services.subscriptions.settings import SubscriptionsSettings
from shared.auth import Principal, Role, require
from shared.db import Database


def get_db(request: Request) -> Database:
    """The service's database."""
    db: Database = request.app.state.runtime.db
    return db


def get_settings(request: Request) -> SubscriptionsSettings:
    """The service's own settings."""
    settings: SubscriptionsSettings = request.app.state.subscriptions
    return settings


def get_regions(request: Request) -> Regions:
    """The regions in force."""
    regions: Regions = request.app.state.regions
    return regions


def get_worker(request: Request) -> DeliveryWorker:
    """The webhook delivery worker (to wake it)."""
    worker: DeliveryWorker = request.app.state.delivery_worker
    return worker


def get_signal(request: Request) -> Signal:
    """What wakes the live streams."""
    signal: Signal = request.app.state.stored_signal
    return signal


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[SubscriptionsSettings, Depends(get_settings)]
RegionsDep = Annotated[Regions, Depends(get_regions)]
WorkerDep = Annotated[DeliveryWorker, Depends(get_worker)]
SignalDep = Annotated[Signal, Depends(get_signal)]
# A subscriber is a centre: a regional centre, or an organizing centre for its own fairs (admins: all).
Subscriber = Annotated[Principal, require(Role.REGIONAL, Role.ORGANIZER)]


def subscription_public(subscription: Subscription) -> SubscriptionPublic:
    """Shape a subscription, without its secrets and feed token."""
    values = subscription.model_dump(exclude={"secret", "previous_secret", "feed_token"})
    return SubscriptionPublic.model_validate({**values, "flagged": subscription.flagged_at is not None,
                                              "has_feed": subscription.feed_token is not None})


def delivery_public(delivery: Delivery, attempts: list[DeliveryAttempt]) -> DeliveryPublic:
    """Shape a delivery and its attempts."""
    pending = delivery.status == DeliveryStatus.PENDING
    return DeliveryPublic(
        id=delivery.id or 0, event_id=delivery.event_id, event_type=delivery.event_type,
        status=DeliveryStatus(delivery.status), attempt_count=delivery.attempts,
        round_attempts=delivery.round_attempts, redeliveries=delivery.redeliveries,
        next_attempt_at=delivery.next_attempt_at if pending else None, created_at=delivery.created_at,
        finished_at=delivery.finished_at, last_error=delivery.last_error,
        attempts=[AttemptPublic.model_validate(a.model_dump()) for a in attempts])
