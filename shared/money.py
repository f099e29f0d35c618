"""The database type of money (integer VND) for every service's models.

BIGINT: fair revenues, invoice totals, settlement sums and programme budgets pass 2^31 − 1 (about 2.1 tỷ đồng),
which a PostgreSQL INTEGER refuses. SQLite's INTEGER is 64-bit already, so the column keeps that name there: a
SQLite database needs no migration, and Alembic's comparison sees no difference (it would between INTEGER and
BIGINT, and a batch rebuild of the table to rename the type is a risk for nothing).

Use it as `amount_vnd: int = Field(sa_type=MONEY)` (nullability and default as for any field).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer

MONEY = BigInteger().with_variant(Integer(), "sqlite")
