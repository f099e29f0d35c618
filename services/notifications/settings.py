"""Settings of the notifications service — SMTP, the sender's policy, billing and the portal — read from
NOTIFICATIONS_* environment variables; the kernel's settings are passed beside them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notifications.domain.sending import SendPolicy


class NotificationsSettings(BaseSettings):
    """What the notifications service reads beyond the kernel's settings."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", populate_by_name=True,
                                      env_prefix="NOTIFICATIONS_")

    env: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="HANGVIET_ENV",
        description="the deployment (HANGVIET_ENV): the mailbox route exists outside production only")
    smtp_host: str = Field(default="127.0.0.1", description="the SMTP server mails go through")
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_user: str = Field(default="", description="login, when the server asks for one")
    smtp_password: SecretStr = Field(default=SecretStr(""))
    smtp_starttls: bool = Field(default=False, description="upgrade the connection with STARTTLS")
    smtp_timeout_s: float = Field(default=10.0, gt=0, le=120)
    sender: str = Field(default="Hàng Việt <no-reply@hangviet.local>", description="the From of every mail")
    max_attempts: int = Field(default=6, ge=1, le=50, description="attempts before a mail is parked")
    backoff_s: float = Field(default=30.0, gt=0, description="first retry delay; doubles per failure")
    backoff_max_s: float = Field(default=3600.0, gt=0, description="longest retry delay")
    # Woken by every commit that owes a mail; the poll only finds retries (30 s apart at least) and mails a stopped
    # replica had claimed: every 5 s is enough and keeps the idle stack light.
    poll_s: float = Field(default=5.0, gt=0, description="how often the sender looks for due mails when not woken")
    billing_url: str = Field(default="", validation_alias=AliasChoices("NOTIFICATIONS_BILLING_URL", "BILLING_URL"),
                             description="billing's base URL, to fetch invoice PDFs (empty: a link only)")
    portal_url: str = Field(default="http://127.0.0.1:8000",
                            validation_alias=AliasChoices("NOTIFICATIONS_PORTAL_URL", "PORTAL_URL"),
                            description="the portal, for links in mails")
    mailbox_dir: Path | None = Field(default=None, description="where the development SMTP server stores .eml "
                                                               "files (default: <var>/mailbox)")
    # Mails are not the approve → invoice path, and a quarter of a second more before a mail is owed is nothing
    # to its reader: busy, its consumer polls the broker every 250 ms rather than the platform's 10, so at 50
    # events/s a batch holds a dozen (each poll and each batch cost the service and the embedded broker CPU).
    fetch_wait_ms: int = Field(default=250, ge=0, le=10_000,
                               description="the consumer's fetch wait while events flow (never below the "
                                           "platform's KAFKA_FETCH_MAX_WAIT_MS)")

    @model_validator(mode="after")
    def _production_needs_a_real_server(self) -> NotificationsSettings:
        if self.env == "production" and self.smtp_host in {"127.0.0.1", "localhost"}:
            raise ValueError("NOTIFICATIONS_SMTP_HOST must name the SMTP server in production")
        return self

    def policy(self) -> SendPolicy:
        """The sender's retry policy."""
        return SendPolicy(base_s=self.backoff_s, max_s=self.backoff_max_s, max_attempts=self.max_attempts)
