"""Live booth statuses: changes are published on Redis pub/sub after their transaction commits, and
streamed to browsers as Server-Sent Events, so two organizers looking at one map see the same thing.

Best effort by design: the database is the truth and the map reloads it on (re)connection; a lost
message only delays a colour change until the next reload, so Redis errors are logged, never raised.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

log = structlog.get_logger()

Action = Callable[[], Awaitable[None]]


def channel(fair_id: str) -> str:
    """The pub/sub channel of a fair's map."""
    return f"hangviet:booths:live:{fair_id}"


def after_commit(session: AsyncSession, action: Action) -> None:
    """Run ``action`` once the session's transaction has committed (never if it rolls back)."""
    actions: list[Action] = session.info.setdefault("after_commit", [])
    actions.append(action)
    if len(actions) > 1:
        return

    def fire(sync_session: Any) -> None:
        pending = list(sync_session.info.pop("after_commit", []))
        task = asyncio.get_running_loop().create_task(_run_all(pending))
        _TASKS.add(task)
        task.add_done_callback(_TASKS.discard)

    event.listen(session.sync_session, "after_commit", fire, once=True)
    event.listen(session.sync_session, "after_rollback", lambda s: s.info.pop("after_commit", None), once=True)


_TASKS: set[asyncio.Task[None]] = set()  # strong references: the loop keeps only weak ones


async def _run_all(actions: list[Action]) -> None:
    for action in actions:
        await action()


class LiveFeed:
    """Publishes a fair's booth status changes and streams them to subscribers."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    def stage(self, session: AsyncSession, fair_id: str, changes: Mapping[str, str], cause: str) -> None:
        """Publish ``changes`` (booth code → status) once the session commits."""
        message = json.dumps({"fair_id": fair_id, "cause": cause, "booths": dict(changes)}, ensure_ascii=False)
        after_commit(session, lambda: self.publish(fair_id, message))

    async def publish(self, fair_id: str, message: str) -> None:
        """Send one message on the fair's channel."""
        try:
            await self.redis.publish(channel(fair_id), message)
        except (RedisError, OSError) as exc:
            log.warning("booths.live_publish_failed", fair_id=fair_id, error=str(exc))

    @asynccontextmanager
    async def subscription(self, fair_id: str) -> AsyncIterator[AsyncIterator[str]]:
        """Subscribe to the fair's channel now; iterate the messages as they come."""
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel(fair_id))
        try:
            yield self._messages(pubsub)
        finally:
            await pubsub.unsubscribe(channel(fair_id))
            await pubsub.aclose()

    @staticmethod
    async def _messages(pubsub: PubSub) -> AsyncIterator[str]:
        while True:
            message = await pubsub.get_message(timeout=15.0)
            if message is not None and message.get("type") == "message":
                yield str(message["data"])
