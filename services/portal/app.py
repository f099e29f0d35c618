"""Wiring of the portal: the only place its parts meet."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.portal.backend import TIMEOUT_S
from services.portal.billing_pages import billing_pages
from services.portal.billing_settings import billing_settings
from services.portal.errors import install_page_errors
from services.portal.exhibitor_pages import exhibitor_pages
from services.portal.exhibitor_resubmit import resubmit_pages
from services.portal.login import login
from services.portal.markets_pages import markets_pages
from services.portal.organizer import organizer
from services.portal.pages import pages
from services.portal.regional_pages import regional_pages
from services.portal.views import HERE
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app


def create_app(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The portal; `transport` replaces the network to the services (tests pass an httpx.MockTransport)."""
    # httpx logs every URL at INFO outside structlog; the backend logs the failures that matter.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    runtime = ServiceRuntime.build(settings, tables=[], uses_broker=False)  # pages over the APIs only
    app = create_service_app(
        runtime=runtime, title="hangviet portal",
        description="Cổng thông tin hội chợ và gian hàng / the web pages over the services' APIs",
        routers=[pages, login, organizer, exhibitor_pages, resubmit_pages, billing_pages, billing_settings,
                 markets_pages, regional_pages])
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_page_errors(app)
    _hold_http_client(app, transport)
    return app


def _hold_http_client(app: FastAPI, transport: httpx.AsyncBaseTransport | None) -> None:
    """One pooled HTTP client to the services for the life of the app, closed after the runtime stops."""
    service_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT_S) as client:
            app.state.http = client
            async with service_lifespan(app):
                yield

    app.router.lifespan_context = lifespan
