"""Subscription lifecycle, pure: a subscription is active until its owner deactivates it, and stays so (a
deactivated subscription matches, sends and feeds nothing, and cannot be revived). Whether it is flagged (a
delivery of it is parked) is a marker beside the status, not a status."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from shared.states import Transitions


class SubscriptionStatus(StrEnum):
    """Where a subscription stands (stored as the `active` flag)."""

    ACTIVE = "active"
    DEACTIVATED = "deactivated"


SUBSCRIPTION_TRANSITIONS = Transitions(("đăng ký", "subscription"), {
    SubscriptionStatus.ACTIVE: {SubscriptionStatus.DEACTIVATED},
    SubscriptionStatus.DEACTIVATED: set(),
})


def status_of(*, active: bool) -> SubscriptionStatus:
    """The status the stored `active` flag stands for."""
    return SubscriptionStatus.ACTIVE if active else SubscriptionStatus.DEACTIVATED


@dataclass(frozen=True)
class NewSubscription:
    """What a subscriber asks for: a filter (event types in provinces and regions, maybe one fair or programme)
    and, for a webhook, the receiver's URL."""

    event_types: list[str]
    provinces: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    url: str | None = None
    fair_id: str | None = None
    programme_id: str | None = None
    description: str = ""
