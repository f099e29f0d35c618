"""Logging in and out: a development picker of seeded users (absent in production), and logout."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.api.session import (
    DEV_USERS,
    clear_cookie,
    dev_login_enabled,
    dev_user,
    issue_dev_token,
    safe_next,
    set_cookie,
)
from services.portal.api.views import LANG_COOKIE, LANGUAGES, render
from services.portal.domain.errors import PortalError

log = structlog.get_logger()

login = APIRouter(tags=["login"], include_in_schema=False)


def _require_dev_login(request: Request) -> None:
    # Production gets a real identity provider; until then the picker simply does not exist there.
    if not dev_login_enabled(request.app.state.settings):
        raise PortalError(404)


@login.get("/login", response_class=HTMLResponse, summary="Development login picker (not in production)")
async def read_login(request: Request, next: str | None = None) -> Response:
    _require_dev_login(request)
    return render(request, "login.html", {"users": DEV_USERS, "next": safe_next(next) or ""})


@login.post("/login", summary="Log in as a seeded user (not in production)")
async def create_session(request: Request) -> Response:
    _require_dev_login(request)
    form = await request.form()
    user = dev_user(str(form.get("user", "")))
    if user is None:
        raise PortalError(422, "Người dùng không hợp lệ / Unknown user")
    settings = request.app.state.settings
    response = RedirectResponse(safe_next(str(form.get("next", ""))) or user.home, status_code=303)
    set_cookie(response, issue_dev_token(settings, user), settings)
    log.info("portal.logged_in", user=user.key, role=user.role.value)
    return response


@login.post("/logout", summary="Log out (anyone)")
async def delete_session() -> Response:
    response = RedirectResponse("/", status_code=303)
    clear_cookie(response)
    return response


@login.get("/lang/{code}", summary="Switch the pages' language: vi (default) or en (anyone)")
async def switch_language(request: Request, code: str, next: str | None = None) -> Response:
    if code not in LANGUAGES:
        raise PortalError(404)
    response = RedirectResponse(safe_next(next) or "/", status_code=303)
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, path="/", samesite="lax")
    return response
