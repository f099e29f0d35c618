"""The portal's only way to data: the services' HTTP APIs, called with the user's token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from fastapi import Request

from shared.logs import current_correlation_id
from shared.settings import Settings

log = structlog.get_logger()

TIMEOUT_S = 5.0


class NotAuthenticated(Exception):
    """A service answered 401: the user must log in (again)."""


class ServiceUnavailable(Exception):
    """A service could not be reached, or answered 5xx or nonsense: the portal shows a 502 page."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


@dataclass
class ServiceProblem(Exception):
    """A service refused the request with a 4xx problem+json document."""

    status: int
    title: str
    detail: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    document: dict[str, Any] = field(default_factory=dict, repr=False)  # the whole body, extension members too

    def __str__(self) -> str:
        return f"{self.status} {self.title}"

    @classmethod
    def from_response(cls, response: httpx.Response) -> ServiceProblem:
        """Read a problem document, tolerating a body that is not one."""
        try:
            doc = response.json()
        except ValueError:
            doc = {}
        if not isinstance(doc, dict):
            doc = {}
        errors = doc.get("errors")
        rows = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        return cls(status=response.status_code, title=str(doc.get("title") or response.reason_phrase),
                   detail=doc.get("detail"), errors=rows, document=doc)


class Backend:
    """Calls one of the services on behalf of the browser's user (token forwarded as Bearer)."""

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._settings = settings

    async def get(self, service: str, path: str, *, token: str | None,
                  params: dict[str, str] | None = None) -> Any:
        """GET a JSON document."""
        return (await self._send("GET", service, path, token=token, params=params)).json()

    async def post(self, service: str, path: str, *, token: str | None, json: Any = None,
                   wait_s: float | None = None) -> Any:
        """POST a JSON body and read the JSON answer (`wait_s`: a longer timeout, for a slow call: a solver run)."""
        extra = {"timeout": wait_s} if wait_s else {}
        return (await self._send("POST", service, path, token=token, json=json, **extra)).json()

    async def put(self, service: str, path: str, *, token: str | None, json: Any = None) -> Any:
        """PUT a JSON body and read the JSON answer."""
        return (await self._send("PUT", service, path, token=token, json=json)).json()

    async def patch(self, service: str, path: str, *, token: str | None, json: Any = None,
                    wait_s: float | None = None) -> Any:
        """PATCH a JSON body and read the JSON answer (`wait_s` as for `post`)."""
        extra = {"timeout": wait_s} if wait_s else {}
        return (await self._send("PATCH", service, path, token=token, json=json, **extra)).json()

    async def delete(self, service: str, path: str, *, token: str | None) -> httpx.Response:
        """DELETE; the answer may be empty (204)."""
        return await self._send("DELETE", service, path, token=token, expect_json=False)

    async def get_raw(self, service: str, path: str, *, token: str | None,
                      params: dict[str, str] | None = None) -> httpx.Response:
        """GET anything (an SVG image, a PDF, an .xlsx, an .ics), errors mapped as for JSON."""
        return await self._send("GET", service, path, token=token, params=params, expect_json=False)

    async def post_raw(self, service: str, path: str, *, token: str | None, **kwargs: Any) -> httpx.Response:
        """POST anything (a CSV upload: `content=`, `files=`, `json=`), the answer not read as JSON."""
        return await self._send("POST", service, path, token=token, expect_json=False, **kwargs)

    async def put_raw(self, service: str, path: str, *, token: str | None, **kwargs: Any) -> httpx.Response:
        """PUT anything (a CSV plan: `content=`), the answer not read as JSON."""
        return await self._send("PUT", service, path, token=token, expect_json=False, **kwargs)

    def stream(self, service: str, path: str, *, token: str | None,
               headers: dict[str, str] | None = None) -> Any:
        """An open GET stream (Server-Sent Events) to relay: `async with api.stream(...) as response:`.

        The caller checks `response.status_code`; the stream has no read timeout (events may be rare).
        """
        url = self._settings.service_url(service).rstrip("/") + path
        sent = {"X-Correlation-ID": current_correlation_id(), "Accept": "text/event-stream", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        timeout = httpx.Timeout(TIMEOUT_S, read=None)
        return self._client.stream("GET", url, headers=sent, timeout=timeout)

    async def _send(self, method: str, service: str, path: str, *, token: str | None,
                    expect_json: bool = True, **kwargs: Any) -> httpx.Response:
        url = self._settings.service_url(service).rstrip("/") + path
        headers = {"X-Correlation-ID": current_correlation_id(), "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = await self._client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("portal.service_unreachable", service=service, path=path, error=repr(exc))
            raise ServiceUnavailable(service, "unreachable") from exc
        return self._check(service, path, response, expect_json=expect_json)

    @staticmethod
    def _check(service: str, path: str, response: httpx.Response, *, expect_json: bool) -> httpx.Response:
        if response.status_code == 401:
            raise NotAuthenticated
        if response.status_code >= 500:
            log.warning("portal.service_error", service=service, path=path, status=response.status_code)
            raise ServiceUnavailable(service, f"status {response.status_code}")
        if response.status_code >= 400:
            raise ServiceProblem.from_response(response)
        if expect_json:
            try:
                response.json()
            except ValueError as exc:
                log.warning("portal.service_bad_answer", service=service, path=path)
                raise ServiceUnavailable(service, "answer is not JSON") from exc
        return response


def backend(request: Request) -> Backend:
    """The backend of the running portal (its HTTP client lives as long as the app)."""
    client: httpx.AsyncClient = request.app.state.http
    return Backend(client, request.app.state.settings)


def items(page: Any) -> list[dict[str, Any]]:
    """The rows of a `{data, count}` page (or of a bare list)."""
    rows = page.get("data", []) if isinstance(page, dict) else page
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
