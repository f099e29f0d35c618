"""Rows staged in a transaction and written just before it commits: one Core INSERT per table, in staging order.

For append-only rows a use case writes and never reads back in the same transaction (outbox events, audit
entries): an ORM object per row (its construction, the unit of work's flush reading each id back) cost more
than the rest of a one-event transaction. The rows go with the committing transaction, after the ORM's own
changes (the INSERT's execution flushes them first), and vanish with a rollback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

_STAGED = "staged_rows"  # session.info: table → the rows staged for it since the transaction began
_INSERTS: dict[Table, Any] = {}  # one INSERT statement per table, built once


def stage_row(session: Any, table: Table, row: Mapping[str, Any]) -> None:
    """Stage `row` for `table` (every column it needs given) in the session's current transaction."""
    staged: dict[Table, list[Mapping[str, Any]]] = session.info.setdefault(_STAGED, {})
    staged.setdefault(table, []).append(row)


@sa_event.listens_for(Session, "before_commit")
def _write_staged(session: Session) -> None:
    """Each table's staged rows, in staging order (their ids keep it), in the committing transaction."""
    staged: dict[Table, list[Mapping[str, Any]]] | None = session.info.pop(_STAGED, None)
    for table, rows in (staged or {}).items():
        statement = _INSERTS.get(table)
        if statement is None:
            statement = _INSERTS[table] = insert(table)
        session.execute(statement, rows[0] if len(rows) == 1 else rows)


@sa_event.listens_for(Session, "after_rollback")
def _drop_staged(session: Session) -> None:
    session.info.pop(_STAGED, None)
