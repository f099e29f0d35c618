"""The money columns' BIGINT revisions (billing, registration, notifications): upgrading from the previous head
keeps every amount, the columns then take amounts above 2^31 − 1 on PostgreSQL (BIGINT there; SQLite's INTEGER
is 64-bit already and the revision leaves it alone), and the downgrade narrows them back only while every amount
fits — PostgreSQL refuses it otherwise and the database stays at the head."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from shared.db import Database
from shared.migrations import compare, downgrade, revision_of, upgrade
from tests.service.test_migrations import build, execute

INT32_MAX = 2**31 - 1
NINE_TY = 9_000_000_000

# service -> (the money revision, a table and column of it, a row's INSERT with :amount)
CASES = {
    "billing": ("7cef0dc12d26", "billing_credits", "amount_vnd",
                "INSERT INTO billing_credits (id, centre_id, exhibitor_id, amount_vnd, reason, invoice_id, "
                "created_at) VALUES ('c1', 'tq', 'ex1', :amount, 'overpayment', 'inv1', CURRENT_TIMESTAMP)"),
    "notifications": ("23d06c114862", "invoice_copies", "payable_vnd",
                      "INSERT INTO invoice_copies (invoice_id, registration_id, exhibitor_id, number, payable_vnd) "
                      "VALUES ('c1', 'reg1', 'ex1', '0000001', :amount)"),
}


async def scalar(db: Database, sql: str, **params: object) -> object:
    async with db.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar_one()


async def data_types(db: Database, columns: dict[str, list[tuple[str, bool]]]) -> set[str]:
    """The PostgreSQL data types of the revision's columns."""
    found = set()
    for table, names in columns.items():
        for column, _nullable in names:
            found.add(str(await scalar(db, "SELECT data_type FROM information_schema.columns WHERE table_name = :t "
                                           "AND column_name = :c", t=table, c=column)))
    return found


@pytest.mark.parametrize("service", sorted(CASES))
async def test_the_upgrade_keeps_the_amounts_and_then_takes_more_than_int32(service, settings_for):
    revision, table, column, insert = CASES[service]
    _, history, db = build(service, settings_for)
    script = ScriptDirectory(str(history.directory)).get_revision(revision)
    assert script is not None
    previous = script.down_revision
    assert isinstance(previous, str)
    postgres = db.engine.dialect.name == "postgresql"
    try:
        await upgrade(db.engine, history, previous)
        await execute(db, insert, amount=INT32_MAX)
        if postgres:
            assert await data_types(db, script.module.COLUMNS) == {"integer"}
        await upgrade(db.engine, history)
        assert await revision_of(db.engine, history) == revision == history.head()
        assert await compare(db.engine, history) == []
        assert await scalar(db, f"SELECT {column} FROM {table}") == INT32_MAX
        if postgres:
            assert await data_types(db, script.module.COLUMNS) == {"bigint"}
        await execute(db, f"UPDATE {table} SET {column} = :amount", amount=NINE_TY)
        assert await scalar(db, f"SELECT {column} FROM {table}") == NINE_TY
        if postgres:  # 9 tỷ does not fit an INTEGER: the downgrade is refused and changes nothing
            with pytest.raises(Exception, match="out of range"):
                await downgrade(db.engine, history, "-1")
            assert await revision_of(db.engine, history) == revision
            assert await scalar(db, f"SELECT {column} FROM {table}") == NINE_TY
        await execute(db, f"UPDATE {table} SET {column} = :amount", amount=INT32_MAX)
        await downgrade(db.engine, history, "-1")  # every amount fits: safe
        assert await revision_of(db.engine, history) == previous
        assert await scalar(db, f"SELECT {column} FROM {table}") == INT32_MAX
        if postgres:
            assert await data_types(db, script.module.COLUMNS) == {"integer"}
    finally:
        await db.dispose()


async def test_registration_upgrade_keeps_a_fairs_price(settings_for):
    _, history, db = build("registration", settings_for)
    script = ScriptDirectory(str(history.directory)).get_revision("497a1fcad592")
    assert script is not None and isinstance(script.down_revision, str)
    postgres = db.engine.dialect.name == "postgresql"
    try:
        await upgrade(db.engine, history, script.down_revision)
        await execute(db, "INSERT INTO fairs (id, centre_id, name, kind, province_code, venue, starts_on, ends_on, "
                          "registration_opens_at, registration_closes_at, cancellation_deadline, capacity_booths, "
                          "booth_price_vnd, is_free, max_booths_per_exhibitor, allocation_mode, booths_per_row, "
                          "sectors, zones, eligible_kinds, cscnnt_only, home_provinces, priority_policy, "
                          "seller_name, seller_tax_code, seller_address, status, search_text, created_at, "
                          "updated_at) VALUES ('f1', 'tq', 'Hội chợ', 'provincial', '08', 'Tuyên Quang', "
                          "'2027-03-01', '2027-03-07', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 70, "
                          ":amount, false, 4, 'automatic', 10, '[]', '[]', '[]', false, '[]', '{}', 'TT', "
                          "'0100233488', '', 'draft', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)", amount=INT32_MAX)
        await upgrade(db.engine, history)
        assert await compare(db.engine, history) == []
        assert await scalar(db, "SELECT booth_price_vnd FROM fairs") == INT32_MAX
        if postgres:
            assert await data_types(db, script.module.COLUMNS) == {"bigint"}
        await execute(db, "UPDATE fairs SET booth_price_vnd = :amount", amount=NINE_TY)
        assert await scalar(db, "SELECT booth_price_vnd FROM fairs") == NINE_TY
        await execute(db, "UPDATE fairs SET booth_price_vnd = :amount", amount=INT32_MAX)
        await downgrade(db.engine, history, "-1")
        assert await scalar(db, "SELECT booth_price_vnd FROM fairs") == INT32_MAX
    finally:
        await db.dispose()
