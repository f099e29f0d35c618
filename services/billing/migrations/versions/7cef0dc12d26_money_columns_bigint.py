"""money columns BIGINT

Revision ID: 7cef0dc12d26
Revises: 335e3bd5bbb8
Create Date: 2026-12-06 22:53:45

The billing columns holding money (integer VND) become BIGINT on PostgreSQL: an INTEGER refuses anything past
2,147,483,647 đồng (about 2.1 tỷ), which invoice totals, payments, credits and subsidy programme budgets pass (a
national programme of 9 tỷ). On SQLite nothing is done: its INTEGER is 64-bit already and the models keep that name
there (shared/money.py), so the table is not rebuilt.

The downgrade narrows them back to INTEGER, which PostgreSQL refuses ("integer out of range") while a row holds more
than 2^31 - 1: take such rows out first, or stay on this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7cef0dc12d26'
down_revision: str | Sequence[str] | None = '335e3bd5bbb8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (column, nullable)
COLUMNS: dict[str, list[tuple[str, bool]]] = {
    "billing_fairs": [("booth_price_vnd", False)],
    "invoices": [("net_vnd", False), ("vat_vnd", False), ("total_vnd", False), ("subsidy_vnd", False),
                 ("subsidy_requested_vnd", False), ("payable_vnd", False), ("paid_vnd", False)],
    "invoice_lines": [("unit_price_vnd", False), ("net_vnd", False), ("vat_vnd", False)],
    "subsidy_programmes": [("budget_vnd", False), ("committed_vnd", False), ("cap_per_booth_vnd", True)],
    "subsidy_commitments": [("per_booth_vnd", False), ("requested_vnd", False), ("amount_vnd", False)],
    "billing_payments": [("amount_vnd", False), ("applied_vnd", False)],
    "billing_payment_reversals": [("amount_vnd", False), ("applied_vnd", False), ("credit_vnd", False)],
    "billing_credits": [("amount_vnd", False)],
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
