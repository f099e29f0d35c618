"""Wiring of the markets service: the only place its parts meet."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.markets import api, api_catalogue, api_proposals, api_reports
from services.markets.models import (
    MarketSession,
    Programme,
    ProgrammeCap,
    ProgrammePlan,
    Proposal,
    ProposalItem,
    SessionChange,
    SessionReport,
    SessionSupplier,
    Site,
    Supplier,
)
from services.markets.service_proposals import SolverConfig
from shared.contracts import markets as ev
from shared.contracts.base import Event
from shared.messaging import document_publisher
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app

TABLES = [Programme, ProgrammePlan, ProgrammeCap, Site, Supplier, MarketSession, SessionSupplier, SessionReport,
          SessionChange, Proposal, ProposalItem]
EMITS: list[type[Event]] = [ev.ProgrammeCreated, ev.SessionScheduled, ev.SessionRescheduled, ev.SessionCancelled,
                            ev.SupplierEnrolled, ev.SessionReported]


class SolverSettings(BaseSettings):
    """The solver's limits: MARKETS_SOLVER_TIME_LIMIT_S, MARKETS_SOLVER_MAX_TIME_LIMIT_S, MARKETS_SOLVER_WORKERS,
    MARKETS_SOLVER_RELATIVE_GAP (the supplier stage stops within it of its bound)."""

    model_config = SettingsConfigDict(env_prefix="MARKETS_SOLVER_", env_ignore_empty=True, extra="ignore")
    time_limit_s: float = 10.0
    max_time_limit_s: float = 60.0
    workers: int = 2
    relative_gap: float = Field(default=0.01, ge=0.0, lt=1.0)


def solver_config(settings: SolverSettings | None = None) -> SolverConfig:
    """The solver limits from the environment; one solve at a time per process (it is CPU-bound)."""
    s = settings or SolverSettings()
    return SolverConfig(s.time_limit_s, s.max_time_limit_s, s.workers, asyncio.Semaphore(1), s.relative_gap)


def create_app(settings: Settings) -> FastAPI:
    """The markets service: programmes and market sessions in mountain and border communes."""
    runtime = ServiceRuntime.build(settings, tables=TABLES)
    document_publisher(runtime.broker, ev.TOPIC, EMITS)
    app = create_service_app(
        runtime=runtime, title="hangviet markets",
        description="Chương trình và phiên chợ \"Đưa hàng Việt về miền núi, biên giới\" / "
                    "market programmes and sessions in mountain and border communes",
        routers=[*api.ROUTERS, *api_catalogue.ROUTERS, *api_proposals.ROUTERS,
                 *api_reports.ROUTERS])
    app.state.solver = solver_config()
    return app
