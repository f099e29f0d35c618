"""Feeding a consumer one batch of records (as the broker hands several to `handle_batch`) and counting the
queries it runs meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.engine.default import NO_CACHE_KEY

from shared.contracts.base import Event
from shared.envelope import event_headers


def record(event: Event, offset: int) -> SimpleNamespace:
    """A broker record carrying `event` (CloudEvents binary mode), at `offset` of partition 0."""
    headers = event_headers(event, source="/tests", correlation_id=f"c-{offset}")
    return SimpleNamespace(topic=event.topic, key=event.key().encode(), partition=0, offset=offset,
                           timestamp=offset, value=event.model_dump_json().encode(),
                           headers=[(k, v.encode()) for k, v in headers.items()])


def records(events: list[Event]) -> list[SimpleNamespace]:
    return [record(e, offset) for offset, e in enumerate(events)]


@contextmanager
def statements(engine: Any, keep: Callable[[str, Any], bool]) -> Iterator[list[str]]:
    """The statements the (async) engine runs inside the block that `keep(statement, context)` accepts."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if keep(statement, context):
            seen.append(statement)

    sa_event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", before)


def selects_of(engine: Any, table: str) -> AbstractContextManager[list[str]]:
    """The SELECTs the (async) engine runs on `table` inside the block."""
    return statements(engine, lambda statement, _: statement.lstrip().upper().startswith("SELECT")
                      and f"FROM {table}" in statement)


def uncached(engine: Any) -> AbstractContextManager[list[str]]:
    """The compiled statements the (async) engine runs inside the block that have no cache key, so SQLAlchemy
    compiles them again on every execution (a multi-VALUES INSERT, say)."""
    return statements(engine, lambda _, context: context.compiled is not None and context.cache_hit is NO_CACHE_KEY)
