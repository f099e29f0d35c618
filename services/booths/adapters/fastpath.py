"""The fast path of exhibitor picks: one Redis key per held booth, set only if absent (SET NX) with the
hold's expiry. It turns away a crowd of pickers before they reach the database; the database's unique
index on live claims stays the final guard, so a lost or stale key can cost speed, never correctness.

A stale key does cost something: a booth the map shows free that nobody can pick until the key expires.
Every call is bounded in time (a frozen Redis must not freeze picks), and a call cut short may still run
when the server wakes, so keys can outlive the pick that set them; the hold sweeper finds the keys no live
hold owns (`reservations`) and drops them (`unreserve`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

log = structlog.get_logger()

# Past this a Redis call is given up: the pick goes on with the database alone.
TIMEOUT_S = 2.0
# The fast path's connections. Past this many calls in flight a call waits (within TIMEOUT_S) for a free one:
# the default pool of redis-py 8.1 (100 connections) raises MaxConnectionsError at once instead, and a
# crowd of pickers reaches it (500 pickers on SQLite: 35 of 50 winners skipped Redis and held booths with no key).
POOL_SIZE = 100
_PREFIX = "hangviet:booths:hold:"

# All-or-nothing SET NX over a pick's booths: a pick of A03–A04 must not keep A03 when A04 is taken.
_RESERVE = """
for i, key in ipairs(KEYS) do
  if not redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then
    for j = 1, i - 1 do redis.call('DEL', KEYS[j]) end
    return i
  end
end
return 0
"""

# Delete only the keys this hold still owns (a key may have expired and been taken by another pick).
_UNRESERVE = """
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then n = n + redis.call('DEL', key) end
end
return n
"""


def connect(url: str) -> aioredis.Redis:
    """The fast path's client (it connects on first use): its calls queue for a connection, never fail for want
    of one. Not for pub/sub, whose subscribers would each keep one of its connections."""
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=POOL_SIZE, timeout=TIMEOUT_S,
                                                    decode_responses=True)
    return aioredis.Redis.from_pool(pool)


def key(fair_id: str, code: str) -> str:
    """The Redis key of a held booth."""
    return f"{_PREFIX}{fair_id}:{code}"


async def reserve(redis: aioredis.Redis, fair_id: str, codes: Sequence[str], hold_id: str,
                  ttl_s: float) -> str | None:
    """Reserve every booth for ``hold_id``; the first booth already reserved by someone else, else None.

    When Redis is unreachable or slow the fast path is skipped (None): the database alone then decides.
    """
    keys = [key(fair_id, code) for code in codes]
    try:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation arriving as its
        # inner call completes, and the hold sweeper then never stopped (apps hung at shutdown under load).
        async with asyncio.timeout(TIMEOUT_S):
            first_taken = int(await redis.eval(_RESERVE, len(keys), *keys, hold_id, max(1, int(ttl_s * 1000))))
    except (RedisError, OSError, TimeoutError) as exc:
        log.warning("booths.fastpath_unavailable", fair_id=fair_id, hold_id=hold_id, error=repr(exc))
        return None
    return codes[first_taken - 1] if first_taken else None


async def unreserve(redis: aioredis.Redis, fair_id: str, codes: Sequence[str], hold_id: str) -> None:
    """Drop the hold's keys (those it still owns); when Redis does not answer, the sweeper drops them later."""
    keys = [key(fair_id, code) for code in codes]
    try:
        async with asyncio.timeout(TIMEOUT_S):
            await redis.eval(_UNRESERVE, len(keys), *keys, hold_id)
    except (RedisError, OSError, TimeoutError) as exc:
        log.warning("booths.fastpath_unreserve_failed", fair_id=fair_id, hold_id=hold_id, error=repr(exc))


@dataclass(frozen=True)
class Reservation:
    """A booth's key in Redis: which hold set it, and how long ago."""

    fair_id: str
    code: str
    hold_id: str
    age_s: float


async def reservations(redis: aioredis.Redis, ttl_s: float) -> list[Reservation]:
    """Every booth key in Redis, its age read from what is left of its expiry (`ttl_s`, the hold time); none
    when Redis does not answer (the next sweep tries again)."""
    try:
        async with asyncio.timeout(TIMEOUT_S * 5):
            return await _reservations(redis, ttl_s)
    except (RedisError, OSError, TimeoutError) as exc:
        log.warning("booths.fastpath_scan_failed", error=repr(exc))
        return []


async def _reservations(redis: aioredis.Redis, ttl_s: float) -> list[Reservation]:
    keys = [k async for k in redis.scan_iter(match=f"{_PREFIX}*", count=1000)]
    if not keys:
        return []
    pipe = redis.pipeline(transaction=False)
    for k in keys:
        pipe.get(k)
        pipe.pttl(k)
    answers = await pipe.execute()
    found = []
    for k, hold_id, pttl in zip(keys, answers[::2], answers[1::2], strict=True):
        if hold_id is None or pttl == -2:  # expired meanwhile
            continue
        fair_id, _, code = _text(k).removeprefix(_PREFIX).partition(":")
        age_s = ttl_s - pttl / 1000 if pttl >= 0 else ttl_s  # no expiry (never set so): as old as a hold gets
        found.append(Reservation(fair_id, code, _text(hold_id), age_s))
    return found


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
