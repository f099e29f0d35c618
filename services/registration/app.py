"""Wiring of the registration service: the only place its parts meet."""

from __future__ import annotations

import asyncio

import structlog
from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from services.registration.adapters.storage import Storage, storage_from
from services.registration.api import ROUTERS
from services.registration.api.idempotency import IdempotencyMiddleware
from services.registration.handlers import make_consumer
from services.registration.models import TABLES
from services.registration.service.fairs import close_due_fairs
from services.registration.settings import RegistrationSettings
from shared.contracts import registration as ev
from shared.contracts.base import Event
from shared.messaging import document_publisher, subscribe
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app

EMITS: list[type[Event]] = [ev.FairPublished, ev.FairUpdated, ev.FairClosed, ev.FairCancelled,
                            ev.RegistrationSubmitted, ev.RegistrationApproved, ev.RegistrationWaitlisted,
                            ev.RegistrationRejected, ev.RegistrationCancelled]
# How often open fairs whose registration window ended are closed (fair.closed); a minute late is harmless.
WINDOW_SWEEP_S = 60.0
log = structlog.get_logger()


async def _sweep_windows(runtime: ServiceRuntime) -> None:
    """Close fairs whose registration window has ended, for the life of the service."""
    while True:
        try:
            closed = await close_due_fairs(db=runtime.db)
            if closed:
                log.info("fair.windows_closed", fair_ids=closed)
        except (SQLAlchemyError, OSError) as exc:  # a database hiccup: try again at the next sweep, keep sweeping
            log.warning("fair.window_sweep_failed", error=str(exc))
        await asyncio.sleep(WINDOW_SWEEP_S)


async def _start_sweeper(runtime: ServiceRuntime) -> None:
    runtime.spawn(_sweep_windows(runtime))


async def _close_on_stop(storage: Storage) -> None:
    """Hold the documents' storage for the life of the service; its connections close when the service stops."""
    try:
        await asyncio.Event().wait()
    finally:
        await storage.close()


async def _spawn_closer(runtime: ServiceRuntime, storage: Storage) -> None:
    runtime.spawn(_close_on_stop(storage))


def create_app(settings: Settings, *, registration: RegistrationSettings | None = None) -> FastAPI:
    """The registration service: fairs, exhibitor profiles and registrations (`registration`: its own settings,
    read from the environment when not given)."""
    rules = registration or RegistrationSettings()
    settings = settings.off_the_saga_path(rules.fetch_wait_ms)
    runtime = ServiceRuntime.build(settings, tables=TABLES, uses_redis=True)  # idempotency keys
    storage = storage_from(rules, settings.var_dir)  # the files of documents: a folder or an S3-compatible store
    subscribe(make_consumer(runtime), settings,
              description="Cancels the registration of an unpaid invoice on invoice.overdue (reason unpaid) and "
                          "promotes the best waitlisted registrations into the booths it freed.")
    document_publisher(runtime.broker, ev.TOPIC, EMITS)
    app = create_service_app(
        runtime=runtime, title="hangviet registration",
        description="Hội chợ, hồ sơ doanh nghiệp và đăng ký gian hàng / fairs, exhibitors and registrations",
        routers=ROUTERS, on_startup=[_start_sweeper, lambda rt: _spawn_closer(rt, storage)])
    app.state.rules = rules
    app.state.storage = storage
    app.add_middleware(IdempotencyMiddleware, redis=lambda: runtime.redis, secret=lambda: settings.jwt_secret,
                       namespace="registration")
    return app
