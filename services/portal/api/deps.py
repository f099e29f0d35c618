"""What the pages' routes depend on: the backend client, who the user is (the organizer's pages), the
submitted form, and what every organizer page gets."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request

from services.portal.adapters.backend import Backend
from services.portal.api.session import token_of, viewer
from services.portal.domain.display import FAIR_STATES, REGISTRATION_STATES
from services.portal.domain.errors import NotAuthenticated, PortalError
from services.portal.service.markets_jobs import PlanJob
from services.portal.settings import PortalSettings
from shared.auth import Principal, Role


def backend(request: Request) -> Backend:
    """The backend of the running portal (its HTTP client lives as long as the app)."""
    client: httpx.AsyncClient = request.app.state.http
    settings: PortalSettings = request.app.state.portal
    return Backend(client, settings)


def organizer_session(request: Request) -> tuple[Principal, str]:
    """The organizer and their token; others are sent to log in or refused."""
    token, principal = token_of(request), viewer(request)
    if not token or principal is None:
        raise NotAuthenticated
    if principal.role not in (Role.ORGANIZER, Role.ADMIN):
        raise PortalError(403, "Trang dành cho ban tổ chức / Organizers only")
    return principal, token


def page_context(**values: Any) -> dict[str, Any]:
    """What every organizer page gets besides its own data: the bilingual state names."""
    return {"fair_states": FAIR_STATES, "registration_states": REGISTRATION_STATES, **values}


async def form_of(request: Request) -> dict[str, str]:
    """The submitted form's text fields (a repeated field joined by newlines)."""
    form = await request.form()
    joined: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            joined[key] = f"{joined[key]}\n{value}" if key in joined else value
    return joined


def plan_jobs(request: Request) -> dict[str, PlanJob]:
    """The solver runs of the running portal, by job id (kept in its memory only)."""
    jobs: dict[str, PlanJob] | None = getattr(request.app.state, "markets_jobs", None)
    if jobs is None:
        jobs = {}
        request.app.state.markets_jobs = jobs
    return jobs
