"""RFC 9457 problem details for every error an HTTP caller can get; never a traceback."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import Rejected

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://hangviet.vn/problems/"

log = structlog.get_logger()


class Problem(Exception):
    """An error the caller can understand: status, a Vietnamese/English title, and the fields at fault."""

    def __init__(self, status: int, title: str, *, detail: str | None = None, type_: str = "about:blank",
                 errors: list[dict[str, Any]] | None = None, **extensions: Any) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_ if type_ == "about:blank" or type_.startswith("http") else TYPE_BASE + type_
        self.errors = errors
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json document."""
        doc: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            doc["detail"] = self.detail
        if instance:
            doc["instance"] = instance
        if self.errors:
            doc["errors"] = self.errors
        doc.update(self.extensions)
        return doc


def not_found(what: str, ident: str) -> Problem:
    """A 404 problem for an unknown (or not visible) resource."""
    return Problem(404, f"Không tìm thấy / Not found: {what}", detail=f"{what} {ident} does not exist",
                   type_="not-found")


def field_error(field: str, message: str, *, status: int = 422) -> Problem:
    """A problem about one field of the request."""
    return Problem(status, "Dữ liệu không hợp lệ / Invalid input", type_="validation-error",
                   errors=[{"field": field, "message": message}])


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    """The HTTP response of a problem."""
    return JSONResponse(problem.body(str(request.url.path)), status_code=problem.status, media_type=PROBLEM_JSON)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def invalid_json(error: dict[str, Any]) -> Problem:
    """The problem of a body that does not parse as JSON (FastAPI reports `("body", <character position>)`)."""
    loc = tuple(error.get("loc", ()))
    position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    reason = str((error.get("ctx") or {}).get("error", "")) or error.get("msg", "")
    where = f" ở ký tự {position} / at character {position}" if position is not None else ""
    message = "Nội dung không phải JSON hợp lệ / the request body is not valid JSON"
    entry: dict[str, Any] = {"field": "body", "message": message, "code": "json_invalid"}
    if position is not None:
        entry["position"] = position
    return Problem(422, "Nội dung không phải JSON hợp lệ / Request body is not valid JSON", type_="invalid-json",
                   detail=f"JSON không hợp lệ{where}: {reason}", errors=[entry])


def install_problem_handlers(app: FastAPI) -> None:
    """Every error becomes problem+json: ours, FastAPI's validation errors, HTTP errors, and crashes."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(Rejected)
    async def _rejected(request: Request, exc: Rejected) -> JSONResponse:
        errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
        return problem_response(Problem(exc.status, exc.message, type_=exc.code, errors=errors), request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        broken = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
        if broken is not None:
            return problem_response(invalid_json(broken), request)
        errors = [{"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", ""),
                   "code": e.get("type", "")} for e in exc.errors()]
        return problem_response(Problem(422, "Dữ liệu không hợp lệ / Invalid input", type_="validation-error",
                                        errors=errors), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(Problem(exc.status_code, str(exc.detail)), request)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled_error", path=request.url.path)
        return problem_response(Problem(500, "Lỗi hệ thống / Internal error", type_="internal-error"), request)
