"""Delivery rules, pure: where a webhook delivery stands and may go next, when to retry, when to give up, and which
secrets sign it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.states import Transitions


class DeliveryStatus(StrEnum):
    """Where one webhook delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    PARKED = "parked"  # gave up after the last attempt; kept for inspection and redelivery


# An attempt moves a pending delivery on; only a redelivery takes a parked one back to pending.
DELIVERY_TRANSITIONS = Transitions(("lần gửi", "delivery"), {
    DeliveryStatus.PENDING: {DeliveryStatus.DELIVERED, DeliveryStatus.PARKED},
    DeliveryStatus.PARKED: {DeliveryStatus.PENDING},
    DeliveryStatus.DELIVERED: set(),
})


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard to try: exponential backoff from `base_s` capped at `max_s`, `max_attempts` per round
    (a redelivery starts a new round), then park."""

    base_s: float = 30.0
    max_s: float = 3600.0
    max_attempts: int = 8
    timeout_s: float = 10.0


def retry_delay_s(attempts: int, policy: DeliveryPolicy, rand: float) -> float:
    """Delay before the next attempt after `attempts` failures: exponential, capped, with equal jitter
    (half fixed, half random) so receivers that failed together are not retried together."""
    ceiling = retry_ceiling_s(attempts, policy)
    return ceiling / 2 + ceiling / 2 * min(max(rand, 0.0), 1.0)


def retry_ceiling_s(attempts: int, policy: DeliveryPolicy) -> float:
    """The longest delay after `attempts` failures (the shortest is half of it)."""
    return min(policy.max_s, policy.base_s * 2.0 ** max(attempts - 1, 0))


def next_status(*, succeeded: bool, attempts: int, policy: DeliveryPolicy, refused: bool = False) -> DeliveryStatus:
    """After an attempt: delivered on success, parked once the round's attempts are spent (or at once when the
    SSRF guard refused the target: every retry would be refused alike), else pending."""
    if succeeded:
        return DeliveryStatus.DELIVERED
    return DeliveryStatus.PARKED if refused or attempts >= policy.max_attempts else DeliveryStatus.PENDING


def is_success(status_code: int | None) -> bool:
    """Only a 2xx answer counts as delivered (redirects are not followed)."""
    return status_code is not None and 200 <= status_code < 300


def signing_secrets(*, current: str, previous: str | None, previous_until: datetime | None,
                    now: datetime) -> list[str]:
    """The secrets that sign a delivery: the current one, and during a rotation's overlap the previous
    one too (Standard Webhooks carries several space-separated signatures; a receiver accepts any)."""
    if previous and previous_until is not None and now < previous_until:
        return [current, previous]
    return [current]
