"""Response bodies of a subscription's webhook deliveries and their attempts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.subscriptions.domain.delivery import DeliveryStatus


class AttemptPublic(BaseModel):
    """One call to the receiver."""

    number: int
    round: int
    started_at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str
    error: str | None
    signatures: int
    finished_at: datetime | None = Field(description="when the outcome was recorded (the retry delay runs from here)")
    retry_at: datetime | None = Field(description="when the next attempt was scheduled, after a failure")


class DeliveryPublic(BaseModel):
    """One event owed to the subscription and every attempt to deliver it."""

    id: int
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    round_attempts: int
    redeliveries: int
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    last_error: str | None
    attempts: list[AttemptPublic]


class DeliveriesPublic(BaseModel):
    """A page of deliveries, newest first."""

    data: list[DeliveryPublic]
    count: int


class Redelivered(BaseModel):
    """How many parked deliveries were put back in the queue."""

    count: int
    delivery_ids: list[int]
