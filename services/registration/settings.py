"""What only the registration service reads from its environment (the shared `Settings` carry the rest)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.registration.domain.fairs import DEFAULT_MAX_FAIR_DAYS


class RegistrationSettings(BaseSettings):
    """`REGISTRATION_MAX_FAIR_DAYS`: the longest a fair may last, first and last day counted (default 30)."""

    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", env_ignore_empty=True, extra="ignore")

    max_fair_days: int = Field(default=DEFAULT_MAX_FAIR_DAYS, ge=1, le=366)
