"""Group commit: concurrent calls of one small use case share one write transaction.

Under load a one-row use case spends its transaction waiting, not working: for the write lock (SQLite has one
writer at a time, see `shared/db.py`) and for the round trips of BEGIN, each statement and COMMIT, every one a
turn of a busy event loop. With `GroupCommit.run` callers queue their item instead; one drain task takes what
has queued (up to `max_batch`), reads what the whole batch needs at once (`load`: a query per table, not per
call), applies the items one by one in arrival order (`apply`, each under its caller's context variables, so
its events and log lines keep the caller's correlation id), commits once and answers every caller. A lone
call is a batch of one, so nothing waits for company.

`apply` raising one of `refusals` (a rule saying no) answers that caller only, so it must raise before it
stages anything. Any other failure, the commit's included (a unique index deciding a race with another
process), rolls the batch back and runs each of its items again alone, in a transaction of its own: one
caller's failure is never another's. Never call `run` inside a transaction: the drain task needs the lock.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import Database

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")
log = structlog.get_logger()
_INSTANCES: WeakKeyDictionary[Database, dict[str, GroupCommit[Any, Any, Any]]] = WeakKeyDictionary()


@dataclass
class _Call(Generic[T, R]):
    item: T
    future: asyncio.Future[R]
    context: contextvars.Context


class GroupCommit(Generic[T, S, R]):
    """Runs `apply` for each queued item inside one transaction per batch, after one `load` per batch."""

    def __init__(self, db: Database, *, load: Callable[[AsyncSession, Sequence[T]], Awaitable[S]],
                 apply: Callable[[AsyncSession, S, T], Awaitable[R]],
                 refusals: tuple[type[Exception], ...], max_batch: int = 64, name: str = "group_commit") -> None:
        self._db = db
        self._load = load
        self._apply = apply
        self._refusals = refusals
        self._max_batch = max_batch
        self._name = name
        self._queue: deque[_Call[T, R]] = deque()
        self._drainer: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, db: Database, name: str, **options: Any) -> GroupCommit[Any, Any, Any]:
        """The group commit called `name` on `db`, made with `options` on first use (one per database)."""
        mine = _INSTANCES.setdefault(db, {})
        if name not in mine:
            mine[name] = cls(db, name=name, **options)
        return mine[name]

    async def run(self, item: T) -> R:
        """Apply `item` in the next batch: its result, or the exception its `apply` raised."""
        loop = asyncio.get_running_loop()
        call: _Call[T, R] = _Call(item, loop.create_future(), contextvars.copy_context())
        self._queue.append(call)
        if self._drainer is None or self._drainer.done() or self._drainer.get_loop() is not loop:
            self._drainer = loop.create_task(self._drain())
        return await call.future

    async def _drain(self) -> None:
        batch: list[_Call[T, R]] = []
        try:
            while self._queue:
                batch = []
                while self._queue and len(batch) < self._max_batch:
                    call = self._queue.popleft()
                    if not call.future.done():  # a caller that gave up before its turn is not applied
                        batch.append(call)
                if batch:
                    await self._settle(batch)
        except BaseException:  # cancelled (the service stopping): no caller may wait forever
            for call in [*batch, *self._queue]:
                if not call.future.done():
                    call.future.set_exception(RuntimeError(f"{self._name}: stopped before this call was answered"))
            self._queue.clear()
            raise

    async def _settle(self, batch: list[_Call[T, R]]) -> None:
        try:
            outcomes = await self._transaction(batch)
        except Exception as exc:
            if len(batch) == 1:
                outcomes = [exc]
            else:
                log.info(f"{self._name}.batch_retried_alone", size=len(batch), error=str(exc)[:300])
                outcomes = [await self._alone(call) for call in batch]
        for call, outcome in zip(batch, outcomes, strict=True):
            if call.future.done():
                continue
            if isinstance(outcome, Exception):
                call.future.set_exception(outcome)
            else:
                call.future.set_result(outcome)

    async def _alone(self, call: _Call[T, R]) -> R | Exception:
        try:
            return (await self._transaction([call]))[0]
        except Exception as exc:
            return exc

    async def _transaction(self, batch: list[_Call[T, R]]) -> list[R | Exception]:
        outcomes: list[R | Exception] = []
        async with self._db.transaction() as session:
            state = await self._load(session, [call.item for call in batch])
            for call in batch:
                with _adopted(call.context):
                    try:
                        outcomes.append(await self._apply(session, state, call.item))
                    except self._refusals as exc:
                        outcomes.append(exc)
        return outcomes


@contextmanager
def _adopted(context: contextvars.Context) -> Iterator[None]:
    """The caller's context variables (correlation id, bound log fields) set for the block, then restored."""
    tokens: list[tuple[contextvars.ContextVar[Any], contextvars.Token[Any]]] = [
        (var, var.set(value)) for var, value in context.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
