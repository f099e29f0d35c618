"""Wiring of the markets service: the only place its parts meet."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from sqlmodel import SQLModel

from services.markets.api import ROUTERS
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
from services.markets.service.proposals import SolverConfig
from services.markets.settings import MarketsSettings
from shared.contracts import markets as ev
from shared.contracts.base import Event
from shared.messaging import document_publisher
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app

TABLES: list[type[SQLModel]] = [Programme, ProgrammePlan, ProgrammeCap, Site, Supplier, MarketSession,
                                 SessionSupplier, SessionReport, SessionChange, Proposal, ProposalItem]
EMITS: list[type[Event]] = [ev.ProgrammeCreated, ev.SessionScheduled, ev.SessionRescheduled, ev.SessionCancelled,
                            ev.SupplierEnrolled, ev.SessionReported]


def solver_config(settings: MarketsSettings | None = None) -> SolverConfig:
    """The solver limits from the settings; one solve at a time per process (it is CPU-bound)."""
    s = settings or MarketsSettings()
    return SolverConfig(s.solver_time_limit_s, s.solver_max_time_limit_s, s.solver_workers, asyncio.Semaphore(1),
                        s.solver_relative_gap)


def create_app(settings: Settings, *, markets: MarketsSettings | None = None) -> FastAPI:
    """The markets service: programmes and market sessions in mountain and border communes."""
    runtime = ServiceRuntime.build(settings, tables=TABLES)
    document_publisher(runtime.broker, ev.TOPIC, EMITS)
    app = create_service_app(
        runtime=runtime, title="hangviet markets",
        description="Chương trình và phiên chợ \"Đưa hàng Việt về miền núi, biên giới\" / "
                    "market programmes and sessions in mountain and border communes",
        routers=list(ROUTERS))
    app.state.solver = solver_config(markets)
    return app
