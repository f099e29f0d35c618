"""Wiring of the booths service: the only place its parts meet."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from fastapi import FastAPI

from services.booths.adapters import fastpath
from services.booths.adapters.live import LiveFeed
from services.booths.api import ROUTERS
from services.booths.handlers import make_consumer
from services.booths.models import TABLES
from services.booths.service import holds
from services.booths.service.store import Clock, Context
from services.booths.settings import BoothsSettings
from shared.contracts import booths as ev
from shared.contracts.base import Event
from shared.db import utcnow
from shared.messaging import document_publisher, subscribe
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app

EMITS: list[type[Event]] = [ev.FloorplanPublished, ev.BoothsHeld, ev.BoothsAssigned, ev.BoothsReleased,
                            ev.BoothsBlocked, ev.BoothsUnblocked, ev.AllocationCompleted]


def create_app(settings: Settings, *, booths: BoothsSettings | None = None, clock: Clock = utcnow) -> FastAPI:
    """The booths service: floor plans, standard booths, holds, assignments and allocation (`clock`: what time
    holds are taken and expire by; a test's fake clock)."""
    runtime = ServiceRuntime.build(settings, tables=TABLES, uses_redis=True)  # holds' fast path, live map
    # Picks and the map's messages go through a client whose calls wait for a free connection (fastpath.connect);
    # the runtime's client keeps the map's subscriptions, so watching browsers never starve picks of connections.
    commands = fastpath.connect(settings.redis_url)
    ctx = Context(db=runtime.db, redis=commands, feed=LiveFeed(commands, subscriber=runtime.redis),
                  settings=booths or BoothsSettings(), clock=clock)
    subscribe(make_consumer(runtime, ctx), settings,
              description="Builds a fair's floor plan on fair.published, follows fair.updated/cancelled, records "
                          "registrations, assigns booths on registration.approved (automatic mode), releases them "
                          "on registration.cancelled, and learns from invoice.paid which names the public map shows."
                          " (payment.reversed takes a name back off).")
    document_publisher(runtime.broker, ev.TOPIC, EMITS)

    async def start_background(rt: ServiceRuntime) -> None:
        rt.spawn(holds.sweep_forever(ctx))
        rt.spawn(_close_at_stop(commands))

    app = create_service_app(
        runtime=runtime, title="hangviet booths",
        description="Sơ đồ gian hàng, gian hàng tiêu chuẩn 3 m × 3 m, giữ chỗ và xếp gian / "
                    "floor plans, standard booths, holds, assignments and allocation",
        routers=list(ROUTERS), on_startup=[start_background])
    app.state.booths = ctx
    return app


async def _close_at_stop(client: aioredis.Redis) -> None:
    """Keep ``client`` for the life of the service: the runtime's stop cancels this, which closes it."""
    try:
        await asyncio.Event().wait()
    finally:
        await client.aclose()
