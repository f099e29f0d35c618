"""The whole platform on one machine: embedded (or given) broker and Redis, then the six services."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from devstack.embedded import EmbeddedInfra, create_topics, start_infra, stop_process
from devstack.mailbox import start_mailbox
from devstack.services import BY_NAME, SERVICE_ORDER, SERVICE_PORTS
from devstack.supervisor import ServiceSpec, Supervisor
from shared.contracts import all_topics

log = structlog.get_logger()

# The embedded broker (Tansu) makes every consumer-group join wait half the session timeout, and a member that
# died holds the group up to a whole one: 3 s instead of 6 s makes a (re)started consumer ready in about a
# second and a half (2 s would save half a second but heartbeat every 0.6 s, idle, and miss on a loaded
# machine). Only for the broker we start ourselves, and only when the environment does not say otherwise.
EMBEDDED_CONSUMER_TUNING = {"KAFKA_SESSION_TIMEOUT_MS": "3000", "KAFKA_HEARTBEAT_INTERVAL_MS": "1000"}
# A fresh embedded broker has lost what the last one held: each service republishes what it sent in this
# window before its newest send (consumers' inboxes make the repeats harmless). See shared/replay.py.
EMBEDDED_REPLAY_WINDOW_S = 3600


@dataclass
class Platform:
    """A running platform: its infrastructure, its service processes and where they listen."""

    var_dir: Path
    bootstrap: str
    redis_url: str
    ports: dict[str, int]
    env: dict[str, str]
    supervisor: Supervisor = field(default_factory=Supervisor)
    infra: EmbeddedInfra | None = None
    watcher: asyncio.Task[None] | None = None
    mailbox: subprocess.Popen[bytes] | None = None  # the local SMTP server (devstack/mailbox.py)

    def url(self, service: str) -> str:
        """Base URL of a service."""
        return f"http://127.0.0.1:{self.ports[service]}"

    def learn_port(self, service: str) -> None:
        """Record where a started service listens: in `ports`, and in the environment later services get."""
        port = self.supervisor.port(service)
        self.ports[service] = port
        self.env[f"{service.upper()}_PORT"] = str(port)
        self.env[f"{service.upper()}_URL"] = f"http://127.0.0.1:{port}"

    def spec(self, service: str) -> ServiceSpec:
        """How a service is started."""
        return ServiceSpec(service, self.ports[service], BY_NAME[service].module)

    async def start_service(self, service: str, timeout: float = 90) -> None:  # noqa: ASYNC109
        """Start one service and wait until it is ready."""
        spec = self.spec(service)
        self.supervisor.start(spec, self.env, self.var_dir / "logs" / f"{service}.log")
        await self.supervisor.wait_ready(spec, timeout=timeout)
        self.learn_port(service)

    async def restart_service(self, service: str, *, kill: bool = False, timeout: float = 90) -> None:  # noqa: ASYNC109
        """Stop (or kill) a service and start it again."""
        if kill:
            self.supervisor.kill(service)
        else:
            self.supervisor.stop(service)
        await self.start_service(service, timeout=timeout)

    def watch(self) -> None:
        """Restart services that exit unexpectedly, from now until `stop` (needs a running event loop)."""
        if self.watcher is None or self.watcher.done():
            self.watcher = asyncio.get_running_loop().create_task(self.supervisor.watch())

    def stop(self) -> None:
        """Stop watching, stop the services, then the infrastructure."""
        if self.watcher is not None:
            self.watcher.cancel()
            self.watcher = None
        self.supervisor.stop_all()
        if self.infra is not None:
            self.infra.stop()
        if self.mailbox is not None:
            stop_process(self.mailbox)


def service_env(*, var_dir: Path, bootstrap: str, redis_url: str, ports: Mapping[str, int],
                extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every service process gets."""
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "REDIS_URL": redis_url,
        "HANGVIET_VAR_DIR": str(var_dir),
        "HANGVIET_ENV": os.environ.get("HANGVIET_ENV", "development"),
    }
    for name, port in ports.items():
        env[f"{name.upper()}_PORT"] = str(port)
        if port:  # 0: the service picks one and reports it (told to the others once known)
            env[f"{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
    env.update(extra or {})
    return env


def embedded_broker_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What services get when the broker is our fresh in-memory one: quick group joins (unless the environment
    sets them), and a replay of the recent outbox, once per broker (its epoch)."""
    environ = os.environ if environ is None else environ
    env = {name: value for name, value in EMBEDDED_CONSUMER_TUNING.items() if not environ.get(name)}
    env["HANGVIET_OUTBOX_REPLAY_WINDOW_S"] = environ.get("HANGVIET_OUTBOX_REPLAY_WINDOW_S") or str(
        EMBEDDED_REPLAY_WINDOW_S)
    env["HANGVIET_BROKER_EPOCH"] = uuid.uuid4().hex
    return env


async def migrate_databases(var_dir: Path) -> str | None:
    """`hangviet migrate all` in a process of its own before any service starts, as compose's one-shot `migrate`
    job does; None when every database is at its head, else what the command said."""
    env = {**os.environ, "HANGVIET_VAR_DIR": str(var_dir)}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "devstack.cli", "migrate", "all", env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await process.communicate()
    if process.returncode == 0:
        return None
    lines = output.decode(errors="replace").splitlines()
    return "\n".join(line for line in lines if not line.startswith("{"))[-4000:] or f"exit {process.returncode}"


def start_waves(services: Sequence[str], ports: Mapping[str, int]) -> list[list[str]]:
    """The order services start in, a wave once the one before is ready.

    Services on ports the system picks (0) report them once they listen: those that call the others start then
    (the others' URLs in their env), the portal last, as it calls notifications too (which calls billing). On
    given ports (`make run`) every URL is known before anything starts, so all start at once: ready in 12.1–12.9 s
    instead of 15.4–16.0, the seven imports sharing the two cores instead of queued in waves. A caller meets a
    callee not yet listening as it meets one restarting (the portal's page says the service is unavailable; a
    mail links the invoice instead of attaching it), and notifications calls billing only for an event billing
    published, seconds after its consumer joined its group."""
    if all(ports.get(service) for service in services):
        return [list(services)]
    callers = [s for s in services if BY_NAME[s].calls_others]
    waves = [[s for s in services if not BY_NAME[s].calls_others], [s for s in callers if s != "portal"],
             [s for s in callers if s == "portal"]]
    return [wave for wave in waves if wave]


async def start_platform(var_dir: Path, *, ports: Mapping[str, int] | None = None,
                         services: Sequence[str] = SERVICE_ORDER, extra_env: Mapping[str, str] | None = None,
                         kafka_port: int | None = None, redis_port: int | None = None,
                         watch: bool = True) -> Platform:
    """Start everything; KAFKA_BOOTSTRAP_SERVERS / REDIS_URL in the environment replace the embedded ones.
    With `watch`, services that exit unexpectedly are restarted (with backoff) until `Platform.stop`."""
    var_dir.mkdir(parents=True, exist_ok=True)
    (var_dir / "logs").mkdir(exist_ok=True)
    external_kafka, external_redis = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("REDIS_URL")
    infra: EmbeddedInfra | None = None
    if not (external_kafka and external_redis):
        infra = await start_infra(var_dir, all_topics(), kafka_port=kafka_port, redis_port=redis_port)
    bootstrap = external_kafka or (infra.bootstrap if infra else "")
    redis_url = external_redis or (infra.redis_url if infra else "")
    if external_kafka:
        await create_topics(bootstrap, all_topics())
    # Without given ports each service binds one the system picks and reports it: no free_port() race.
    chosen = dict(ports) if ports else dict.fromkeys(SERVICE_PORTS, 0)
    broker_env = embedded_broker_env() if infra is not None and not external_kafka else {}
    # Mails go to a local SMTP server storing them under var/mailbox/, unless the environment names a real one.
    mailbox, mail_env = (None, {}) if os.environ.get("NOTIFICATIONS_SMTP_HOST") or "notifications" not in services \
        else await start_mailbox(var_dir)
    env = service_env(var_dir=var_dir, bootstrap=bootstrap, redis_url=redis_url, ports=chosen,
                      extra={**broker_env, **mail_env, **(extra_env or {})})
    platform = Platform(var_dir=var_dir, bootstrap=bootstrap, redis_url=redis_url, ports=chosen, env=env,
                        infra=infra, mailbox=mailbox)
    try:
        for wave in start_waves(services, chosen):
            for service in wave:
                platform.supervisor.start(platform.spec(service), platform.env, var_dir / "logs" / f"{service}.log")
            await asyncio.gather(*(platform.supervisor.wait_ready(platform.spec(s), timeout=120) for s in wave))
            for service in wave:
                platform.learn_port(service)
    except BaseException:
        platform.stop()
        raise
    if watch:
        platform.watch()
    log.info("platform.ready", services=list(services), bootstrap=bootstrap, redis=redis_url)
    return platform
