"""Errors as pages a person can read: friendly text and a reference number, never a traceback."""

from __future__ import annotations

import re

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal.backend import NotAuthenticated, ServiceProblem, ServiceUnavailable
from services.portal.forms import split_title
from services.portal.session import login_redirect
from services.portal.views import render
from shared.logs import current_correlation_id
from shared.problems import Problem, problem_response

log = structlog.get_logger()

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Yêu cầu không hợp lệ", "Bad request"),
    403: ("Không có quyền", "You may not see this page"),
    404: ("Không tìm thấy trang", "Page not found"),
    405: ("Không hỗ trợ thao tác này", "Method not allowed"),
    409: ("Không thực hiện được", "Refused"),
    422: ("Dữ liệu không hợp lệ", "Invalid input"),
    500: ("Lỗi hệ thống", "Internal error"),
    502: ("Dịch vụ tạm thời không trả lời", "A service is not answering"),
}


class PortalError(Exception):
    """Something the portal itself refuses (a wrong role, a malformed id)."""

    def __init__(self, status: int, title: str | None = None, detail: str | None = None) -> None:
        vi, _ = MESSAGES.get(status, MESSAGES[400])
        super().__init__(title or vi)
        self.status = status
        self.title = title or vi
        self.detail = detail


def is_id(value: str) -> bool:
    """Whether the value is safe to put into another service's URL path as one segment."""
    return bool(_ID.fullmatch(value))


def checked_id(value: str) -> str:
    """An id safe to put into another service's URL path; anything odd is simply not found."""
    if not is_id(value):
        raise PortalError(404)
    return value


def error_page(request: Request, status: int, *, title: str | None = None,
               detail: str | None = None) -> Response:
    """The friendly page for an error status."""
    vi, en = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    if title:
        vi, en = split_title(title)
    detail_vi, detail_en = split_title(detail) if detail and detail != title else ("", "")
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
