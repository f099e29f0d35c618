"""JSON columns: zones' sectors and the audit log's booth codes

A zone's sectors (`booth_zones.sectors`) and the booths an audit entry names (`booth_audit.booth_codes`) were JSON
lists kept as text and parsed by hand; they become JSON columns, whose values SQLAlchemy (de)serialises.

- PostgreSQL: `ALTER COLUMN … TYPE JSONB USING col::jsonb`. Every stored value is parsed; one that is not JSON
  stops the migration and nothing changes (one transaction).
- SQLite: the stored text is kept as it is; only the declared type changes. Not through Alembic's batch
  `alter_column`: it copies the column as `CAST(col AS JSON)`, which SQLite reads with NUMERIC affinity and turns
  every list into 0. Each table is rebuilt by hand instead: its rows held in a temporary table, the table dropped
  and created again from its reflected definition with the new type, the rows inserted back, foreign keys deferred
  until the commit (as billing's revision does for a table others reference).

Downgrade: back to text, the values kept (PostgreSQL writes JSONB normalised, e.g. `["A-01", "A-02"]`, which the
code of the previous revision reads back the same).

Revision ID: b27d02114b41
Revises: 42265af237bd
Create Date: 2026-12-06 22:15:28.776404
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = 'b27d02114b41'
down_revision: str | Sequence[str] | None = '42265af237bd'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {"booth_zones": ("sectors",), "booth_audit": ("booth_codes",)}


def _rebuild_sqlite(bind: Connection, table: str, columns: Sequence[str], type_: sa.types.TypeEngine[Any]) -> None:
    """Give `columns` of `table` a new declared type, keeping every row and stored value as it is."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=bind)  # with the tables its foreign keys name
    names = ", ".join(f'"{column.name}"' for column in reflected.columns)
    bind.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until the commit; reset by it
    # The names are this revision's constants and the reflected columns: nothing from outside (S608).
    bind.exec_driver_sql(f'CREATE TEMP TABLE "_hold_{table}" AS SELECT {names} FROM "{table}"')  # noqa: S608
    reflected.drop(bind)  # its indexes with it
    for name in columns:
        reflected.c[name].type = type_
    reflected.create(bind)  # the same table, constraints and indexes, with the new types
    bind.exec_driver_sql(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM temp."_hold_{table}"')  # noqa: S608
    bind.exec_driver_sql(f'DROP TABLE temp."_hold_{table}"')


def _retype(*, to_json: bool) -> None:
    bind = op.get_bind()
    for table, columns in COLUMNS.items():
        if bind.dialect.name == "postgresql":
            target, cast = ("JSONB", "jsonb") if to_json else ("TEXT", "text")
            op.execute(f'ALTER TABLE "{table}" ' + ", ".join(
                f'ALTER COLUMN "{name}" TYPE {target} USING "{name}"::{cast}' for name in columns))
        else:
            _rebuild_sqlite(bind, table, columns, sa.JSON() if to_json else sa.Text())


def upgrade() -> None:
    """Text to JSON (JSONB on PostgreSQL), the values kept."""
    _retype(to_json=True)


def downgrade() -> None:
    """JSON back to text, the values kept."""
    _retype(to_json=False)
