"""money columns BIGINT

Revision ID: 23d06c114862
Revises: bae8fe6221ba
Create Date: 2026-12-06 22:53:45

The notifications columns holding money (integer VND) become BIGINT on PostgreSQL: an INTEGER refuses anything past
2,147,483,647 đồng (about 2.1 tỷ), which an invoice's payable amount passes for a large order. On SQLite nothing is
done: its INTEGER is 64-bit already and the models keep that name there (shared/money.py), so the table is not
rebuilt.

The downgrade narrows them back to INTEGER, which PostgreSQL refuses ("integer out of range") while a row holds more
than 2^31 - 1: take such rows out first, or stay on this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '23d06c114862'
down_revision: str | Sequence[str] | None = 'bae8fe6221ba'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (column, nullable)
COLUMNS: dict[str, list[tuple[str, bool]]] = {
    "invoice_copies": [("payable_vnd", False)],
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
