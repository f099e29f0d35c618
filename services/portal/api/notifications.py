"""E-mail notices: the exhibitor's settings (address, language, the notices wanted) over the notifications
service's `/recipients/me`, and the organizer's development mailbox (`/mailbox`: what the local SMTP server
received; no such page in production)."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.backend import Backend
from services.portal.api.deps import backend, organizer_session
from services.portal.api.exhibitor import exhibitor_session
from services.portal.api.session import dev_login_enabled
from services.portal.api.views import render
from services.portal.domain.errors import PortalError, ServiceProblem
from services.portal.domain.forms import FormErrors
from services.portal.domain.notice_forms import (
    LANGUAGES,
    NOTICE_KINDS,
    form_from_recipient,
    mailbox_rows,
    read_form,
    recipient_body,
    recipient_errors,
)

log = structlog.get_logger()

BackendDep = Annotated[Backend, Depends(backend)]

notification_pages = APIRouter(tags=["notification pages"], include_in_schema=False)
SAVED = ("Đã lưu cài đặt thông báo qua e-mail.", "Your e-mail notice settings were saved.")
MAILS_SHOWN = 200


def _settings_page(request: Request, form: dict[str, Any], *, errors: FormErrors | None = None,
                   saved: bool = False, status_code: int = 200) -> Response:
    return render(request, "exhibitor/notifications.html", {
        "form": form, "errors": errors or FormErrors(), "kinds": NOTICE_KINDS, "languages": LANGUAGES,
        "notice": SAVED if saved else None}, status_code=status_code)


@notification_pages.get("/me/notifications", response_class=HTMLResponse,
                        summary="E-mail notices: address, language, the notices wanted (exhibitor)")
async def read_notice_settings(request: Request, api: BackendDep, done: str | None = None) -> Response:
    _, token = exhibitor_session(request)
    recipient = await api.get("notifications", "/recipients/me", token=token)
    return _settings_page(request, form_from_recipient(recipient if isinstance(recipient, dict) else {}),
                          saved=done == "saved")


@notification_pages.post("/me/notifications", summary="Save the e-mail notice settings (exhibitor)")
async def save_notice_settings(request: Request, api: BackendDep) -> Response:
    principal, token = exhibitor_session(request)
    submitted = await request.form()
    fields = {k: v for k, v in submitted.items() if isinstance(v, str)}
    form = read_form(fields, [v for v in submitted.getlist("notices") if isinstance(v, str)])
    try:
        await api.put("notifications", "/recipients/me", token=token, json=recipient_body(form))
    except ServiceProblem as problem:
        if problem.status != 422:
            raise
        return _settings_page(request, form, errors=recipient_errors(problem), status_code=422)
    log.info("portal.notice_settings_saved", exhibitor_id=principal.exhibitor_id, notices=len(form["notices"]))
    return RedirectResponse("/me/notifications?done=saved", status_code=303)


@notification_pages.get("/organizer/mailbox", response_class=HTMLResponse,
                        summary="The development mailbox: mails the local SMTP server received (organizer, admin)")
async def read_mailbox(request: Request, api: BackendDep) -> Response:
    if not dev_login_enabled(request.app.state.settings):
        raise PortalError(404)  # production: no such page
    _, token = organizer_session(request)
    page = await api.get("notifications", "/mailbox", token=token, params={"limit": str(MAILS_SHOWN)})
    return render(request, "organizer/mailbox.html", {"mails": mailbox_rows(page)})


ROUTERS = (notification_pages,)
