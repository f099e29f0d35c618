"""Settings of the subscriptions service: the kernel's, plus the webhook policy, streams and regions, read
from SUBSCRIPTIONS_* environment variables."""

from __future__ import annotations

from pydantic import Field, field_validator

from services.subscriptions.domain import DeliveryPolicy
from services.subscriptions.regions import Regions
from shared.settings import Settings

DAY_S = 86_400.0


def _env(name: str) -> str:
    return f"SUBSCRIPTIONS_{name}"


class SubscriptionsSettings(Settings):
    """What the subscriptions service reads beyond the kernel's settings."""

    webhook_base_s: float = Field(default=30.0, gt=0, validation_alias=_env("WEBHOOK_BASE_S"),
                                  description="first retry delay ceiling; doubles per failure")
    webhook_max_s: float = Field(default=3600.0, gt=0, validation_alias=_env("WEBHOOK_MAX_S"),
                                 description="longest retry delay ceiling")
    webhook_max_attempts: int = Field(default=8, ge=1, le=100, validation_alias=_env("WEBHOOK_MAX_ATTEMPTS"),
                                      description="attempts per round; then the delivery is parked and the "
                                                  "subscription flagged")
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120, validation_alias=_env("WEBHOOK_TIMEOUT_S"),
                                     description="total time one call to a receiver may take")
    webhook_max_concurrency: int = Field(default=32, ge=1, validation_alias=_env("WEBHOOK_MAX_CONCURRENCY"),
                                         description="calls to receivers in flight at once, all subscriptions")
    webhook_slow_concurrency: int = Field(default=8, ge=1, validation_alias=_env("WEBHOOK_SLOW_CONCURRENCY"),
                                          description="calls in flight to receivers that were last slow or failing")
    webhook_slow_call_s: float = Field(default=2.0, gt=0, validation_alias=_env("WEBHOOK_SLOW_CALL_S"),
                                       description="a call longer than this makes its receiver count as slow")
    webhook_poll_s: float = Field(default=1.0, gt=0, validation_alias=_env("WEBHOOK_POLL_S"),
                                  description="how often the worker looks for due deliveries when not woken")
    webhook_secret_overlap_s: float = Field(default=DAY_S, ge=0, le=7 * DAY_S,
                                            validation_alias=_env("WEBHOOK_SECRET_OVERLAP_S"),
                                            description="default overlap of a secret rotation")
    stream_poll_s: float = Field(default=1.0, gt=0, validation_alias=_env("STREAM_POLL_S"),
                                 description="how often a live stream looks at the event store when not woken")
    stream_gap_timeout_s: float = Field(default=5.0, ge=0, validation_alias=_env("STREAM_GAP_TIMEOUT_S"),
                                        description="how long a stream waits for a missing sequence number "
                                                    "(a transaction still committing) before passing it")
    stream_ping_s: float = Field(default=15.0, gt=0, validation_alias=_env("STREAM_PING_S"),
                                 description="keep-alive comment interval of a live stream")
    regions: dict[str, list[str]] = Field(default_factory=dict, validation_alias=_env("REGIONS"),
                                          description="JSON: region id → province codes (replaces the defaults)")

    @field_validator("regions")
    @classmethod
    def _known_provinces(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from shared.reference.geo import is_province_code

        unknown = sorted({c for codes in value.values() for c in codes if not is_province_code(c)})
        if unknown:
            raise ValueError(f"SUBSCRIPTIONS_REGIONS names unknown province codes: {', '.join(unknown)}")
        return {name.strip().lower(): codes for name, codes in value.items()}

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> SubscriptionsSettings:
        """The service's settings on top of the kernel's (the environment fills what is not given)."""
        if isinstance(settings, cls) and not overrides:
            return settings
        return cls(**{**settings.model_dump(), **overrides})

    def policy(self) -> DeliveryPolicy:
        """The webhook delivery policy."""
        return DeliveryPolicy(base_s=self.webhook_base_s, max_s=self.webhook_max_s,
                              max_attempts=self.webhook_max_attempts, timeout_s=self.webhook_timeout_s)

    def region_table(self) -> Regions:
        """The regions in force."""
        return Regions.configured(self.regions or None)
