"""Schema migrations with Alembic: one history per service, since each service owns its database.

A `History` is a service's folder of revisions (`services/<name>/migrations/`) and the tables they describe (the
service's own and the kernel's); its revision is kept in a version table of its own (`alembic_version_<name>`),
so services sharing a database (tests do) never read each other's. Everything runs on the service's async engine
through `run_sync`, in one transaction, under an advisory lock on PostgreSQL (replicas starting together wait for
each other; SQLite's `BEGIN IMMEDIATE` does the same).

`prepare` (every start) and `migrate` (`hangviet migrate`) bring a database to the head revision:

- no version table and none of the history's tables: start-up creates the tables from the models and stamps the
  head (the fast path: as cheap as the `create_all` it replaces; `tests/service/test_migrations.py` proves the
  revisions build the same schema); `migrate` runs the revisions;
- no version table but some of its tables (made by `create_all` before migrations existed): adopted when the
  schema equals the models, whole missing tables created (as `create_all` did), then stamped; any other
  difference is refused with the list, never stamped over;
- a revision behind the head: `migrate` upgrades; start-up refuses, naming the command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from alembic import command
from alembic.autogenerate import compare_metadata, render
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, MetaData, Table, TypeDecorator, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


class Outcome(StrEnum):
    """What bringing a database to the head did."""

    CURRENT = "current"  # already at the head
    CREATED = "created"  # empty: tables created from the models, head stamped
    ADOPTED = "adopted"  # made by create_all before migrations: verified, missing tables created, stamped
    UPGRADED = "upgraded"  # revisions run
    STAMPED = "stamped"  # an operator's `--stamp`


class SchemaNotCurrent(RuntimeError):
    """The database is not at the code's head revision, and start-up does not migrate it."""


class SchemaMismatch(RuntimeError):
    """A database made before migrations differs from the models: stamping it would hide the difference."""


@dataclass(frozen=True)
class History:
    """One service's migration history: its revisions' folder and the tables they describe."""

    service: str
    directory: Path
    tables: tuple[Table, ...]

    @classmethod
    def of(cls, service: str, models: Sequence[Any], *, directory: Path | None = None) -> History:
        """The history of `service`, its revisions under `services/<service>/migrations` unless told."""
        tables = tuple(model.__table__ for model in models)
        return cls(service, directory or SERVICES_DIR / service / "migrations", tables)

    @property
    def version_table(self) -> str:
        """Where the database's revision is kept."""
        return f"alembic_version_{self.service}"

    @property
    def table_names(self) -> frozenset[str]:
        """The names of the tables the history describes."""
        return frozenset(table.name for table in self.tables)

    @property
    def metadata(self) -> MetaData:
        """The models' metadata (shared by every SQLModel table; comparisons keep to `table_names`)."""
        return self.tables[0].metadata if self.tables else MetaData()

    def head(self) -> str | None:
        """The newest revision (None while the history is empty)."""
        return _script(self.directory).get_current_head()


@lru_cache(maxsize=32)
def _script(directory: Path) -> ScriptDirectory:
    # Read once per process: the test suite starts hundreds of apps.
    return ScriptDirectory.from_config(_config(directory))


def _config(directory: Path, **attributes: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(directory))
    config.attributes.update(attributes)
    return config


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Revisions name plain SQLAlchemy types (UtcDateTime → DateTime(timezone=True), SQLModel's AutoString →
    # String): a revision must not break when a Python type it once used is renamed.
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return render._repr_type(obj.impl_instance, autogen_context)
    return False


def options(history: History) -> dict[str, Any]:
    """What Alembic is configured with for a history: its version table, its tables only, batch mode on SQLite."""
    names = history.table_names

    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        return type_ != "table" or name in names

    def include_object(obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
        return type_ != "table" or name in names

    return {"version_table": history.version_table, "target_metadata": history.metadata,
            "include_name": include_name, "include_object": include_object, "compare_type": True,
            "render_item": _render_item}


def run_environment(alembic_context: EnvironmentContext | ModuleType) -> None:
    """The body of every service's `env.py`: run its revisions on the connection `shared.migrations` gives.
    `alembic.context` is a module proxying the running EnvironmentContext, so either is taken."""
    context = cast(EnvironmentContext, alembic_context)
    config = context.config
    history: History = config.attributes["history"]
    connection: Connection = config.attributes["connection"]
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite",
                      **options(history))
    with context.begin_transaction():
        context.run_migrations()


def _context(connection: Connection, history: History) -> MigrationContext:
    return MigrationContext.configure(connection, opts=options(history))


def differences(connection: Connection, history: History) -> list[Any]:
    """What Alembic's autogenerate finds between the database and the models (empty: they match)."""
    return list(compare_metadata(_context(connection, history), history.metadata))


def current(connection: Connection, history: History) -> str | None:
    """The database's revision (None when it has none)."""
    return _context(connection, history).get_current_revision()


def _lock(connection: Connection, history: History) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                           {"key": f"hangviet.{history.version_table}"})


def _create_and_stamp(connection: Connection, history: History, tables: Sequence[Table]) -> None:
    history.metadata.create_all(connection, tables=list(tables))  # runs the tables' DDL events too (triggers)
    _context(connection, history).stamp(_script(history.directory), "head")


def _table_of(diff: Any) -> str | None:
    """The table a difference is about, for whole missing tables and their indexes."""
    if isinstance(diff, tuple) and diff[0] == "add_table":
        return str(diff[1].name)
    if isinstance(diff, tuple) and diff[0] in ("add_index", "add_constraint"):
        return str(diff[1].table.name)
    return None


def _adopt(connection: Connection, history: History, present: set[str]) -> None:
    missing = history.table_names - present
    refused = [diff for diff in differences(connection, history) if _table_of(diff) not in missing]
    if refused:
        listed = "; ".join(str(diff) for diff in refused[:10]) + (" …" if len(refused) > 10 else "")
        raise SchemaMismatch(
            f"the {history.service} database has tables but no migration revision, and they differ from the "
            f"models ({len(refused)}: {listed}). Bring it to the models by hand or stamp the revision it matches "
            f"(`hangviet migrate {history.service} --stamp <revision>`), then `hangviet migrate {history.service}` "
            f"(docs/operations.md, Migrations)")
    _create_and_stamp(connection, history, [t for t in history.tables if t.name in missing])


def _known(history: History, revision: str | None) -> bool:
    if revision is None:
        return True
    try:
        return _script(history.directory).get_revision(revision) is not None
    except CommandError:
        return False


def bring_to_head(connection: Connection, history: History, *, upgrade: bool) -> Outcome:
    """Bring the database to the head revision (module docstring); `upgrade` runs revisions, as `migrate`
    does — without it a database behind the head is refused."""
    _lock(connection, history)
    names = set(inspect(connection).get_table_names())
    head = history.head()
    if history.version_table in names:
        revision = current(connection, history)
        if revision == head:
            return Outcome.CURRENT
        if not _known(history, revision):
            raise SchemaNotCurrent(
                f"the {history.service} database is at revision {revision}, which this code does not know (a newer "
                f"version migrated it): run that version, or downgrade with it (`hangviet migrate "
                f"{history.service} --downgrade {head}`)")
        if not upgrade:
            raise SchemaNotCurrent(
                f"the {history.service} database is at revision {revision or 'none'}, this code needs {head}: run "
                f"`hangviet migrate {history.service}` first")
        command.upgrade(_config(history.directory, connection=connection, history=history), "head")
        return Outcome.UPGRADED
    present = names & history.table_names
    if present:
        _adopt(connection, history, present)
        return Outcome.ADOPTED
    if upgrade:
        command.upgrade(_config(history.directory, connection=connection, history=history), "head")
        return Outcome.UPGRADED
    _create_and_stamp(connection, history, history.tables)
    return Outcome.CREATED


def _run(connection: Connection, history: History, revision: str, *, down: bool = False) -> None:
    config = _config(history.directory, connection=connection, history=history)
    (command.downgrade if down else command.upgrade)(config, revision)


def _stamp(connection: Connection, history: History, revision: str) -> None:
    _lock(connection, history)
    _context(connection, history).stamp(_script(history.directory), revision)


async def _in_transaction(engine: AsyncEngine, work: Callable[[Connection], Any]) -> Any:
    async with engine.begin() as conn:
        return await conn.run_sync(work)


async def prepare(engine: AsyncEngine, history: History) -> Outcome:
    """At start-up: create an empty database, adopt one made before migrations, accept one at the head;
    refuse (`SchemaNotCurrent`, `SchemaMismatch`) anything else."""
    outcome: Outcome = await _in_transaction(engine, lambda conn: bring_to_head(conn, history, upgrade=False))
    return outcome


async def migrate(engine: AsyncEngine, history: History) -> Outcome:
    """`hangviet migrate`: run the revisions up to the head (an empty database gets every revision)."""
    outcome: Outcome = await _in_transaction(engine, lambda conn: bring_to_head(conn, history, upgrade=True))
    return outcome


async def upgrade(engine: AsyncEngine, history: History, revision: str = "head") -> None:
    """Run the revisions up to `revision`."""
    await _in_transaction(engine, lambda conn: _run(conn, history, revision))


async def downgrade(engine: AsyncEngine, history: History, revision: str) -> None:
    """Undo revisions down to `revision` (`-1`: the last one)."""
    await _in_transaction(engine, lambda conn: _run(conn, history, revision, down=True))


async def stamp(engine: AsyncEngine, history: History, revision: str) -> None:
    """Record `revision` without running anything (an operator who made the schema match it)."""
    await _in_transaction(engine, lambda conn: _stamp(conn, history, revision))


async def compare(engine: AsyncEngine, history: History) -> list[Any]:
    """The differences between the database and the models (autogenerate's view)."""
    found: list[Any] = await _in_transaction(engine, lambda conn: differences(conn, history))
    return found


async def revision_of(engine: AsyncEngine, history: History) -> str | None:
    """The database's revision."""
    found: str | None = await _in_transaction(engine, lambda conn: current(conn, history))
    return found


def write_revision(connection: Connection, history: History, message: str) -> Path:
    """Autogenerate a revision of the models' changes against a database at the head; returns its file."""
    config = _config(history.directory, connection=connection, history=history)
    script = command.revision(config, message=message, autogenerate=True)
    _script.cache_clear()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
