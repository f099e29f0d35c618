"""money columns BIGINT

Revision ID: 497a1fcad592
Revises: 99ce45456f3f
Create Date: 2026-12-06 22:53:45

The registration column holding money (a fair's booth price, integer VND) becomes BIGINT on PostgreSQL, as billing's
and markets' money columns are: an INTEGER refuses anything past 2,147,483,647 đồng (about 2.1 tỷ). The API caps a
booth price at 1 tỷ today; the column no longer sets a lower limit of its own. On SQLite nothing is done: its
INTEGER is 64-bit already and the models keep that name there (shared/money.py), so the table is not rebuilt.

The downgrade narrows them back to INTEGER, which PostgreSQL refuses ("integer out of range") while a row holds more
than 2^31 - 1: take such rows out first, or stay on this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '497a1fcad592'
down_revision: str | Sequence[str] | None = '99ce45456f3f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (column, nullable)
COLUMNS: dict[str, list[tuple[str, bool]]] = {
    "fairs": [("booth_price_vnd", False)],
}


def _alter(to: sa.types.TypeEngine[int], was: sa.types.TypeEngine[int]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: INTEGER holds 64 bits already (module docstring)
    for table, columns in COLUMNS.items():
        for column, nullable in columns:
            op.alter_column(table, column, type_=to, existing_type=was, existing_nullable=nullable)


def upgrade() -> None:
    """Upgrade schema."""
    _alter(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    """Downgrade schema."""
    _alter(sa.Integer(), sa.BigInteger())
