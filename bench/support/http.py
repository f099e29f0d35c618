"""Driving the running platform over HTTP as its users would: development tokens, a fair, exhibitor profiles
with valid distinct tax codes, and a pool of concurrent callers that times every call."""

from __future__ import annotations

import asyncio
import functools
import json as jsonlib
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import aiohttp

from bench.support.stats import summarize
from shared.auth import Role, issue_token
from shared.settings import load_settings
from shared.taxcode import tax_code_check_digit

T = TypeVar("T")


@functools.cache
def _secret() -> str:
    return load_settings("bench").jwt_secret


def bearer(**claims: Any) -> dict[str, str]:
    """A development token (the development secret, as `hangviet token` signs it) as a header."""
    return {"Authorization": f"Bearer {issue_token(_secret(), **claims)}"}


def organizer() -> dict[str, str]:
    return bearer(role=Role.ORGANIZER, centre_id="tq")


def exhibitor(exhibitor_id: str) -> dict[str, str]:
    return bearer(role=Role.EXHIBITOR, exhibitor_id=exhibitor_id)


def tax_codes(prefix: str = "81") -> Iterator[str]:
    """Distinct valid ten-digit tax codes (the check digit computed; prefixes without one skipped)."""
    n = 0
    while True:
        first9 = f"{prefix}{n:0{9 - len(prefix)}d}"
        n += 1
        check = tax_code_check_digit(first9)
        if check is not None:
            yield f"{first9}{check}"


def fair_body(capacity: int) -> dict[str, Any]:
    """A provincial fair open for registration now, one automatic booth per approval."""
    now, today = datetime.now(UTC), date.today()
    return {
        "name": "Hội chợ đo tải / load-test fair", "kind": "provincial", "province_code": "08",
        "venue": "Quảng trường Nguyễn Tất Thành, Tuyên Quang",
        "starts_on": (today + timedelta(days=90)).isoformat(), "ends_on": (today + timedelta(days=94)).isoformat(),
        "registration_opens_at": (now - timedelta(days=1)).isoformat(),
        "registration_closes_at": (now + timedelta(days=60)).isoformat(),
        "capacity_booths": capacity, "booth_price_vnd": 5_000_000, "max_booths_per_exhibitor": min(3, capacity),
        "booths_per_row": 50,
        "seller": {"name": "Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang", "tax_code": "0100233488",
                   "address": "Tuyên Quang"},
    }


def exhibitor_body(index: int, tax_code: str) -> dict[str, Any]:
    """A cooperative from Đồng Văn with its own name and tax code."""
    return {"legal_name": f"HTX Đo tải số {index}", "kind": "cooperative", "tax_code": tax_code,
            "province_code": "Hà Giang", "commune_code": "00721", "address": "Thị trấn Đồng Văn"}


@dataclass
class Call:
    """One timed HTTP call (epoch seconds); `status` is the code or the exception's name."""

    started: float
    ended: float
    status: str
    body: Any = None

    @property
    def ms(self) -> float:
        return (self.ended - self.started) * 1000


class HTTPStatusError(Exception):
    """A response whose status says the call failed (`raise_for_status`)."""


@dataclass
class Response:
    """What a call answered: its status and its body, read whole."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise HTTPStatusError(f"{self.status_code}: {self.text[:500]}")


class Client:
    """The load generator's HTTP client: aiohttp, because the generator must cost the machine little. httpx's
    pool scans every connection (a socket call each) for every request: at concurrency 50 the bench used most
    of a core of the 2 it shares with the stack, and the /health floor measured the client more than the
    service. Idle connections expire after 2 s, before uvicorn's 5 s keep-alive closes them under a request."""

    def __init__(self, concurrency: int) -> None:
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        connector = aiohttp.TCPConnector(limit=self._concurrency + 10, keepalive_timeout=2.0)
        self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60),
                                              trust_env=False)  # no proxy between us and local children
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, url: str, *, json: Any = None, headers: dict[str, str] | None = None,
                    params: dict[str, Any] | None = None) -> Response:
        assert self._session is not None, "use the client as `async with`"
        body = None if json is None else jsonlib.dumps(json).encode()
        sent = {**(headers or {}), **({"Content-Type": "application/json"} if body is not None else {})}
        async with self._session.request(method, url, data=body, headers=sent, params=params) as res:
            return Response(res.status, await res.read())

    async def get(self, url: str, *, headers: dict[str, str] | None = None,
                  params: dict[str, Any] | None = None) -> Response:
        return await self._call("GET", url, headers=headers, params=params)

    async def post(self, url: str, *, json: Any = None, headers: dict[str, str] | None = None) -> Response:
        return await self._call("POST", url, json=json, headers=headers)


async def timed(request: Awaitable[Response]) -> Call:
    """Await a request and time it; a transport error is a call with the exception's name as status."""
    started = time.time()
    try:
        response = await request
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Call(started, time.time(), type(exc).__name__)
    ended = time.time()
    try:
        body = response.json()
    except ValueError:
        body = None
    return Call(started, ended, str(response.status_code), body)


async def pool(items: Sequence[T], call: Callable[[T], Awaitable[Call]], concurrency: int) -> list[Call]:
    """Run `call` on every item with `concurrency` callers at once; results in the items' order."""
    results: list[Call | None] = [None] * len(items)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(items)):
        queue.put_nowait(index)

    async def caller() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            results[index] = await call(items[index])

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return [r for r in results if r is not None]


def calls_summary(calls: Sequence[Call], ok: str) -> dict[str, Any]:
    """Rate (calls over the span from first start to last end), latency percentiles (failed calls included,
    with the time they took), statuses; a call is an error unless its status is `ok`."""
    statuses: dict[str, int] = {}
    for c in calls:
        statuses[c.status] = statuses.get(c.status, 0) + 1
    span = max((c.ended for c in calls), default=0) - min((c.started for c in calls), default=0)
    return {"n": len(calls), "per_s": len(calls) / span if span > 0 else None, "seconds": span,
            "errors": sum(c.status != ok for c in calls), "statuses": statuses,
            "latency": summarize([c.ms for c in calls])}


def client(concurrency: int) -> Client:
    """A client with room for `concurrency` connections (see `Client`)."""
    return Client(concurrency)
