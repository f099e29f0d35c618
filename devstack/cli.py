"""`hangviet` command line: `up` runs the whole platform, `migrate` brings databases to their newest schema,
`token` prints a development token."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog

from devstack.services import BY_NAME, SERVICE_ORDER, SERVICE_PORTS, SERVICES
from shared.auth import Role, issue_token
from shared.logs import configure_logging
from shared.settings import load_settings

log = structlog.get_logger()

DEFAULT_KAFKA_PORT = 19092
DEFAULT_REDIS_PORT = 16379


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _port(env_name: str, default: int) -> int:
    return int(os.environ.get(env_name) or default)


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def cmd_token(args: argparse.Namespace) -> int:
    """Print a signed development token."""
    settings = load_settings("cli")
    provinces = tuple(p.strip() for p in (args.provinces or "").split(",") if p.strip())
    _out(issue_token(settings.jwt_secret, role=Role(args.role), subject=args.subject, centre_id=args.centre,
                     exhibitor_id=args.exhibitor, region=args.region, provinces=provinces))
    return 0


def development_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What `up` adds to the services' environment: webhooks to receivers on this machine (a developer's
    127.0.0.1), except in production, where the settings refuse them."""
    environ = os.environ if environ is None else environ
    return {} if environ.get("HANGVIET_ENV") == "production" else {"WEBHOOK_ALLOW_LOOPBACK": "true"}


def settings_refusal() -> str | None:
    """Why the environment's settings would stop every service at start-up (None when they are fine)."""
    from pydantic import ValidationError

    try:
        load_settings("cli")
        for service in SERVICES:  # each service's own settings (e.g. subscriptions refuses loopback webhooks)
            own = service.settings_class()
            if own is not None:
                own()
    except ValidationError as exc:
        return "; ".join(str(error["msg"]) for error in exc.errors())
    return None


async def _up(args: argparse.Namespace) -> int:
    from devstack.demo import seed_demo
    from devstack.platform import migrate_databases, start_platform

    refusal = settings_refusal()
    if refusal:
        _out(f"Cấu hình không hợp lệ / invalid settings: {refusal}")
        return 2
    var_dir = Path(args.var_dir).resolve()
    ports = {name: _port(f"{name.upper()}_PORT", default) for name, default in SERVICE_PORTS.items()}
    busy = [f"{name}:{port}" for name, port in ports.items() if not _port_free(port)]
    if busy:
        _out(f"Cổng đang bận / ports in use: {', '.join(busy)} — set <SERVICE>_PORT to move a service.")
        return 2
    kafka_port = _port("HANGVIET_KAFKA_PORT", DEFAULT_KAFKA_PORT)
    redis_port = _port("HANGVIET_REDIS_PORT", DEFAULT_REDIS_PORT)
    kafka_port = kafka_port if _port_free(kafka_port) else None  # type: ignore[assignment]
    redis_port = redis_port if _port_free(redis_port) else None  # type: ignore[assignment]
    _out("hangviet: cập nhật CSDL / migrating the databases (hangviet migrate all)…")
    failure = await migrate_databases(var_dir)
    if failure:
        _out(f"Không cập nhật được CSDL / migration failed:\n{failure}")
        return 2
    _out("hangviet: khởi động / starting the broker, Redis, the local SMTP server and seven services…")
    platform = await start_platform(var_dir, ports=ports, kafka_port=kafka_port, redis_port=redis_port,
                                    extra_env=development_env())
    try:
        marker = var_dir / ".demo-seeded"
        if not marker.exists() and not args.no_seed:
            _out("hangviet: nạp dữ liệu mẫu / seeding demo data (once)…")
            await seed_demo(platform)
            marker.write_text("seeded\n")
        _print_urls(platform)
        await _wait_for_signal()
    finally:
        _out("hangviet: dừng / stopping…")
        platform.stop()
    return 0


def _print_urls(platform: object) -> None:
    from devstack.platform import Platform

    assert isinstance(platform, Platform)
    _out("")
    _out(f"  Cổng thông tin / portal      {platform.url('portal')}")
    for name in (n for n in SERVICE_ORDER if n != "portal"):
        _out(f"  {name:<14} API {platform.url(name)}/docs   AsyncAPI {platform.url(name)}/asyncapi")
    _out(f"  Kafka (Tansu)  {platform.bootstrap}    Redis {platform.redis_url}")
    if platform.mailbox is not None:
        _out(f"  Mailbox        smtp://127.0.0.1:{platform.env['NOTIFICATIONS_SMTP_PORT']}  "
             f"{platform.var_dir / 'mailbox'}  (GET {platform.url('notifications')}/mailbox)")
    _out(f"  Logs           {platform.var_dir / 'logs'}")
    _out("")
    _out("hangviet is ready — sẵn sàng. Ctrl-C to stop.")


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def cmd_up(args: argparse.Namespace) -> int:
    """Run the whole platform until Ctrl-C."""
    configure_logging("hangviet-up")
    return asyncio.run(_up(args))


def cmd_topics(args: argparse.Namespace) -> int:
    """Create the platform's topics (and dead-letter topics) on KAFKA_BOOTSTRAP_SERVERS; idempotent."""
    from devstack.embedded import create_topics
    from shared.contracts import all_topics

    configure_logging("hangviet-topics")
    asyncio.run(create_topics(load_settings("cli").kafka_bootstrap_servers, all_topics()))
    _out("topics ready: " + ", ".join(sorted(all_topics())))
    return 0


def _service_history(name: str) -> tuple[Any, Any]:
    """A service's migration history and database, from its own wiring (the tables its runtime declares);
    building the app connects nothing."""
    import importlib

    from shared.migrations import History

    app = importlib.import_module(BY_NAME[name].app_module).create_app(load_settings(name))
    runtime = app.state.runtime
    return History.of(name, runtime.tables), runtime.db


async def _migrate(names: list[str], stamp_revision: str | None, down_to: str | None = None) -> int:
    from shared.migrations import SchemaMismatch, downgrade, migrate, stamp

    refused = 0
    for name in names:  # one refusal does not hold back the other services' databases
        history, db = _service_history(name)
        try:
            if stamp_revision:
                await stamp(db.engine, history, stamp_revision)
                _out(f"{name}: stamped {stamp_revision}")
                continue
            if down_to:
                await downgrade(db.engine, history, down_to)
                _out(f"{name}: downgraded to {down_to}")
                continue
            outcome = await migrate(db.engine, history)
            _out(f"{name}: {outcome.value}, at {history.head()}")
        except SchemaMismatch as exc:
            _out(f"{name}: refused: {exc}")
            refused += 1
        finally:
            await db.dispose()
    return 1 if refused else 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring one service's database (or every one) to the head revision; `--stamp` records a revision only."""
    configure_logging("hangviet-migrate")
    if (args.stamp or args.downgrade) and args.service == "all":
        _out("--stamp and --downgrade need one service: a revision belongs to one history")
        return 2
    names = list(SERVICE_PORTS) if args.service == "all" else [args.service]
    return asyncio.run(_migrate(names, args.stamp, args.downgrade))


async def _revision(name: str, message: str, scratch: Path) -> int:
    from shared.db import make_engine
    from shared.migrations import differences, migrate, write_revision

    history, db = _service_history(name)
    await db.dispose()
    engine = make_engine(f"sqlite+aiosqlite:///{scratch / 'head.db'}")
    try:
        await migrate(engine, history)
        async with engine.begin() as conn:
            if not await conn.run_sync(lambda sync: differences(sync, history)):
                _out(f"{name}: the models equal the head revision, nothing to write")
                return 1
            path = await conn.run_sync(lambda sync: write_revision(sync, history, message))
    finally:
        await engine.dispose()
    _out(f"{name}: wrote {path} — read it, add what autogenerate cannot see (data, triggers), run the tests")
    return 0


def cmd_revision(args: argparse.Namespace) -> int:
    """Write a revision of a service's model changes (autogenerate against a scratch database at the head)."""
    import tempfile

    configure_logging("hangviet-revision")
    with tempfile.TemporaryDirectory() as scratch:
        return asyncio.run(_revision(args.service, args.message, Path(scratch)))


def build_parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    parser = argparse.ArgumentParser(prog="hangviet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the broker, Redis and all services; seed demo data once")
    up.add_argument("--var-dir", default=os.environ.get("HANGVIET_VAR_DIR", "var"))
    up.add_argument("--no-seed", action="store_true")
    up.set_defaults(func=cmd_up)
    topics = sub.add_parser("topics", help="create the topics on KAFKA_BOOTSTRAP_SERVERS")
    topics.set_defaults(func=cmd_topics)
    migrate = sub.add_parser("migrate", help="bring a service's database (or all) to its newest schema revision")
    migrate.add_argument("service", nargs="?", default="all", choices=[*SERVICE_PORTS, "all"])
    migrate.add_argument("--stamp", metavar="REVISION",
                         help="record REVISION without running anything (a database made to match it by hand)")
    migrate.add_argument("--downgrade", metavar="REVISION",
                         help="undo revisions down to REVISION (-1: the last one); the first one's drops every table")
    migrate.set_defaults(func=cmd_migrate)
    revision = sub.add_parser("revision", help="write a schema revision of a service's model changes")
    revision.add_argument("service", choices=list(SERVICE_PORTS))
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(func=cmd_revision)
    tok = sub.add_parser("token", help="print a development token")
    tok.add_argument("--role", required=True, choices=[r.value for r in Role])
    tok.add_argument("--centre")
    tok.add_argument("--exhibitor")
    tok.add_argument("--region")
    tok.add_argument("--provinces", help="comma-separated province codes (regional)")
    tok.add_argument("--subject")
    tok.set_defaults(func=cmd_token)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `hangviet`."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
