"""Settings only the portal reads: where the other services' HTTP APIs are, and how long to wait for them.

The portal is the only service that calls others. Each backend's base URL is read from `<NAME>_URL`
(REGISTRATION_URL, BOOTHS_URL, MARKETS_URL, BILLING_URL, SUBSCRIPTIONS_URL, NOTIFICATIONS_URL — the names
`make run` and the deployment set); without it the development port on 127.0.0.1. The portal's own knobs read
`PORTAL_*`."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _url(name: str, port: int) -> Any:
    return Field(default=f"http://127.0.0.1:{port}",
                 validation_alias=AliasChoices(f"{name}_URL", f"{name.lower()}_url"),
                 description=f"base URL of the {name.lower()} service's HTTP API ({name}_URL)")


class PortalSettings(BaseSettings):
    """The backends' base URLs (development ports: registration 8001, booths 8002, markets 8003, billing 8004,
    subscriptions 8005, notifications 8006) and the timeout of a call to them."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", env_ignore_empty=True, extra="ignore",
                                      populate_by_name=True)

    registration_url: str = _url("REGISTRATION", 8001)
    booths_url: str = _url("BOOTHS", 8002)
    markets_url: str = _url("MARKETS", 8003)
    billing_url: str = _url("BILLING", 8004)
    subscriptions_url: str = _url("SUBSCRIPTIONS", 8005)
    notifications_url: str = _url("NOTIFICATIONS", 8006)
    # Seconds a call to a service may take (connect, write, read); a solver run asks for longer itself.
    backend_timeout_s: float = Field(default=5.0, gt=0)
    # How often a waiting registration's page asks for its state (PORTAL_WATCH_INTERVAL_S; the browser tests
    # shorten it rather than wait half a minute).
    watch_interval_s: float = Field(default=30.0, gt=0, le=3600)

    def service_urls(self) -> dict[str, str]:
        """Each backend's base URL by service name."""
        return {"registration": self.registration_url, "booths": self.booths_url, "markets": self.markets_url,
                "billing": self.billing_url, "subscriptions": self.subscriptions_url,
                "notifications": self.notifications_url}

    def service_url(self, name: str) -> str:
        """Base URL of a service's HTTP API (KeyError for a service the portal does not call)."""
        return self.service_urls()[name]
