"""Wiring of the portal: the only place its parts meet."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.portal.api import ROUTERS
from services.portal.api.errors import install_page_errors
from services.portal.api.views import HERE
from services.portal.settings import PortalSettings
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app


def create_app(settings: Settings, *, portal: PortalSettings | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The portal; `portal`: where the services are (read from the environment when not given); `transport`
    replaces the network to the services (tests pass an httpx.MockTransport)."""
    portal = portal or PortalSettings()
    # httpx logs every URL at INFO outside structlog; the backend logs the failures that matter.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    runtime = ServiceRuntime.build(settings, tables=[], uses_broker=False)  # pages over the APIs only
    app = create_service_app(
        runtime=runtime, title="hangviet portal",
        description="Cổng thông tin hội chợ và gian hàng / the web pages over the services' APIs",
        routers=list(ROUTERS))
    app.state.portal = portal
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_page_errors(app)
    _hold_http_client(app, transport, portal.backend_timeout_s)
    return app


def _hold_http_client(app: FastAPI, transport: httpx.AsyncBaseTransport | None, timeout_s: float) -> None:
    """One pooled HTTP client to the services for the life of the app, closed after the runtime stops."""
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(transport=transport, timeout=timeout_s) as client:
            app.state.http = client
            async with service_lifespan(app):
                yield

    app.router.lifespan_context = lifespan
