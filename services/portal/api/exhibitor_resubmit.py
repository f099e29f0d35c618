"""Resubmitting a registration after the organizer asked for changes: a form prefilled with what was sent,
PATCHed to the registration service, whose field errors come back next to the fields."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.backend import Backend
from services.portal.api.deps import backend
from services.portal.api.exhibitor import exhibitor_session
from services.portal.api.views import render
from services.portal.domain.errors import ServiceProblem, checked_id
from services.portal.domain.forms import RESUBMIT_FIELDS, FormErrors, form_from_registration, resubmit_body
from services.portal.domain.product_picks import picked_names, registered_products
from services.portal.service.parts import optional
from services.portal.service.product_picks import profile_products

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]

resubmit_pages = APIRouter(prefix="/me/registrations", tags=["exhibitor pages"], include_in_schema=False)

async def _page(request: Request, api: Backend, token: str, registration: dict[str, Any], *,
                form: dict[str, str] | None = None, picked: list[str] | None = None,
                errors: FormErrors | None = None, status_code: int = 200) -> Response:
    fair_id = checked_id(str(registration.get("fair_id")))
    principal, _ = exhibitor_session(request)
    fair, choices = await asyncio.gather(optional(api.get("registration", f"/fairs/{fair_id}", token=token), "fair"),
                                         profile_products(api, token, principal.exhibitor_id))
    if form is None:  # as sent: the profile's products ticked, the others typed
        form = form_from_registration(registration)
        picked, form["products"] = picked_names(registration.get("products") or [], choices)
    return render(request, "exhibitor/resubmit.html", {
        "registration": registration, "fair": fair if isinstance(fair, dict) else None,
        "form": form, "errors": errors or FormErrors(), "choices": choices, "picked": picked or [],
        "asked": registration.get("status") == "changes_requested"}, status_code=status_code)


@resubmit_pages.get("/{registration_id}/edit", response_class=HTMLResponse,
                    summary="Form: change and resubmit a registration the organizer sent back (exhibitor)")
async def read_resubmit_form(request: Request, registration_id: str, api: BackendDep) -> Response:
    _, token = exhibitor_session(request)
    registration = await api.get("registration", f"/registrations/{checked_id(registration_id)}", token=token)
    return await _page(request, api, token, registration)


@resubmit_pages.post("/{registration_id}/edit", summary="Resubmit with the changes: PATCH, back to review (exhibitor)")
async def resubmit_registration(request: Request, registration_id: str, api: BackendDep) -> Response:
    _, token = exhibitor_session(request)
    registration_id = checked_id(registration_id)
    registration = await api.get("registration", f"/registrations/{registration_id}", token=token)
    posted = await request.form()
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    picked = [v for v in posted.getlist("product_pick") if isinstance(v, str)]
    fair = await optional(api.get("registration", f"/fairs/{checked_id(str(registration.get('fair_id')))}",
                                  token=token), "fair")
    body, errors = resubmit_body(form, fair if isinstance(fair, dict) else None)
    principal, _ = exhibitor_session(request)
    body["products"] = registered_products(picked, body["products"],
                                           await profile_products(api, token, principal.exhibitor_id))
    if errors:
        return await _page(request, api, token, registration, form=form, picked=picked, errors=errors,
                           status_code=422)
    try:
        await api.patch("registration", f"/registrations/{registration_id}", token=token, json=body)
    except ServiceProblem as problem:
        if problem.status not in (409, 422):
            raise
        errors = FormErrors.from_problem(problem, RESUBMIT_FIELDS)
        return await _page(request, api, token, registration, form=form, picked=picked, errors=errors,
                           status_code=problem.status)
    log.info("portal.registration_resubmitted", registration_id=registration_id)
    return RedirectResponse(f"/registrations/{registration_id}?done=resubmitted", status_code=303)
