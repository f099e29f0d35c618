"""The restore drill of docs/operations.md (Backups and restore), on PostgreSQL: billing issues invoices through its
saga (fair published, registration approved, booths assigned), with a programme and a price list (JSONB); its
database is dumped with `pg_dump -Fc`, dropped, restored with `pg_restore` into a fresh database, and billing
started on it serves the same invoices, programme and price list, every table keeps its rows, its migrations are
at the head (and the schema equals the models), and it carries on: the next invoice takes the next number."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.billing.app import create_app
from services.billing.settings import BillingSettings
from shared.db import Database
from shared.migrations import History, compare, revision_of
from shared.settings import load_settings
from tests.conftest import POSTGRES_URL, make_postgres_database, running_app
from tests.service.billing_support import (
    LOCAL,
    MAY_2026,
    Clock,
    admin,
    approved_registration,
    assigned,
    feed,
    organizer,
    publish_fair,
)
from tests.service.test_migrations import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres]

PRICE_LIST: dict[str, Any] = {
    "price_by_kind": {"cooperative": 4_500_000},
    "corner_surcharge": {"amount_vnd": 500_000, "percent": 0},
    "extras": [{"code": "dien-3kw", "name": "Điện 3 kW", "unit": "bộ", "unit_price_vnd": 350_000,
                "vat_category": "service", "per_booth": True}],
}


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump, pg_restore and psql take it."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def run(*args: str) -> None:
    """Run a client tool; fail the test with its output if it fails."""
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    assert process.returncode == 0, f"{' '.join(args[:2])} … failed: {out.decode(errors='replace')}"


def billing_app(database_url: str, var_dir: Path, clock: Clock):
    settings = load_settings("billing", database_url=database_url, var_dir=var_dir, env="test",
                             consumer_retry_backoff_s=0.01, outbox_poll_interval_s=0.05)
    return create_app(settings, clock=clock, billing=BillingSettings(overdue_check_enabled=False))


async def issue_invoice(app, fair_id: str, codes: list[str]) -> str:
    """One saga as billing sees it: an approved registration, then its booths assigned; returns the registration."""
    registration_id, exhibitor_id = await approved_registration(app, fair_id)
    await feed(app, assigned(fair_id, registration_id, exhibitor_id, codes=codes))
    return registration_id


async def what_billing_serves(app, client, fair_id: str, programme_id: str) -> dict[str, Any]:
    """Everything the drill compares, as the API answers it."""
    invoices = (await client.get("/invoices", params={"limit": 100}, headers=admin(app))).json()
    full = [(await client.get(f"/invoices/{row['id']}", headers=admin(app))).json() for row in invoices["data"]]
    return {
        "invoices": sorted(full, key=lambda invoice: invoice["number"]),
        "programme": (await client.get(f"/subsidy-programmes/{programme_id}", headers=organizer(app))).json(),
        "price_list": (await client.get(f"/fairs/{fair_id}/price-list", headers=organizer(app))).json(),
    }


async def drop_database(url: str) -> None:
    name = url.rpartition("/")[2]
    conn = await asyncpg.connect(libpq(POSTGRES_URL))
    try:
        await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def test_a_dumped_billing_database_restored_into_a_fresh_one_serves_the_same_and_carries_on(tmp_path: Path):
    if not POSTGRES_URL:
        pytest.skip("needs TEST_POSTGRES_URL: the drill dumps and restores a PostgreSQL database (.ci/run sets it)")
    for tool in ("pg_dump", "pg_restore"):
        assert shutil.which(tool), f"{tool} is missing: apt-get install postgresql-client"
    clock = Clock(MAY_2026)
    source = await make_postgres_database(POSTGRES_URL)
    app = billing_app(source, tmp_path / "before", clock)
    history = History.of("billing", app.state.runtime.tables)

    async with running_app(app) as client:
        fair_id = await publish_fair(app)
        put = await client.put(f"/fairs/{fair_id}/price-list", json=PRICE_LIST, headers=organizer(app))
        assert put.status_code == 200, put.text
        created = await client.post("/subsidy-programmes", json={**LOCAL, "fair_ids": [fair_id]},
                                    headers=organizer(app))
        assert created.status_code == 201, created.text
        programme_id = created.json()["id"]
        for codes in (["A01", "A02"], ["B01"], ["C01", "C02"]):
            await issue_invoice(app, fair_id, codes)
        before = await what_billing_serves(app, client, fair_id, programme_id)
    assert [invoice["number"] for invoice in before["invoices"]] == ["00000001", "00000002", "00000003"]
    assert before["programme"]["committed_vnd"] > 0  # the invoices drew on the programme
    counted = Database(source)
    try:
        rows_before = await row_counts(counted, history)
    finally:
        await counted.dispose()

    # The drill, as an operator runs it (docs/operations.md): dump, lose the database, restore into a fresh one.
    dump = tmp_path / "billing.dump"
    await run("pg_dump", "--format=custom", f"--file={dump}", libpq(source))
    await drop_database(source)
    restored = await make_postgres_database(POSTGRES_URL)
    await run("pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", f"--dbname={libpq(restored)}",
              str(dump))

    again = billing_app(restored, tmp_path / "after", clock)
    checked = Database(restored)
    try:
        assert await revision_of(checked.engine, history) == history.head()
        assert await compare(checked.engine, history) == []
        assert await row_counts(checked, history) == rows_before
    finally:
        await checked.dispose()
    async with running_app(again) as client:  # start-up accepts it as it is: at the head, nothing to migrate
        after = await what_billing_serves(again, client, fair_id, programme_id)
        # Each invoice's submission to the tax authority is work in progress: the submitter, running before the
        # dump and again after the restore, may have leased it once more (attempts, next attempt) meanwhile.
        submissions = [(invoice.pop("einvoice"), was.pop("einvoice"))
                       for invoice, was in zip(after["invoices"], before["invoices"], strict=True)]
        assert after == before
        assert all(now["attempts"] >= was["attempts"] for now, was in submissions)
        # It carries on where it stopped: the next invoice takes the next number, its lines the next ids.
        registration_id = await issue_invoice(again, fair_id, ["D01"])
        listed = (await client.get("/invoices", params={"registration_id": registration_id},
                                   headers=admin(again))).json()
        assert [row["number"] for row in listed["data"]] == ["00000004"]
        assert (await client.get(f"/subsidy-programmes/{programme_id}", headers=organizer(again))).json()[
            "committed_vnd"] > before["programme"]["committed_vnd"]
