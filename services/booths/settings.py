"""Settings of the booths service beyond the kernel's: hold expiry and solver limits (env `BOOTHS_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BoothsSettings(BaseSettings):
    """`BOOTHS_HOLD_TTL_S=600` and friends; read once when the app is built."""

    model_config = SettingsConfigDict(env_prefix="BOOTHS_", env_ignore_empty=True, extra="ignore")

    hold_ttl_s: float = Field(default=600.0, gt=0, le=86_400, description="how long an exhibitor's pick is held")
    hold_sweep_interval_s: float = Field(default=2.0, gt=0, le=600, description="how often expired holds are released")
    solver_time_limit_s: float = Field(default=10.0, gt=0, le=600, description="CP-SAT's default time limit")
    solver_max_time_limit_s: float = Field(default=120.0, gt=0, le=3600, description="the most a caller may ask")
    solver_workers: int = Field(default=2, ge=1, le=64, description="CP-SAT search workers")
