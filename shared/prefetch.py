"""Rows a consumer's batch will look up by primary key, read together before the batch is applied.

A handler that reads a few rows by key costs a query each (and, through autoflush, a flush of whatever the
batch has pending before it); on a batch of 200 events that is the larger part of a consumer's time. A
service's prefetch (`EventConsumer.prefetch`) calls `load` once per table with every key of the batch; the
handlers then call `get`, which answers from what was loaded — a row, or "known absent" — and only asks the
database for keys nobody loaded. A handler that creates a row calls `remember`, so a later event of the same
batch finds it instead of creating it twice. Everything lives in `session.info`: one batch, one session.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import inspect
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

M = TypeVar("M", bound=SQLModel)
_INFO_KEY = "prefetched_rows"


def _rows(session: AsyncSession) -> dict[tuple[type[Any], Any], Any]:
    rows: dict[tuple[type[Any], Any], Any] = session.info.setdefault(_INFO_KEY, {})
    return rows


def _key_column(model: type[SQLModel]) -> Any:
    (column,) = inspect(model).primary_key  # single-column keys only: what handlers look up by
    return getattr(model, column.key)


async def load(session: AsyncSession, model: type[M], keys: Iterable[Any]) -> list[M]:
    """Read the rows of `model` with these keys in one query; remember each found and each absent one. Returns
    the rows, which the caller holds for the batch (the identity map alone would let them go)."""
    wanted = {key for key in keys if key}
    if not wanted:
        return []
    column = _key_column(model)
    found = list((await session.exec(select(model).where(col(column).in_(wanted)))).all())
    rows = _rows(session)
    for key in wanted:
        rows[(model, key)] = None
    for row in found:
        rows[(model, getattr(row, column.key))] = row
    return found


async def get(session: AsyncSession, model: type[M], key: Any) -> M | None:
    """The row of `model` with this key: from what `load` read or `remember` was told, else from the database."""
    rows = _rows(session)
    if (model, key) in rows:
        row: M | None = rows[(model, key)]
        return row
    return await session.get(model, key)


def remember(session: AsyncSession, row: SQLModel) -> None:
    """A row created in this batch (added to the session): later `get`s of its key find it."""
    model = type(row)
    _rows(session)[(model, getattr(row, _key_column(model).key))] = row
