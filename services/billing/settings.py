"""Settings only billing reads, from ``BILLING_*`` environment variables (the kernel's Settings ignores them)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BillingSettings(BaseSettings):
    """Payment terms and the overdue check's schedule."""

    model_config = SettingsConfigDict(env_prefix="BILLING_", env_ignore_empty=True, extra="ignore")

    # Days from issue to due date when the centre sets none; 0 makes an invoice due the day it is issued.
    due_days: int = Field(default=15, ge=0, le=365)
    # How often the background loop looks for invoices past their due date.
    overdue_check_interval_s: float = Field(default=3600.0, gt=0)
    overdue_check_enabled: bool = True
