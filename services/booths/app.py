"""Wiring of the booths service: the only place its parts meet."""

from __future__ import annotations

from fastapi import FastAPI

from services.booths import picks
from services.booths.api import floorplans
from services.booths.api_ops import assignments
from services.booths.api_picks import holds
from services.booths.config import BoothsConfig
from services.booths.handlers import make_consumer
from services.booths.live import LiveFeed
from services.booths.models import TABLES
from services.booths.store import Context
from shared.contracts import booths as ev
from shared.contracts.base import Event
from shared.messaging import document_publisher, subscribe
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app

EMITS: list[type[Event]] = [ev.FloorplanPublished, ev.BoothsHeld, ev.BoothsAssigned, ev.BoothsReleased,
                            ev.BoothsBlocked, ev.BoothsUnblocked, ev.AllocationCompleted]


def create_app(settings: Settings, config: BoothsConfig | None = None) -> FastAPI:
    """The booths service: floor plans, standard booths, holds, assignments and allocation."""
    runtime = ServiceRuntime.build(settings, tables=TABLES, uses_redis=True)  # holds' fast path, live map
    ctx = Context(db=runtime.db, redis=runtime.redis, feed=LiveFeed(runtime.redis), config=config or BoothsConfig())
    subscribe(make_consumer(runtime, ctx), settings,
              description="Builds a fair's floor plan on fair.published, follows fair.updated/cancelled, records "
                          "registrations, assigns booths on registration.approved (automatic mode), releases them "
                          "on registration.cancelled, and learns from invoice.paid which names the public map shows.")
    document_publisher(runtime.broker, ev.TOPIC, EMITS)

    async def start_hold_sweeper(rt: ServiceRuntime) -> None:
        rt.spawn(picks.sweep_forever(ctx))

    app = create_service_app(
        runtime=runtime, title="hangviet booths",
        description="Sơ đồ gian hàng, gian hàng tiêu chuẩn 3 m × 3 m, giữ chỗ và xếp gian / "
                    "floor plans, standard booths, holds, assignments and allocation",
        routers=[floorplans, assignments, holds], on_startup=[start_hold_sweeper])
    app.state.booths = ctx
    return app
