"""The portal's only way to data: the services' HTTP APIs, called with the user's token."""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from services.portal.domain.errors import NotAuthenticated, ServiceProblem, ServiceUnavailable
from services.portal.settings import PortalSettings
from shared.logs import current_correlation_id

log = structlog.get_logger()


def problem_of(response: httpx.Response) -> ServiceProblem:
    """A service's refusal as a problem, tolerating a body that is not a problem document."""
    try:
        doc = response.json()
    except ValueError:
        doc = {}
    return ServiceProblem.from_document(response.status_code, doc, response.reason_phrase)


class Backend:
    """Calls one of the services on behalf of the browser's user (token forwarded as Bearer)."""

    def __init__(self, client: httpx.AsyncClient, settings: PortalSettings) -> None:
        self._client = client
        self._settings = settings

    async def get(self, service: str, path: str, *, token: str | None,
                  params: dict[str, str] | None = None) -> Any:
        """GET a JSON document."""
        return (await self._send("GET", service, path, token=token, params=params)).json()

    async def post(self, service: str, path: str, *, token: str | None, json: Any = None,
                   wait_s: float | None = None) -> Any:
        """POST a JSON body and read the JSON answer (`wait_s`: a longer timeout, for a slow call: a solver run)."""
        extra: dict[str, Any] = {"timeout": wait_s} if wait_s else {}
        return (await self._send("POST", service, path, token=token, json=json, **extra)).json()

    async def put(self, service: str, path: str, *, token: str | None, json: Any = None) -> Any:
        """PUT a JSON body and read the JSON answer."""
        return (await self._send("PUT", service, path, token=token, json=json)).json()

    async def patch(self, service: str, path: str, *, token: str | None, json: Any = None,
                    wait_s: float | None = None) -> Any:
        """PATCH a JSON body and read the JSON answer (`wait_s` as for `post`)."""
        extra: dict[str, Any] = {"timeout": wait_s} if wait_s else {}
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
        timeout = httpx.Timeout(self._settings.backend_timeout_s, read=None)
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
            raise problem_of(response)
        if expect_json:
            try:
                response.json()
            except ValueError as exc:
                log.warning("portal.service_bad_answer", service=service, path=path)
                raise ServiceUnavailable(service, "answer is not JSON") from exc
        return response


def items(page: Any) -> list[dict[str, Any]]:
    """The rows of a `{data, count}` page (or of a bare list)."""
    rows = page.get("data", []) if isinstance(page, dict) else page
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
