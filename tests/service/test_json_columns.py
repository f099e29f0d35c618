"""JSON kept as text and parsed by hand became JSON columns (JSONB on PostgreSQL): billing's price lists and
programme lists, booths' zone sectors and audit booth codes. A database at the revision before, with rows written
the old way (text, as the old code wrote it: Vietnamese unescaped, VND as integers), is upgraded and every value
reads back equal, through the models and through the services' own API; the revision goes down again to text."""

from __future__ import annotations

import importlib
import json
from datetime import date
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, Text, inspect, text
from sqlmodel import SQLModel, col, select

from services.billing.models import FairPriceList, SubsidyProgramme, SubsidyUsage
from services.booths.models import AuditEntry, BoothZone
from shared.db import Database, utcnow
from shared.migrations import History, compare, downgrade, revision_of, upgrade
from tests.conftest import running_app, token

# The organizer's price list as `PriceListBody.model_dump_json()` wrote it: keys in the body's order (JSONB keeps
# its own order, so values are compared as dicts), amounts in đồng beyond 32 bits, Vietnamese names.
PRICE_CONFIG: dict[str, Any] = {
    "price_by_kind": {"cooperative": 4_500_000, "household": 3_000_000},
    "corner_surcharge": {"amount_vnd": 500_000, "percent": 0},
    "premium_surcharge": {"amount_vnd": 0, "percent": 10},
    "premium_booth_codes": ["B-10", "A-02", "A-01"],
    "extras": [{"code": "dien-3kw", "name": "Điện 3 kW – ổ cắm riêng", "unit": "bộ", "unit_price_vnd": 2_500_000_000,
                "vat_category": "service", "per_booth": True}],
    "booth_vat_category": "service",
}
PROGRAMME_LISTS: dict[str, list[str]] = {
    "eligible_kinds": ["cooperative", "household"],
    "eligible_provinces": ["08", "26"],
    "eligible_communes": ["02260", "07672"],
    "fair_ids": ["fair-hà-giang"],
}
SECTORS = ["Nông sản – đặc sản", "Thủ công mỹ nghệ", "Dệt may"]
BOOTH_CODES = ["B-10", "A-02", "A-01"]  # in the order written: a list keeps it


def old_dumps(value: Any) -> str:
    """JSON as the code before the revision wrote it."""
    return json.dumps(value, ensure_ascii=False)


def build(service: str, settings_for):
    app = importlib.import_module(f"services.{service}.app").create_app(settings_for(service))
    return app, History.of(service, app.state.runtime.tables), app.state.runtime.db


# The revisions that made the columns JSON (later revisions build on them).
JSON_REVISION = {"billing": "a9cbbf9050d8", "booths": "b27d02114b41"}


def before_json(history: History) -> str:
    """The revision before the JSON columns."""
    previous = ScriptDirectory(str(history.directory)).get_revision(JSON_REVISION[history.service]).down_revision
    assert isinstance(previous, str)
    return previous


def as_text(model: type[SQLModel], *json_columns: str) -> Table:
    """The model's table as it was before the revision: its JSON columns plain text."""
    table = model.__table__.to_metadata(MetaData())  # type: ignore[attr-defined]
    for name in json_columns:
        table.c[name].type = Text()
    return table


async def insert(db: Database, table: Table, rows: list[dict[str, Any]]) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(table.insert(), rows)


async def column_types(db: Database, table: str) -> dict[str, str]:
    async with db.engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: inspect(sync).get_columns(table))
    return {c["name"]: str(c["type"]) for c in columns}


async def raw_values(db: Database, sql: str) -> list[Any]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(text(sql))).scalars())


def assert_exact(got: Any, expected: Any) -> None:
    """Equal, and integers still integers (never floats or strings): money is counted in whole đồng."""
    assert got == expected
    if isinstance(expected, dict):
        for key, value in expected.items():
            assert_exact(got[key], value)
    elif isinstance(expected, list):
        for item, value in zip(got, expected, strict=True):
            assert_exact(item, value)
    else:
        assert type(got) is type(expected)


class TestBilling:
    async def write_old_rows(self, db: Database) -> None:
        now = utcnow()
        fair = {"centre_id": "tq", "name": "Hội chợ Nông sản Hà Giang", "starts_on": date(2027, 3, 1),
                "ends_on": date(2027, 3, 5), "booth_price_vnd": 5_000_000, "seller_name": "Trung tâm Khuyến công",
                "seller_tax_code": "0100109106", "seller_address": "", "updated_at": now}
        await insert(db, as_text(FairPriceList, "price_config"), [
            {**fair, "fair_id": "fair-hà-giang", "price_config": old_dumps(PRICE_CONFIG)},
            {**fair, "fair_id": "fair-default", "price_config": "{}"},
            {**fair, "fair_id": "fair-empty", "price_config": ""},  # read as {} by the old code
        ])
        await insert(db, as_text(SubsidyProgramme, *PROGRAMME_LISTS), [{
            "id": "prog-1", "centre_id": "tq", "name": "Khuyến công quốc gia 2027", "decision": "QĐ 123/QĐ-BCT",
            "level": "national", "funder": "Bộ Công Thương", "budget_vnd": 900_000_000, "committed_vnd": 0,
            "valid_from": date(2027, 1, 1), "valid_to": date(2027, 12, 31), "support_percent": 50,
            "max_booths_per_exhibitor": 2, "base": "gross", "cscnnt_only": False, "created_at": now,
            "updated_at": now, **{name: old_dumps(values) for name, values in PROGRAMME_LISTS.items()}}])
        # A row referring to the programme: its table is rebuilt on SQLite with this reference in place.
        await insert(db, SubsidyUsage.__table__, [  # type: ignore[arg-type]
            {"programme_id": "prog-1", "exhibitor_id": "ex-1", "booths": 2}])

    async def test_old_rows_read_back_equal_after_the_upgrade_and_the_downgrade(self, settings_for):
        app, history, db = build("billing", settings_for)
        try:
            await upgrade(db.engine, history, before_json(history))
            await self.write_old_rows(db)
            await upgrade(db.engine, history)
            assert await compare(db.engine, history) == []
            if db.engine.dialect.name == "postgresql":
                assert (await column_types(db, "billing_fairs"))["price_config"] == "JSONB"
                assert {(await column_types(db, "subsidy_programmes"))[name] for name in PROGRAMME_LISTS} == {"JSONB"}
            async with db.sessions() as session:
                fairs = {row.fair_id: row for row in (await session.exec(select(FairPriceList))).all()}
                programme = (await session.exec(select(SubsidyProgramme))).one()
                usage = (await session.exec(select(SubsidyUsage))).one()
            assert_exact(fairs["fair-hà-giang"].price_config, PRICE_CONFIG)
            assert fairs["fair-default"].price_config == {} and fairs["fair-empty"].price_config == {}
            for name, values in PROGRAMME_LISTS.items():
                assert_exact(getattr(programme, name), values)
            assert usage.booths == 2
        finally:
            await db.dispose()

        settings = app.state.settings
        organizer = token(settings, "organizer", centre_id="tq")
        async with running_app(app) as client:  # the service at the head reads the migrated rows
            price_list = await client.get("/fairs/fair-hà-giang/price-list", headers=organizer)
            assert price_list.status_code == 200, price_list.text
            body = price_list.json()
            assert_exact({key: body[key] for key in PRICE_CONFIG}, PRICE_CONFIG)
            programme_body = (await client.get("/subsidy-programmes/prog-1", headers=organizer)).json()
            for name, values in PROGRAMME_LISTS.items():
                assert programme_body[name] == values
            # A price list written now is read back the same.
            put = await client.put("/fairs/fair-default/price-list", json=PRICE_CONFIG, headers=organizer)
            assert put.status_code == 200, put.text
            assert_exact({key: put.json()[key] for key in PRICE_CONFIG}, PRICE_CONFIG)

        down = Database(db.url)
        try:  # JSONB back to text: the previous code's json.loads reads the same values
            await downgrade(down.engine, history, before_json(history))
            assert await revision_of(down.engine, history) == before_json(history)
            configs = await raw_values(down, "SELECT price_config FROM billing_fairs ORDER BY fair_id")
            assert [json.loads(config) for config in configs] == [PRICE_CONFIG, {}, PRICE_CONFIG]
            for name, values in PROGRAMME_LISTS.items():
                assert [json.loads(v) for v in await raw_values(down, f"SELECT {name} FROM subsidy_programmes")] == [
                    values]
            assert await raw_values(down, "SELECT booths FROM subsidy_usage") == [2]
        finally:
            await down.dispose()


class TestBooths:
    async def write_old_rows(self, db: Database) -> None:
        now = utcnow()
        await execute(db, "INSERT INTO booth_fairs (id, centre_id, name, allocation_mode, capacity_booths, "
                          "booths_per_row, cancelled, plan_source, published_at) VALUES ('fair-1', 'tq', "
                          "'Hội chợ', 'organizer', 10, 5, false, 'fair', CURRENT_TIMESTAMP)")
        await insert(db, as_text(BoothZone, "sectors"), [
            {"fair_id": "fair-1", "code": "NS", "name": "Khu nông sản", "kind": "sector",
             "sectors": old_dumps(SECTORS), "province_code": None},
            {"fair_id": "fair-1", "code": "HG", "name": "Gian tỉnh Hà Giang", "kind": "pavilion",
             "sectors": "[]", "province_code": "02"}])
        await insert(db, as_text(AuditEntry, "booth_codes"), [
            {"fair_id": "fair-1", "at": now, "actor": "Nguyễn Văn A", "action": "assign", "registration_id": "r1",
             "booth_codes": json.dumps(BOOTH_CODES), "detail": "ban tổ chức chọn"},
            {"fair_id": "fair-1", "at": now, "actor": "zones", "action": "zones", "registration_id": None,
             "booth_codes": "[]", "detail": "NS (sector)"}])

    async def test_old_rows_read_back_equal_after_the_upgrade_and_the_downgrade(self, settings_for):
        app, history, db = build("booths", settings_for)
        try:
            await upgrade(db.engine, history, before_json(history))
            await self.write_old_rows(db)
            await upgrade(db.engine, history)
            assert await compare(db.engine, history) == []
            if db.engine.dialect.name == "postgresql":
                assert (await column_types(db, "booth_zones"))["sectors"] == "JSONB"
                assert (await column_types(db, "booth_audit"))["booth_codes"] == "JSONB"
            async with db.sessions() as session:
                zones = {z.code: z.sectors for z in (await session.exec(select(BoothZone))).all()}
                audit = [a.booth_codes for a in (await session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))
                         .all()]
            assert zones == {"NS": SECTORS, "HG": []}
            assert audit == [BOOTH_CODES, []]
        finally:
            await db.dispose()

        organizer = token(app.state.settings, "organizer", centre_id="tq")
        async with running_app(app) as client:
            zones_body = (await client.get("/fairs/fair-1/zones")).json()
            assert {z["code"]: z["sectors"] for z in zones_body} == {"NS": SECTORS, "HG": []}
            audit_body = await client.get("/fairs/fair-1/audit", headers=organizer)
            assert audit_body.status_code == 200, audit_body.text
            assert sorted(e["booth_codes"] for e in audit_body.json()["data"]) == [[], BOOTH_CODES]

        down = Database(db.url)
        try:
            await downgrade(down.engine, history, before_json(history))
            assert await revision_of(down.engine, history) == before_json(history)
            sectors = await raw_values(down, "SELECT sectors FROM booth_zones ORDER BY code")
            assert [json.loads(s) for s in sectors] == [[], SECTORS]
            codes = await raw_values(down, "SELECT booth_codes FROM booth_audit ORDER BY id")
            assert [json.loads(c) for c in codes] == [BOOTH_CODES, []]
        finally:
            await down.dispose()


async def execute(db: Database, sql: str) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(sql))

