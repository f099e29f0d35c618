"""The HTTP call that delivers a webhook: one signed POST of a CloudEvent to a receiver, aimed at the address the
SSRF guard checked, bounded in time, its answer read only in part. What the receiver or the network does never
raises: it comes back as an `Outcome`."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx

from services.subscriptions.adapters import net
from services.subscriptions.adapters.urls import Refused
from services.subscriptions.domain import signing
from shared import tracing
from shared.errors import Invalid

EXCERPT_BYTES = 1000
USER_AGENT = "hangviet-webhooks/1"
# The body is a whole CloudEvent (the HTTP binding's structured mode), which that binding labels so.
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


@dataclass(frozen=True)
class Outcome:
    """What one attempt got back."""

    started_at: datetime
    status_code: int | None
    latency_ms: int
    excerpt: str = ""
    error: str | None = None
    refused: bool = False  # the SSRF guard refused the target: no call was made


def client(*, timeout_s: float, tls: ssl.SSLContext | None) -> httpx.AsyncClient:
    """An HTTP client for one lane: no redirects followed, no proxy from the environment."""
    return httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, trust_env=False, verify=tls or True)


async def tls_context() -> ssl.SSLContext:
    """The CA bundle, loaded off the event loop (it takes a good part of a second): once, not per lane."""
    return await asyncio.to_thread(httpx.create_ssl_context)


async def send(client: httpx.AsyncClient, *, url: str, secrets: Sequence[str], event_id: str, subscription_id: str,
               body: bytes, started_at: datetime, allow_loopback: bool, timeout_s: float) -> Outcome:
    """One POST of `body` to `url`, signed with `secrets` and stamped `started_at`, within the trace of the event
    it carries; never raises for what the receiver or the network does."""
    started = time.perf_counter()

    def elapsed_ms() -> int:
        return round((time.perf_counter() - started) * 1000)

    with tracing.continued(_traceparent_of(body), "webhook deliver", kind=tracing.SpanKind.CLIENT,
                           attributes={"hangviet.subscription_id": subscription_id,
                                       "messaging.message.id": event_id}):
        try:
            target = await net.pin(url, allow_loopback=allow_loopback)
            # The W3C trace context (the httpx instrumentation replaces it with its own span's when tracing).
            traced = {"traceparent": traceparent} if (traceparent := tracing.current_traceparent()) else {}
            headers = {**target.headers, **traced, "user-agent": USER_AGENT, "content-type": CONTENT_TYPE,
                       # stamped at each attempt: a retry hours later still passes the receiver's 5-minute check
                       **signing.webhook_headers(list(secrets), msg_id=event_id,
                                                 timestamp=int(started_at.timestamp()), body=body)}
            async with asyncio.timeout(timeout_s):  # a total bound, not per read
                async with client.stream("POST", target.url, content=body, headers=headers,
                                         extensions=target.extensions) as response:
                    excerpt = await _read_excerpt(response)
        except Refused as exc:
            return Outcome(started_at, None, elapsed_ms(), error=exc.message, refused=True)
        except Invalid as exc:  # the name does not resolve (now): retried
            return Outcome(started_at, None, elapsed_ms(), error=exc.message)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, TimeoutError, ValueError) as exc:
            return Outcome(started_at, None, elapsed_ms(), error=f"{type(exc).__name__}: {exc}"[:2000])
    return Outcome(started_at, response.status_code, elapsed_ms(), excerpt=excerpt)


def _traceparent_of(body: bytes) -> str | None:
    """The event's trace context: the CloudEvents distributed-tracing extension of its structured JSON."""
    try:
        value = json.loads(body).get("traceparent")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


async def _read_excerpt(response: httpx.Response) -> str:
    """The start of the receiver's answer, without reading an arbitrarily large body."""
    data = b""
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= EXCERPT_BYTES:
            break
    return data[:EXCERPT_BYTES].decode("utf-8", "replace")
