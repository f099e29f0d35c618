"""Settings of the subscriptions service — the webhook policy, streams and regions, read from SUBSCRIPTIONS_*
environment variables (and WEBHOOK_ALLOW_LOOPBACK); the kernel's settings are passed beside them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.subscriptions.domain.delivery import DeliveryPolicy
from services.subscriptions.domain.regions import Regions

DAY_S = 86_400.0
LOOPBACK_REFUSED = ("WEBHOOK_ALLOW_LOOPBACK=true is refused in production (HANGVIET_ENV=production): "
                    "webhooks to loopback addresses are for development and tests only")


class SubscriptionsSettings(BaseSettings):
    """What the subscriptions service reads beyond the kernel's settings."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=True,
                                      env_prefix="SUBSCRIPTIONS_")

    # A webhook to 127.0.0.1 or ::1 would reach the platform's own unauthenticated ports (Redis, the broker).
    webhook_allow_loopback: bool = Field(default=False,
                                         validation_alias="WEBHOOK_ALLOW_LOOPBACK",
                                         description="allow loopback receivers (development, tests); refused "
                                                     "in production")
    env: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="HANGVIET_ENV",
        description="the deployment (HANGVIET_ENV), read for the loopback refusal")

    webhook_base_s: float = Field(default=30.0, gt=0,
                                  description="first retry delay ceiling; doubles per failure")
    webhook_max_s: float = Field(default=3600.0, gt=0,
                                 description="longest retry delay ceiling")
    webhook_max_attempts: int = Field(default=8, ge=1, le=100,
                                      description="attempts per round; then the delivery is parked and the "
                                                  "subscription flagged")
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120,
                                     description="total time one call to a receiver may take")
    webhook_max_concurrency: int = Field(default=32, ge=1,
                                         description="calls to receivers in flight at once, all subscriptions")
    webhook_slow_concurrency: int = Field(default=8, ge=1,
                                          description="calls in flight to receivers that were last slow or failing")
    webhook_slow_call_s: float = Field(default=2.0, gt=0,
                                       description="a call longer than this makes its receiver count as slow")
    # Woken by every commit that owes deliveries, and each lane waits for its own retries: the poll only finds
    # work a stopped replica left; every 5 s is enough and keeps the idle stack light.
    webhook_poll_s: float = Field(default=5.0, gt=0,
                                  description="how often the worker looks for due deliveries when not woken")
    webhook_secret_overlap_s: float = Field(default=DAY_S, ge=0, le=7 * DAY_S,
                                            description="default overlap of a secret rotation")
    stream_poll_s: float = Field(default=1.0, gt=0,
                                 description="how often a live stream looks at the event store when not woken")
    stream_gap_timeout_s: float = Field(default=5.0, ge=0,
                                        description="how long a stream waits for a missing sequence number "
                                                    "(a transaction still committing) before passing it")
    stream_ping_s: float = Field(default=15.0, gt=0,
                                 description="keep-alive comment interval of a live stream")
    regions: dict[str, list[str]] = Field(default_factory=dict,
                                          description="JSON: region id → province codes (replaces the defaults)")
    # Webhooks, streams and feeds are not the approve → invoice path, and a quarter of a second is nothing to a
    # regional centre: busy, its consumer polls the broker every 250 ms rather than the platform's 10, so at 50
    # events/s a batch holds a dozen (each poll and each batch cost the service and the embedded broker CPU).
    fetch_wait_ms: int = Field(default=250, ge=0, le=10_000,
                               description="the consumer's fetch wait while events flow (never below the "
                                           "platform's KAFKA_FETCH_MAX_WAIT_MS)")

    @field_validator("regions")
    @classmethod
    def _known_provinces(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from shared.reference.geo import is_province_code

        unknown = sorted({c for codes in value.values() for c in codes if not is_province_code(c)})
        if unknown:
            raise ValueError(f"SUBSCRIPTIONS_REGIONS names unknown province codes: {', '.join(unknown)}")
        return {name.strip().lower(): codes for name, codes in value.items()}

    @model_validator(mode="after")
    def _refuse_loopback_webhooks_in_production(self) -> SubscriptionsSettings:
        if self.env == "production" and self.webhook_allow_loopback:
            raise ValueError(LOOPBACK_REFUSED)
        return self

    def policy(self) -> DeliveryPolicy:
        """The webhook delivery policy."""
        return DeliveryPolicy(base_s=self.webhook_base_s, max_s=self.webhook_max_s,
                              max_attempts=self.webhook_max_attempts, timeout_s=self.webhook_timeout_s)

    def region_table(self) -> Regions:
        """The regions in force."""
        return Regions.configured(self.regions or None)
