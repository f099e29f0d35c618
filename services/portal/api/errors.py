"""Errors as pages a person can read: friendly text and a reference number, never a traceback."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal.api.session import login_redirect
from services.portal.api.views import render
from services.portal.domain.errors import MESSAGES, NotAuthenticated, PortalError, ServiceProblem, ServiceUnavailable
from services.portal.domain.forms import split_detail, split_title
from shared.logs import current_correlation_id
from shared.problems import Problem, problem_response

log = structlog.get_logger()

def error_page(request: Request, status: int, *, title: str | None = None,
               detail: str | None = None) -> Response:
    """The friendly page for an error status."""
    vi, en = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    if title:
        vi, en = split_title(title)
    detail_vi, detail_en = split_detail(detail) if detail and detail != title else ("", "")
    return render(request, "error.html", {"status": status, "title": vi, "title_en": en, "detail": detail_vi,
                                          "detail_en": detail_en, "reference": current_correlation_id()},
                  status_code=status)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def install_page_errors(app: FastAPI) -> None:
    """Render the portal's errors as pages; API callers (no text/html) keep problem+json."""

    @app.exception_handler(NotAuthenticated)
    async def _login(request: Request, exc: NotAuthenticated) -> Response:
        return login_redirect(request)

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, exc: ServiceUnavailable) -> Response:
        return error_page(request, 502, detail="Vui lòng thử lại sau ít phút. / Please try again shortly.")

    @app.exception_handler(ServiceProblem)
    async def _problem(request: Request, exc: ServiceProblem) -> Response:
        # Titles are "Vietnamese / English"; a detail says what exactly (the page escapes it, like all text).
        detail = exc.detail if isinstance(exc.detail, str) else None
        return error_page(request, exc.status, title=exc.title, detail=detail)

    @app.exception_handler(PortalError)
    async def _portal(request: Request, exc: PortalError) -> Response:
        return error_page(request, exc.status, title=exc.title, detail=exc.detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_html(request):
            return error_page(request, exc.status_code)
        return problem_response(Problem(exc.status_code, str(exc.detail)), request)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("portal.unhandled_error", path=request.url.path)
        if _wants_html(request):
            return error_page(request, 500)
        return problem_response(Problem(500, "Lỗi hệ thống / Internal error", type_="internal-error"), request)
