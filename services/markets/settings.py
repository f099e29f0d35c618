"""The markets service's own knobs (environment variables MARKETS_*); the kernel's `Settings` is passed beside it."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MarketsSettings(BaseSettings):
    """The solver's limits: MARKETS_SOLVER_TIME_LIMIT_S, MARKETS_SOLVER_MAX_TIME_LIMIT_S (a request may ask for
    up to it), MARKETS_SOLVER_WORKERS, MARKETS_SOLVER_RELATIVE_GAP (the supplier stage stops within it of its
    bound)."""

    model_config = SettingsConfigDict(env_prefix="MARKETS_", env_ignore_empty=True, extra="ignore")
    solver_time_limit_s: float = 10.0
    solver_max_time_limit_s: float = 60.0
    solver_workers: int = 2
    solver_relative_gap: float = Field(default=0.01, ge=0.0, lt=1.0)
