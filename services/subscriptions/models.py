"""Tables of the subscriptions service: subscriptions, the events received, and the delivery outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.subscriptions.domain.delivery import DeliveryStatus
from services.subscriptions.domain.matching import Filter
from shared.db import utc_column, utcnow
from shared.principal import Role
from shared.uow import new_id


class Subscription(SQLModel, table=True):
    """A subscriber's filter (event types in some provinces, maybe one fair or programme) and how it is
    served: a signed webhook when `url` is set; a live stream, replay and calendar feed in any case."""

    __tablename__ = "subscriptions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=64)
    owner: str = Field(index=True, max_length=200)  # the subscriber: the owning principal's subject
    owner_role: str = Field(default=Role.REGIONAL.value, max_length=20)
    url: str | None = Field(default=None, max_length=2000)
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, default=list))
    # The regions expanded when subscribing, plus the provinces named: what matching reads.
    provinces: list[str] = Field(sa_column=Column(JSON, nullable=False))
    event_types: list[str] = Field(sa_column=Column(JSON, nullable=False))
    fair_id: str | None = Field(default=None, max_length=64)
    programme_id: str | None = Field(default=None, max_length=64)
    centre_id: str | None = Field(default=None, max_length=64)  # an organizing centre sees only its own
    description: str = Field(default="", max_length=500)
    # Kept readable because every delivery is signed with it; shown to the subscriber only once.
    secret: str = Field(max_length=100)
    previous_secret: str | None = Field(default=None, max_length=100)  # still signs until the overlap ends
    previous_secret_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    feed_token: str | None = Field(default=None, max_length=100, unique=True)
    flagged_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    flag_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())

    def wanted(self) -> Filter:
        """The subscription's filter, as matching reads it."""
        return Filter(tuple(self.event_types), frozenset(self.provinces), fair_id=self.fair_id,
                      programme_id=self.programme_id, centre_id=self.centre_id)


class Place(SQLModel, table=True):
    """Read model: the province of a fair (from fair.published / fair.updated) or a market programme
    (from programme.created), so that every later event about it can be placed."""

    __tablename__ = "places"

    aggregate_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=20)  # "fair" or "programme"
    province_code: str = Field(max_length=2)
    centre_id: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class StoredEvent(SQLModel, table=True):
    """An event received from Kafka (the event store that replay, streams and feeds read), with the
    CloudEvents structured JSON every webhook carries. `seq` orders the store: a stream's position."""

    __tablename__ = "events"

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True, max_length=64)  # the CloudEvents id
    event_type: str = Field(index=True, max_length=100)  # the event name, e.g. fair.published
    time: datetime = Field(sa_column=utc_column(index=True))
    subject: str = Field(default="", max_length=200)
    province_code: str | None = Field(default=None, max_length=2, index=True)
    fair_id: str | None = Field(default=None, max_length=64, index=True)
    programme_id: str | None = Field(default=None, max_length=64, index=True)
    centre_id: str | None = Field(default=None, max_length=64)
    correlation_id: str = Field(default="", max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Delivery(SQLModel, table=True):
    """One event owed to one subscription: the delivery outbox, written with the event."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "event_id", name="uq_delivery_subscription_event"),)

    id: int | None = Field(default=None, primary_key=True)  # the order of delivery per subscription
    subscription_id: str = Field(foreign_key="subscriptions.id", index=True, max_length=64)
    event_id: str = Field(foreign_key="events.id", index=True, max_length=64)
    event_type: str = Field(max_length=100)
    status: str = Field(default=DeliveryStatus.PENDING.value, index=True, max_length=20)  # a DeliveryStatus
    attempts: int = 0  # every attempt ever made
    round_attempts: int = 0  # attempts since the last (re)delivery started: what the policy counts
    redeliveries: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    # A worker's claim on the row while it calls the receiver, so two workers never send it at once.
    locked_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class DeliveryAttempt(SQLModel, table=True):
    """One HTTP call to a receiver and what came back."""

    __tablename__ = "delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="deliveries.id", index=True)
    number: int
    round: int = 0  # 0 for the first round, then one more per redelivery
    started_at: datetime = Field(sa_column=utc_column())
    status_code: int | None = None
    latency_ms: int = 0
    response_excerpt: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    signatures: int = 1  # secrets that signed it (two during a rotation's overlap)
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))  # when recorded
    # When the policy scheduled the next attempt after this one failed (None: delivered or parked).
    retry_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


TABLES: list[type[SQLModel]] = [Subscription, Place, StoredEvent, Delivery, DeliveryAttempt]
