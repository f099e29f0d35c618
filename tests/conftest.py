"""Fixtures every test layer shares: settings on a fresh database, tokens, and a database URL per backend."""
# ruff: noqa: E402 - bytecode is turned on before the imports below

from __future__ import annotations

import inspect
import os
import sys
import tempfile
import types
import uuid

# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set (as `make test` does): without it every run, and
# every process the tests start, compiles all it imports again (~10 s of the unit tier's 20 s of CPU).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from faststream.kafka import TestKafkaBroker

from devstack.services import SERVICE_ORDER
from shared.auth import Role, issue_token
from shared.settings import Settings, load_settings

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")


def unique(prefix: str = "") -> str:
    """A unique id for test data."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


_created_databases: list[str] = []


async def make_postgres_database(base_url: str) -> str:
    """Create a fresh PostgreSQL database (dropped when the session ends) and return its asyncpg URL."""
    import asyncpg

    name = f"hv_test_{uuid.uuid4().hex[:10]}"
    _created_databases.append(name)
    plain = base_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(plain)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    root, _, _ = base_url.rpartition("/")
    return f"{root}/{name}"


_reused_database: list[str] = []  # this process's (this xdist worker's) database for `database_url`

# Everything a test could have left in its database lives in a schema of its own (tables, sequences, types, the
# audit log's trigger function); a new database has only `public`, empty, as PostgreSQL 15 sets it up.
_EMPTY_DATABASE = """
DO $$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace
           WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
"""


async def empty_postgres_database(base_url: str) -> str:
    """An empty PostgreSQL database for one test: this process's own database, emptied, made on first use.

    As good as a new database (nothing of an earlier test is left, nobody is connected to it) and much cheaper:
    each DROP DATABASE at the end of the session forces a checkpoint (0.3–1 s each, for hundreds of databases).
    """
    import asyncpg

    if not _reused_database:
        _reused_database.append(await make_postgres_database(base_url))
        return _reused_database[0]
    url = _reused_database[0]
    name = url.rpartition("/")[2]
    admin = await asyncpg.connect(base_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:  # connections an earlier test left open (an engine not disposed) go, as DROP DATABASE WITH (FORCE) did
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
    finally:
        await admin.close()
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with conn.transaction():
            await conn.execute(_EMPTY_DATABASE)
    finally:
        await conn.close()
    return url


@pytest.fixture(params=["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, and also PostgreSQL when TEST_POSTGRES_URL is set."""
    if request.param == "postgres":
        return await empty_postgres_database(POSTGRES_URL)
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def settings_for(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Settings of a service under test, on the fresh database."""

    def make(service: str, **overrides: Any) -> Settings:
        values: dict[str, Any] = {"database_url": database_url, "var_dir": tmp_path, "env": "test",
                                  "consumer_retry_backoff_s": 0.01, "outbox_poll_interval_s": 0.05}
        values.update(overrides)
        return load_settings(service, **values)

    return make


def token(settings: Settings, role: str, **claims: Any) -> dict[str, str]:
    """Authorization headers for a principal."""
    return {"Authorization": f"Bearer {issue_token(settings.jwt_secret, role=Role(role), **claims)}"}


@asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run a service app in memory: FastStream's test broker, the real lifespan, an HTTP client."""
    async with TestKafkaBroker(app.state.runtime.broker):
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client


# What starts a child process or listens on a port. A test that reaches one — itself, through a helper of the tests
# or through one of its fixtures — belongs to the integration tier: `make test-fast` (-m "not integration") starts
# no process and opens no port.
_PROCESS_MODULES = {"subprocess", "uvicorn", "multiprocessing"}
_PROCESS_NAMES = {"redis_server", "start_redis", "start_infra", "start_platform", "spawn", "migrate_databases",
                  "create_subprocess_exec", "create_subprocess_shell", "free_port", "free_socket", "listening_socket",
                  "ThreadingHTTPServer", "HTTPServer", "WebhookReceiver", "start_server"}


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _reaches_a_process(func: Any, seen: set[int]) -> bool:
    func = inspect.unwrap(getattr(func, "__func__", func))
    code = getattr(func, "__code__", None)
    if code is None or id(func) in seen:
        return False
    seen.add(id(func))
    namespace = getattr(func, "__globals__", {})
    for inner in _codes(code):
        for name in inner.co_names:
            if name in _PROCESS_NAMES:
                return True
            value = namespace.get(name)
            if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] in _PROCESS_MODULES:
                return True
            if (inspect.isfunction(value) or inspect.isclass(value)) and value.__module__.startswith("tests."):
                targets = [value] if inspect.isfunction(value) else [
                    member for member in vars(value).values() if inspect.isfunction(member)]
                if any(_reaches_a_process(target, seen) for target in targets):
                    return True
    return False


# Services with no table of their own (no models.py): their tests on PostgreSQL would test nothing SQLite does not.
_NO_TABLES = tuple(name for name in SERVICE_ORDER
                   if not (Path(__file__).resolve().parents[1] / "services" / name / "models.py").exists())


def _postgres_adds_nothing(item: pytest.Item) -> bool:
    """The PostgreSQL pass of a test of a service without tables, or of one marked `sqlite_only(reason=...)`:
    what it checks does not depend on the database (the rule, the validation), which the SQLite pass proves."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or callspec.params.get("database_url") != "postgres":
        return False
    marker = item.get_closest_marker("sqlite_only")
    if marker is not None:
        if not str(marker.kwargs.get("reason", "")).strip():
            raise pytest.UsageError(f"{item.nodeid}: sqlite_only needs a reason= saying why PostgreSQL adds nothing")
        return True
    return any(name in item.nodeid.lower() for name in _NO_TABLES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `integration` every test that starts a process or opens a port (see _PROCESS_NAMES); leave out the
    PostgreSQL pass of the tests of a service without tables. With a background worker (see BACKGROUND_NICE), the
    worker writes down which tests are integration tests: the scheduler, which does not collect, reads them."""
    dropped = [item for item in items if _postgres_adds_nothing(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not _postgres_adds_nothing(item)]
    for item in items:
        if item.get_closest_marker("integration") or not isinstance(item, pytest.Function):
            continue
        seen: set[int] = set()
        fixtures = [definitions[-1].func for name, definitions in item._fixtureinfo.name2fixturedefs.items()
                    if definitions and name in item.fixturenames]
        if any(_reaches_a_process(func, seen) for func in [item.function, *fixtures]):
            item.add_marker(pytest.mark.integration)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and config.getvalue("loadgroup") and _background_worker(
            workerinput["workercount"]):
        ids = [item.nodeid for item in items if item.get_closest_marker("integration")]
        _integration_ids_file(workerinput).write_text("\n".join(ids), encoding="utf-8")


# With three xdist workers or more (`make test PYTEST_WORKERS=3`), the last is a background worker: it takes
# only tests that start no process and open no port, and runs at a lower priority. The integration tests spend
# much of their time waiting on the services they started (a saga, a restart, a frozen broker); the background
# worker's tests are meant to use the core they leave idle and step aside when those services need it. Measured
# on a busy machine it did not pay (see the Makefile), and an in-process booths matrix slowed 10x beside it.
BACKGROUND_NICE = 5
_PLATFORM_PATHS = ("tests/e2e/", "tests/integration/")


def _background_worker(count: int) -> str | None:
    """The background worker's id among `count` workers, if there is one."""
    return f"gw{count - 1}" if count >= 3 else None


def _integration_ids_file(workerinput: dict[str, Any]) -> Path:
    """Where a worker of this run writes the ids of its integration tests (see pytest_collection_modifyitems)."""
    return Path(tempfile.gettempdir()) / f"hangviet-{workerinput['testrunuid']}-{workerinput['workerid']}.txt"


def pytest_configure(config: pytest.Config) -> None:
    """The background worker (see BACKGROUND_NICE) lowers its priority, for itself and what it starts."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and config.getvalue("loadgroup") and \
            workerinput["workerid"] == _background_worker(workerinput["workercount"]):
        os.nice(BACKGROUND_NICE)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup` (as `make test` runs): the tests that share a started platform go to one worker.

    The browser journeys share one platform and Chromium (package-scoped): they are one work unit. Each integration
    module starts its own broker and services for its tests (module-scoped): it is one work unit. Every other test
    is a unit of its own. Units go out in collection order, so the long platform units start first.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class PlatformGroups(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            if path.startswith("tests/e2e/"):
                return "tests/e2e/"
            if path.startswith("tests/integration/"):
                return path
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            """The background worker gets the first unit it may take; with none left it stops once idle."""
            if not hasattr(self, "background"):  # all workers have collected when the first unit is given
                self.background = _background_worker(len(self.nodes))
                self.integration: set[str] = set()
                for worker in self.nodes:
                    path = _integration_ids_file(worker.workerinput)
                    if worker.gateway.id == self.background:
                        self.integration = set(path.read_text(encoding="utf-8").splitlines())
                    path.unlink(missing_ok=True)
            if node.gateway.id != self.background:
                super()._assign_work_unit(node)
                return
            # No platform, no process, no port (a unit outside the platform paths is one test: its id).
            scope = next((scope for scope in self.workqueue
                          if not scope.startswith(_PLATFORM_PATHS) and scope not in self.integration), None)
            if scope is None:
                if not self._pending_of(self.assigned_work.get(node, {})):
                    node.shutdown()
                return
            self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    config.option.loadscopereorder = False
    return PlatformGroups(config, log)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the worker processes a test left (a service's process pool, e.g. billing's PDF worker: the
    interpreter would wait for it at exit, seconds after the summary), then drop the PostgreSQL databases this
    session created."""
    import multiprocessing

    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout=2)
    if not (POSTGRES_URL and _created_databases):
        return
    import asyncio

    import asyncpg

    async def drop_all() -> None:
        conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            for name in _created_databases:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop_all())
