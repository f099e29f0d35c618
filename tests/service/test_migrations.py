"""Schema migrations: each service's revisions build exactly its models' schema, databases made before migrations
are adopted without losing a row, and a database behind the code stops the service with what to run."""

from __future__ import annotations

import asyncio
import importlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from devstack import cli
from devstack.cli import main
from devstack.platform import migrate_databases
from shared.db import Database
from shared.migrations import (
    History,
    Outcome,
    SchemaMismatch,
    SchemaNotCurrent,
    compare,
    downgrade,
    migrate,
    prepare,
    revision_of,
    stamp,
    upgrade,
)
from tests.conftest import running_app, token, unique
from tests.service.fixtures import exhibitor_body, fair_body

SERVICES = ["registration", "booths", "markets", "billing", "subscriptions", "notifications", "portal"]


def build(service: str, settings_for):
    """The service's app (nothing connects), its migration history and its database."""
    app = importlib.import_module(f"services.{service}.app").create_app(settings_for(service))
    runtime = app.state.runtime
    return app, History.of(service, runtime.tables), runtime.db


async def table_names(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def row_counts(db: Database, history: History) -> dict[str, int]:
    async with db.engine.connect() as conn:
        return {name: (await conn.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one()
                for name in sorted(history.table_names)}


async def execute(db: Database, sql: str, **params: object) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def insert_outbox_rows(db: Database, count: int) -> None:
    for n in range(count):
        await execute(db, "INSERT INTO outbox (event_id, topic, key, event_type, headers, payload, created_at, "
                          "attempts) VALUES (:id, 't', 'k', 'e', '{}', '{}', CURRENT_TIMESTAMP, 0)",
                      id=unique(f"e{n}-"))


@pytest.mark.parametrize("service", SERVICES)
class TestEmptyDatabase:
    async def test_the_revisions_build_exactly_the_models_schema(self, service, settings_for):
        # Fails when a model changes without a revision: `hangviet revision <service> -m "…"` writes it.
        _, history, db = build(service, settings_for)
        try:
            await upgrade(db.engine, history)
            assert await compare(db.engine, history) == []
            assert await revision_of(db.engine, history) == history.head()
        finally:
            await db.dispose()

    async def test_start_up_creates_the_models_and_stamps_the_head(self, service, settings_for):
        _, history, db = build(service, settings_for)
        try:
            assert await prepare(db.engine, history) is Outcome.CREATED
            assert await compare(db.engine, history) == []
            assert await revision_of(db.engine, history) == history.head()
            assert await prepare(db.engine, history) is Outcome.CURRENT
        finally:
            await db.dispose()

    async def test_the_last_revision_goes_down_and_up_again(self, service, settings_for):
        # The first revision's downgrade drops every table: safe on a database without data only.
        _, history, db = build(service, settings_for)
        previous = ScriptDirectory(str(history.directory)).get_revision(history.head()).down_revision
        try:
            await upgrade(db.engine, history)
            await downgrade(db.engine, history, "-1")
            assert await revision_of(db.engine, history) == previous
            if previous is None:
                assert await table_names(db) & history.table_names == set()
            await upgrade(db.engine, history)
            assert await compare(db.engine, history) == []
        finally:
            await db.dispose()


class TestReplicas:
    async def test_replicas_starting_together_on_an_empty_database_take_turns(self, settings_for):
        _, history, db = build("billing", settings_for)
        other = Database(db.url)  # a second process's engine
        try:
            outcomes = await asyncio.gather(prepare(db.engine, history), prepare(other.engine, history))
            assert sorted(outcomes) == sorted([Outcome.CREATED, Outcome.CURRENT])
            assert await compare(db.engine, history) == []
        finally:
            await other.dispose()
            await db.dispose()


class TestAuditLogGuard:
    async def test_the_revision_keeps_the_audit_log_append_only(self, settings_for):
        _, history, db = build("registration", settings_for)
        try:
            await upgrade(db.engine, history)
            await execute(db, "INSERT INTO audit_log (at, actor_role, actor, action, entity, entity_id, changes) "
                              "VALUES (CURRENT_TIMESTAMP, 'admin', 'a', 'x', 'fair', 'f1', '{}')")
            with pytest.raises(Exception, match="append-only"):
                await execute(db, "DELETE FROM audit_log")
        finally:
            await db.dispose()


class TestAdoption:
    @pytest.mark.parametrize("service", SERVICES)
    async def test_a_create_all_database_with_rows_is_adopted_without_losing_one(self, service, settings_for):
        app, history, db = build(service, settings_for)
        await db.create_tables(app.state.runtime.tables)  # what start-up did before migrations
        await insert_outbox_rows(db, 3)
        before = await row_counts(db, history)
        async with running_app(app):
            pass
        after_db = Database(db.url)
        try:
            assert await row_counts(after_db, history) == before
            assert await revision_of(after_db.engine, history) == history.head()
            assert await compare(after_db.engine, history) == []
        finally:
            await after_db.dispose()

    async def test_registrations_made_before_migrations_are_all_kept(self, settings_for):
        app, history, db = build("registration", settings_for)
        settings = app.state.settings
        organizer = token(settings, "organizer", centre_id="tq")
        exhibitor = token(settings, "exhibitor", exhibitor_id=unique("ex-"))
        async with running_app(app) as client:
            fair = (await client.post("/fairs", json=fair_body(), headers=organizer)).json()
            assert (await client.post(f"/fairs/{fair['id']}/publish", headers=organizer)).status_code == 200
            assert (await client.post("/exhibitors", json=exhibitor_body(), headers=exhibitor)).status_code == 201
            reg = await client.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 2},
                                    headers=exhibitor)
            assert reg.status_code == 201, reg.text
        legacy = Database(db.url)
        try:  # without its version table the database is what create_all and a day's use made
            await execute(legacy, f"DROP TABLE {history.version_table}")
            before = await row_counts(legacy, history)
            assert before["registrations"] == 1 and before["audit_log"] >= 2
            assert await prepare(legacy.engine, history) is Outcome.ADOPTED
            assert await row_counts(legacy, history) == before
        finally:
            await legacy.dispose()
        again = build("registration", settings_for)[0]
        async with running_app(again) as client:
            assert (await client.get(f"/registrations/{reg.json()['id']}", headers=organizer)).status_code == 200

    async def test_a_table_missing_from_an_old_database_is_created(self, settings_for):
        app, history, db = build("markets", settings_for)
        try:
            await db.create_tables(app.state.runtime.tables)
            await execute(db, "DROP TABLE programme_caps")
            assert await prepare(db.engine, history) is Outcome.ADOPTED
            assert await compare(db.engine, history) == []
        finally:
            await db.dispose()

    async def test_a_database_differing_from_the_models_is_refused_not_stamped(self, settings_for):
        app, history, db = build("portal", settings_for)
        try:
            await db.create_tables(app.state.runtime.tables)
            await execute(db, "CREATE INDEX ix_stray ON outbox (topic)")
            with pytest.raises(SchemaMismatch, match=r"hangviet migrate portal"):
                await prepare(db.engine, history)
            assert history.version_table not in await table_names(db)
            await stamp(db.engine, history, "head")  # the operator's way out, once they know the difference
            assert await prepare(db.engine, history) is Outcome.CURRENT
        finally:
            await db.dispose()


SECOND_REVISION = '''
import sqlalchemy as sa
from alembic import op

revision = "feedc0ffee01"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_lease") as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_lease") as batch_op:
        batch_op.drop_column("note")
'''


@pytest.fixture
def two_revisions(tmp_path: Path, settings_for):
    """The portal's history with a second revision (a column added): a database at the first is behind."""
    _, history, db = build("portal", settings_for)
    directory = tmp_path / "migrations"
    shutil.copytree(history.directory, directory, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "versions" / "feedc0ffee01_note.py").write_text(SECOND_REVISION.format(head=history.head()))
    return History("portal", directory, history.tables), db, history.head()


async def lease_columns(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: inspect(sync).get_columns("outbox_lease"))
    return [c["name"] for c in columns]


class TestBehindTheHead:
    async def test_start_up_refuses_naming_the_command_and_migrate_upgrades_keeping_rows(self, two_revisions):
        history, db, first = two_revisions
        try:
            await upgrade(db.engine, history, first)
            await execute(db, "INSERT INTO outbox_lease (name, holder, expires_at) "
                              "VALUES ('relay', 'me', CURRENT_TIMESTAMP)")
            with pytest.raises(SchemaNotCurrent, match=r"run `hangviet migrate portal` first"):
                await prepare(db.engine, history)
            assert await migrate(db.engine, history) is Outcome.UPGRADED
            assert "note" in await lease_columns(db)
            assert await prepare(db.engine, history) is Outcome.CURRENT
            await downgrade(db.engine, history, "-1")  # a column added: safe to take back
            assert "note" not in await lease_columns(db)
            assert await row_counts(db, history) == {"inbox": 0, "outbox": 0, "outbox_lease": 1, "parked_events": 0}
        finally:
            await db.dispose()

    async def test_a_database_migrated_by_newer_code_is_refused(self, settings_for):
        _, history, db = build("portal", settings_for)
        try:
            await upgrade(db.engine, history)
            await execute(db, f"UPDATE {history.version_table} SET version_num = 'c0ffee000000'")
            with pytest.raises(SchemaNotCurrent, match="c0ffee000000, which this code does not know"):
                await prepare(db.engine, history)
        finally:
            await db.dispose()

    async def test_a_service_behind_does_not_start(self, settings_for):
        app, history, db = build("booths", settings_for)
        try:
            await upgrade(db.engine, history)
            await downgrade(db.engine, history, "base")  # a version table at no revision: behind the head
        finally:
            await db.dispose()
        with pytest.raises(SchemaNotCurrent, match=r"run `hangviet migrate booths` first"):
            async with running_app(app):
                pass


class TestCommand:
    async def test_make_run_migrates_every_database_before_the_services(self, tmp_path, monkeypatch):
        for service in SERVICES:
            monkeypatch.delenv(f"{service.upper()}_DATABASE_URL", raising=False)
        assert await migrate_databases(tmp_path) is None  # `hangviet migrate all`, in a process of its own
        assert {path.name for path in tmp_path.glob("*.db")} == {f"{service}.db" for service in SERVICES}

    def test_migrate_says_what_it_did_and_refuses_a_differing_database(self, tmp_path, monkeypatch, capsys):
        # The command configures logging onto this test's captured stderr, closed after it, and structlog caches
        # its loggers: left alone, every later test of the worker that logs would fail on a closed file.
        monkeypatch.setattr(cli, "configure_logging", lambda service: None)
        monkeypatch.setenv("HANGVIET_VAR_DIR", str(tmp_path))
        for service in SERVICES:
            monkeypatch.delenv(f"{service.upper()}_DATABASE_URL", raising=False)
        assert main(["migrate", "portal"]) == 0
        assert main(["migrate", "portal", "--downgrade", "-1"]) == 0
        assert main(["migrate", "portal"]) == 0
        out = capsys.readouterr().out
        assert out.count("portal: upgraded") == 2 and "portal: downgraded to -1" in out
        with sqlite3.connect(tmp_path / "portal.db") as conn:
            conn.execute("DROP TABLE alembic_version_portal")
            conn.execute("CREATE INDEX ix_stray ON outbox (topic)")
        assert main(["migrate", "portal"]) == 1
        assert "portal: refused" in capsys.readouterr().out
