"""The fast path of exhibitor picks: one Redis key per held booth, set only if absent (SET NX) with the
hold's expiry. It turns away a crowd of pickers before they reach the database; the database's unique
index on live claims stays the final guard, so a lost or stale key can cost speed, never correctness."""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

log = structlog.get_logger()

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


def key(fair_id: str, code: str) -> str:
    """The Redis key of a held booth."""
    return f"hangviet:booths:hold:{fair_id}:{code}"


async def reserve(redis: aioredis.Redis, fair_id: str, codes: Sequence[str], hold_id: str,
                  ttl_s: float) -> str | None:
    """Reserve every booth for ``hold_id``; the first booth already reserved by someone else, else None.

    When Redis is unreachable the fast path is skipped (None): the database alone then decides.
    """
    keys = [key(fair_id, code) for code in codes]
    try:
        first_taken = int(await redis.eval(_RESERVE, len(keys), *keys, hold_id, max(1, int(ttl_s * 1000))))
    except (RedisError, OSError) as exc:
        log.warning("booths.fastpath_unavailable", fair_id=fair_id, error=str(exc))
        return None
    return codes[first_taken - 1] if first_taken else None


async def unreserve(redis: aioredis.Redis, fair_id: str, codes: Sequence[str], hold_id: str) -> None:
    """Drop the hold's keys (those it still owns)."""
    keys = [key(fair_id, code) for code in codes]
    try:
        await redis.eval(_UNRESERVE, len(keys), *keys, hold_id)
    except (RedisError, OSError) as exc:
        log.warning("booths.fastpath_unreserve_failed", fair_id=fair_id, error=str(exc))
