"""The organizer's pages: the centre's fairs, a fair's registrations, and approving them."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.backend import Backend, NotAuthenticated, backend, items
from services.portal.errors import PortalError, checked_id, is_id
from services.portal.pages import optional
from services.portal.session import token_of, viewer
from services.portal.views import render
from shared.auth import Principal, Role

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]

organizer = APIRouter(prefix="/organizer", tags=["organizer pages"], include_in_schema=False)

# What the page says after an approval, by the registration's new status.
OUTCOMES = {"approved": "Đã duyệt hồ sơ.", "waitlisted": "Hội chợ đã hết gian: hồ sơ được đưa vào danh sách chờ."}


def organizer_session(request: Request) -> tuple[Principal, str]:
    """The organizer and their token; others are sent to log in or refused."""
    token, principal = token_of(request), viewer(request)
    if not token or principal is None:
        raise NotAuthenticated
    if principal.role not in (Role.ORGANIZER, Role.ADMIN):
        raise PortalError(403, "Trang dành cho ban tổ chức / Organizers only")
    return principal, token


@organizer.get("", response_class=HTMLResponse, summary="The centre's fairs (organizer)")
async def read_organizer_home(request: Request, api: BackendDep) -> Response:
    principal, token = organizer_session(request)
    fairs = items(await api.get("registration", "/fairs", token=token))
    own = [f for f in fairs if principal.is_admin() or f.get("centre_id") == principal.centre_id]
    return render(request, "organizer.html", {"fairs": own})


@organizer.get("/fairs/{fair_id}", response_class=HTMLResponse, summary="A fair's registrations (organizer)")
async def read_organizer_fair(request: Request, fair_id: str, api: BackendDep,
                              result: str | None = None) -> Response:
    _, token = organizer_session(request)
    fair_id = checked_id(fair_id)
    fair, page = await asyncio.gather(
        api.get("registration", f"/fairs/{fair_id}", token=token),
        api.get("registration", f"/fairs/{fair_id}/registrations", token=token))
    registrations = items(page)
    names = await exhibitor_names(api, token, {str(r.get("exhibitor_id")) for r in registrations})
    return render(request, "organizer_fair.html", {"fair": fair, "registrations": registrations, "names": names,
                                                   "notice": OUTCOMES.get(result or "")})


async def exhibitor_names(api: Backend, token: str, ids: set[str]) -> dict[str, str]:
    """Exhibitors' legal names by id; an id whose profile cannot be read stays an id."""
    wanted = sorted(i for i in ids if is_id(i))
    profiles = await asyncio.gather(*(optional(api.get("registration", f"/exhibitors/{i}", token=token),
                                               "exhibitor") for i in wanted))
    return {i: str(p.get("legal_name")) for i, p in zip(wanted, profiles, strict=True) if isinstance(p, dict)}


@organizer.post("/registrations/{registration_id}/approve", summary="Approve a registration (organizer)")
async def approve_registration(request: Request, registration_id: str, api: BackendDep) -> Response:
    _, token = organizer_session(request)
    registration = await api.post("registration", f"/registrations/{checked_id(registration_id)}/approve",
                                  token=token)
    log.info("portal.registration_approved", registration_id=registration_id, status=registration.get("status"))
    fair_id = checked_id(str(registration.get("fair_id")))
    outcome = quote(str(registration.get("status")))
    return RedirectResponse(f"/organizer/fairs/{fair_id}?result={outcome}", status_code=303)
