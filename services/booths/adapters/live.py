"""Live booth statuses: changes are published on Redis pub/sub after their transaction commits, and
streamed to browsers as Server-Sent Events, so two organizers looking at one map see the same thing.

Best effort by design: the database is the truth and the map reloads it on (re)connection; a lost
message only delays a colour change until the next reload, so Redis errors are logged, never raised.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
import structlog
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from shared.uow import AfterCommit, UnitOfWork

log = structlog.get_logger()

Action = Callable[[], Awaitable[None]]


def channel(fair_id: str) -> str:
    """The pub/sub channel of a fair's map."""
    return f"hangviet:booths:live:{fair_id}"


def soon(action: Action) -> AfterCommit:
    """An after-commit action that runs the coroutine ``action()`` on the running loop (a commit's listeners are
    synchronous), after those started before it: a map sees a swap's releases before its assignments."""

    def start() -> None:
        loop = asyncio.get_running_loop()
        task = loop.create_task(_after(_LAST.get(loop), action))
        _LAST[loop] = task
        _TASKS.add(task)
        task.add_done_callback(_TASKS.discard)

    return start


async def _after(previous: asyncio.Task[None] | None, action: Action) -> None:
    if previous is not None and not previous.done():
        await asyncio.wait([previous])  # its outcome is its own: only the order matters here
    await action()


_TASKS: set[asyncio.Task[None]] = set()  # strong references: the loop keeps only weak ones
_LAST: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = weakref.WeakKeyDictionary()


class LiveFeed:
    """Publishes a fair's booth status changes and streams them to subscribers."""

    def __init__(self, redis: aioredis.Redis, *, subscriber: aioredis.Redis | None = None) -> None:
        """``redis`` publishes; ``subscriber`` (``redis`` by default) serves the subscriptions, each holding one of
        its connections for as long as a browser watches."""
        self.redis = redis
        self.subscriber = redis if subscriber is None else subscriber

    def stage(self, uow: UnitOfWork, fair_id: str, changes: Mapping[str, str], cause: str) -> None:
        """Publish ``changes`` (booth code → status) once the unit of work commits."""
        message = json.dumps({"fair_id": fair_id, "cause": cause, "booths": dict(changes)}, ensure_ascii=False)
        uow.after_commit(soon(lambda: self.publish(fair_id, message)))

    async def publish(self, fair_id: str, message: str) -> None:
        """Send one message on the fair's channel."""
        try:
            await self.redis.publish(channel(fair_id), message)
        except (RedisError, OSError) as exc:
            log.warning("booths.live_publish_failed", fair_id=fair_id, error=str(exc))

    @asynccontextmanager
    async def subscription(self, fair_id: str) -> AsyncIterator[AsyncIterator[str]]:
        """Subscribe to the fair's channel now; iterate the messages as they come."""
        pubsub = self.subscriber.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel(fair_id))
        try:
            yield self._messages(pubsub)
        finally:
            await pubsub.unsubscribe(channel(fair_id))
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    @staticmethod
    async def _messages(pubsub: PubSub) -> AsyncIterator[str]:
        while True:
            message = await pubsub.get_message(timeout=15.0)
            if message is not None and message.get("type") == "message":
                yield str(message["data"])
