"""Request and response bodies of subscriptions, their secrets and feeds, the caller as a subscriber, and regions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.text import TEXT


def _province_code(value: str) -> str:
    from shared.reference.geo import UnknownPlace, resolve_province

    try:
        return resolve_province(value).code
    except UnknownPlace as exc:
        raise ValueError(str(exc)) from exc


ProvinceInput = Annotated[str, Field(min_length=2, max_length=100,
                                     description="province code or name (old names accepted)"),
                          AfterValidator(_province_code)]
RegionInput = Annotated[str, Field(min_length=1, max_length=50, description="a region id: north, centre, south")]
EventTypePattern = Annotated[str, Field(min_length=1, max_length=100,
                                        description="an event name (fair.published), a prefix (fair.*) or *")]
AggregateId = Annotated[str, Field(min_length=1, max_length=64)]


class SubscriptionCreate(BaseModel):
    """A filter — event types in some provinces and regions, maybe one fair or programme — and, for a
    webhook, the receiver's URL (without one, the subscription serves its stream, replay and feed only)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2000, description="http(s) address of the receiver")
    provinces: list[ProvinceInput] = Field(default_factory=list, max_length=34)
    regions: list[RegionInput] = Field(default_factory=list, max_length=10)
    event_types: list[EventTypePattern] = Field(min_length=1, max_length=50)
    fair_id: AggregateId | None = None
    programme_id: AggregateId | None = None
    description: Annotated[str, Field(max_length=500), TEXT] = ""


class SubscriptionPublic(BaseModel):
    """A subscription as its owner sees it (never with its secrets or feed token)."""

    id: str
    owner: str
    owner_role: str
    url: str | None
    regions: list[str]
    provinces: list[str]
    event_types: list[str]
    fair_id: str | None
    programme_id: str | None
    centre_id: str | None
    description: str
    active: bool
    flagged: bool = Field(description="a delivery was parked; cleared once no parked delivery is left")
    flagged_at: datetime | None
    flag_reason: str | None
    previous_secret_until: datetime | None = Field(description="end of a secret rotation's overlap, if one runs")
    has_feed: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    """The new subscription and its signing secret: shown this once, keep it."""

    secret: str = Field(description="Standard Webhooks secret (whsec_...) to verify webhook-signature")


class SubscriptionsPublic(BaseModel):
    """A list of subscriptions."""

    data: list[SubscriptionPublic]
    count: int


class SecretRotate(BaseModel):
    """How long the old secret keeps signing beside the new one."""

    model_config = ConfigDict(extra="forbid")

    overlap_s: float | None = Field(default=None, ge=0, le=7 * 86_400,
                                    description="seconds; the service's default when omitted")


class SecretRotated(BaseModel):
    """The new secret (shown this once) and until when the previous one still signs."""

    secret: str
    previous_secret_until: datetime | None


class FeedCreated(BaseModel):
    """The calendar feed's secret address: anyone holding it can read the feed; rotate it if it leaks."""

    url: str
    path: str


class SubscriberPublic(BaseModel):
    """The caller as a subscriber: who, bound to what, and the state of its subscriptions."""

    subject: str
    role: str
    region: str | None
    centre_id: str | None
    provinces: list[str] | None = Field(description="the provinces it may see (null: all)")
    subscriptions: int
    flagged: int


class RegionPublic(BaseModel):
    """A named set of provinces."""

    id: str
    name: str
    centre: str
    provinces: list[str]
