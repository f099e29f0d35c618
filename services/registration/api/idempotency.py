"""`Idempotency-Key` on POST: the first response to a key is kept in Redis and replayed to every retry.

A pure ASGI middleware (the body is read once and handed on). Keys are scoped to the caller (role and
subject of the token) so two users never share one. While the first request runs the key is claimed;
a concurrent retry gets 409. Reusing a key for a different request gets 422. Server errors (5xx) are not
kept, so a retry runs again. Redis unreachable → 503: the caller asked for a guarantee we cannot give.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import decode_token
from shared.problems import PROBLEM_JSON, Problem

log = structlog.get_logger()

HEADER = "idempotency-key"
_HEADER_RAW = HEADER.encode("latin-1")
REPLAYED_HEADER = b"idempotent-replayed"
KEEP_S = 24 * 3600
CLAIM_S = 60
MAX_KEY_LENGTH = 200


class IdempotencyMiddleware:
    """Replays the first response to a POST carrying an `Idempotency-Key`."""

    def __init__(self, app: ASGIApp, *, redis: Callable[[], aioredis.Redis], secret: Callable[[], str],
                 namespace: str) -> None:
        self.app = app
        self._redis = redis
        self._secret = secret
        self._namespace = namespace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _idempotency_key(scope) if scope["type"] == "http" and scope["method"] == "POST" else None
        if key is None:  # most requests: one scan of the raw headers, no object built
            await self.app(scope, receive, send)
            return
        if not (0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()):
            await _problem(send, scope, Problem(400, "Idempotency-Key không hợp lệ / Invalid Idempotency-Key",
                                                type_="validation-error", errors=[{
                                                    "field": "Idempotency-Key",
                                                    "message": f"1 to {MAX_KEY_LENGTH} printable characters"}]))
            return
        body = await _read_body(receive)
        try:
            await self._handle(scope, receive, send, key, body)
        except RedisError as exc:
            log.error("idempotency.store_unavailable", error=str(exc))
            await _problem(send, scope, Problem(503, "Không lưu được khóa idempotency / Idempotency store "
                                                     "unavailable", type_="idempotency-unavailable"))

    async def _handle(self, scope: Scope, receive: Receive, send: Send, key: str, body: bytes) -> None:
        store = self._redis()
        slot = f"idempotency:{self._namespace}:{self._caller(scope)}:{hashlib.sha256(key.encode()).hexdigest()}"
        fingerprint = hashlib.sha256(b"\n".join([scope["path"].encode(), scope.get("query_string", b""),
                                                 body])).hexdigest()
        claimed = await store.set(slot, json.dumps({"state": "pending", "fingerprint": fingerprint}),
                                  nx=True, ex=CLAIM_S)
        if not claimed:
            await self._answer_from(store, slot, fingerprint, scope, send)
            return
        recorded = _Recorder(send)
        try:
            await self.app(scope, _replay_body(body, receive), recorded.send)
        finally:
            if recorded.complete and recorded.status < 500:
                await store.set(slot, json.dumps({"state": "done", "fingerprint": fingerprint, **recorded.saved()}),
                                ex=KEEP_S)
            else:
                await store.delete(slot)

    async def _answer_from(self, store: aioredis.Redis, slot: str, fingerprint: str, scope: Scope,
                           send: Send) -> None:
        raw = await store.get(slot)
        kept: dict[str, Any] = json.loads(raw) if raw else {"state": "pending", "fingerprint": fingerprint}
        if kept["fingerprint"] != fingerprint:
            await _problem(send, scope, Problem(
                422, "Khóa idempotency đã dùng cho yêu cầu khác / Idempotency-Key reused for a different request",
                type_="idempotency-key-reused", errors=[{"field": "Idempotency-Key", "message": "already used"}]))
        elif kept["state"] != "done":
            await _problem(send, scope, Problem(
                409, "Yêu cầu cùng khóa đang được xử lý / A request with this Idempotency-Key is in progress",
                type_="idempotency-in-progress"))
        else:
            log.info("idempotency.replayed", path=scope["path"])
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in kept["headers"]]
            await send({"type": "http.response.start", "status": kept["status"],
                        "headers": [*headers, (REPLAYED_HEADER, b"true")]})
            await send({"type": "http.response.body", "body": base64.b64decode(kept["body"])})

    def _caller(self, scope: Scope) -> str:
        """Who asks, so keys never cross users: the token's role and subject, or "anonymous"."""
        headers = Headers(scope=scope)
        auth = headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else _cookie(headers.get("cookie", ""))
        try:
            principal = decode_token(self._secret(), token) if token else None
        except Problem:
            principal = None
        who = f"{principal.role.value}:{principal.subject}" if principal else "anonymous"
        return hashlib.sha256(who.encode()).hexdigest()[:32]


class _Recorder:
    """Passes the response on while keeping a copy of it."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.body = bytearray()
        self.complete = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))
            self.complete = not message.get("more_body", False)
        await self._send(message)

    def saved(self) -> dict[str, Any]:
        headers = [(k, v) for k, v in self.headers if k.lower() not in ("content-length", "date", "server")]
        return {"status": self.status, "headers": headers, "body": base64.b64encode(bytes(self.body)).decode()}


def _idempotency_key(scope: Scope) -> str | None:
    """The request's first `Idempotency-Key` header, as Starlette's `Headers` would read it (ASGI servers give
    header names in lower case), or None."""
    for name, value in scope["headers"]:
        if name == _HEADER_RAW:
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


def _cookie(raw: str) -> str | None:
    for part in raw.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "hangviet_token":
            return value
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay_body(body: bytes, original: Receive) -> Receive:
    """Hands the already-read body on once, then the client's own channel (which reports a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


async def _problem(send: Send, scope: Scope, problem: Problem) -> None:
    body = json.dumps(problem.body(scope["path"]), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": problem.status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
