"""Runs the platform's service processes as supervised children (used by `make run` and tests).

A service that exits without being asked to is started again by `watch()`, after a backoff that doubles
with each quick failure and starts over once the service has stayed up for a while. Stopping or killing a
service through the supervisor (`stop`, `kill`, `restart`, `stop_all`) is deliberate: it is not restarted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx
import structlog

from devstack.embedded import kill_process, log_tail, signal_group, spawn, stop_process
from shared.serve import PORT_FILE_ENV

log = structlog.get_logger()


class ServiceStartError(RuntimeError):
    """A service exited or did not become ready in time."""


@dataclass(frozen=True)
class ServiceSpec:
    """A service started as `python -m <module>`, answering GET /ready on `port`; port 0: the service binds a port
    the system picks and reports it (shared/serve.py's port file), and keeps it across restarts."""

    name: str
    port: int
    module: str


@dataclass(frozen=True)
class RestartPolicy:
    """How a service that died is brought back: after `base_s`, doubling per quick death up to `max_s`; a
    service that stayed up `stable_s` starts over at `base_s`."""

    base_s: float = 0.5
    max_s: float = 30.0
    stable_s: float = 60.0

    def delay(self, consecutive: int) -> float:
        """The wait before the `consecutive`-th restart in a row (1, 2, …)."""
        return min(self.max_s, self.base_s * 2.0 ** max(0, consecutive - 1))


@dataclass
class _Child:
    """A started service with what is needed to restart it."""

    spec: ServiceSpec
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes]
    started_at: float = field(default_factory=time.monotonic)
    wanted: bool = True  # False once stopped or killed on purpose: the watcher leaves it down
    restarts: int = 0  # restarts by the watcher, in all
    consecutive: int = 0  # restarts since the service last stayed up `stable_s`
    restart_at: float | None = None  # when the watcher starts it again (it died)
    port: int = 0  # where it listens: the spec's, else the one it reported (0 until then)

    @property
    def port_file(self) -> Path:
        return self.log_path.with_name(f"{self.spec.name}.port")


class Supervisor:
    """Starts, watches and stops service processes, each in its own process group."""

    def __init__(self, stop_timeout: float = 10, restart_policy: RestartPolicy | None = None) -> None:
        self.stop_timeout = stop_timeout
        self.restart_policy = restart_policy or RestartPolicy()
        self._children: dict[str, _Child] = {}
        self._ready_probes: set[asyncio.Task[None]] = set()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    @property
    def names(self) -> list[str]:
        """Names of all services started so far (running or not)."""
        return list(self._children)

    def process(self, name: str) -> subprocess.Popen[bytes]:
        """The current Popen of service `name`."""
        return self._child(name).proc

    def is_running(self, name: str) -> bool:
        """True if service `name` has a live process."""
        child = self._children.get(name)
        return child is not None and child.proc.poll() is None

    def start(self, spec: ServiceSpec, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
        """Start `spec` with os.environ overlaid by `env`, output appended to `log_path`."""
        existing = self._children.get(spec.name)
        if existing is not None and existing.proc.poll() is None:
            raise ServiceStartError(f"service {spec.name!r} is already running (pid {existing.proc.pid})")
        port = spec.port or (existing.port if existing is not None and existing.spec.name == spec.name else 0)
        port_file = log_path.with_name(f"{spec.name}.port")
        port_file.unlink(missing_ok=True)
        # Unbuffered so the log tail in errors shows the child's last words.
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env, PORT_FILE_ENV: str(port_file)}
        if port and not spec.port:  # started again: the port it reported the first time (others were told it)
            full_env[f"{spec.module.rsplit('.', 1)[-1].upper()}_PORT"] = str(port)
        proc = spawn([sys.executable, "-m", spec.module], log_path, full_env)
        child = _Child(spec, dict(env), log_path, proc, port=spec.port)
        if existing is not None and existing.spec == spec:  # the counts survive a restart
            child.restarts, child.consecutive = existing.restarts, existing.consecutive
        self._children[spec.name] = child
        log.info("service_started", service=spec.name, pid=proc.pid, port=port, log=str(log_path))
        return proc

    def port(self, name: str) -> int:
        """Where service `name` listens (0 while a service started on port 0 has not said yet)."""
        return self._child(name).port

    def restarts(self, name: str) -> int:
        """How many times the watcher has started service `name` again after it died."""
        return self._child(name).restarts

    async def wait_ready(self, spec: ServiceSpec, timeout: float = 60) -> None:  # noqa: ASYNC109
        """Poll GET /ready until 200; raise ServiceStartError with the log tail if it exits or times out."""
        child = self._child(spec.name)
        deadline = time.monotonic() + timeout
        # trust_env=False: a proxy from HTTP(S)_PROXY must never sit between us and a local child.
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                self._raise_if_exited(child)
                if not child.port:
                    child.port = _reported_port(child.port_file)
                url = f"http://127.0.0.1:{child.port or '?'}/ready"
                if child.port and await _is_ready(client, url):
                    log.info("service_ready", service=spec.name, port=child.port)
                    return
                await asyncio.sleep(0.05 if not child.port else 0.1)
        self._raise_if_exited(child)
        tail = log_tail(child.log_path)
        url = f"http://127.0.0.1:{child.port or '?'}/ready"
        raise ServiceStartError(
            f"service {spec.name!r} not ready at {url} after {timeout}s; log tail:\n{tail}"
        )

    def stop(self, name: str) -> None:
        """SIGTERM service `name`'s process group, SIGKILL after the stop timeout; it stays down."""
        child = self._child(name)
        self._leave_down(child)
        stop_process(child.proc, self.stop_timeout)
        log.info("service_stopped", service=name)

    def kill(self, name: str) -> None:
        """SIGKILL service `name`'s process group (a crash on purpose); it stays down until started."""
        child = self._child(name)
        self._leave_down(child)
        kill_process(child.proc)
        log.info("service_killed", service=name)

    def restart(self, name: str) -> subprocess.Popen[bytes]:
        """Stop service `name` if running and start it again with the same spec, env and log."""
        child = self._child(name)
        self._leave_down(child)
        stop_process(child.proc, self.stop_timeout)
        return self.start(child.spec, child.env, child.log_path)

    def stop_all(self) -> None:
        """SIGTERM every service, wait up to the stop timeout, then SIGKILL stragglers; none is restarted."""
        for child in self._children.values():
            self._leave_down(child)
        for probe in self._ready_probes:
            probe.cancel()
        running = [c for c in self._children.values() if c.proc.returncode is None]
        for child in running:
            signal_group(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in running:
            # stop_process escalates to SIGKILL and sweeps the group once its share of time is up.
            stop_process(child.proc, max(0.0, deadline - time.monotonic()))
        if running:
            log.info("services_stopped", services=[c.spec.name for c in running])

    async def watch(self, interval_s: float = 0.2) -> None:
        """Restart services that exit unexpectedly, with backoff, until cancelled (`make run`, tests)."""
        while True:
            self.check()
            await asyncio.sleep(interval_s)

    def check(self) -> None:
        """One look at every service: note the ones that died, start those whose backoff is over."""
        now = time.monotonic()
        for child in list(self._children.values()):
            if not child.wanted:
                continue
            if child.restart_at is None and child.proc.poll() is not None:
                self._schedule_restart(child, now)
            elif child.restart_at is not None and now >= child.restart_at:
                self._restart_dead(child)

    def _schedule_restart(self, child: _Child, now: float) -> None:
        """A service died on its own: log why (its log's last lines) and when it comes back."""
        if now - child.started_at >= self.restart_policy.stable_s:
            child.consecutive = 0
        child.consecutive += 1
        delay = self.restart_policy.delay(child.consecutive)
        child.restart_at = now + delay
        log.warning("service_exited", service=child.spec.name, pid=child.proc.pid, exit_code=child.proc.returncode,
                    uptime_s=round(now - child.started_at, 1), restart_count=child.restarts + 1,
                    restart_in_s=delay, log=str(child.log_path), log_tail=log_tail(child.log_path, lines=20))

    def _restart_dead(self, child: _Child) -> None:
        """Start a dead service again and follow it until it is ready (logged, with the time it took)."""
        child.restarts += 1
        child.restart_at = None
        try:
            self.start(child.spec, child.env, child.log_path)
        except OSError as exc:  # could not even spawn: try again after the next backoff
            log.error("service_restart_failed", service=child.spec.name, error=str(exc))
            child.started_at = time.monotonic()
            self._schedule_restart(child, time.monotonic())
            return
        log.info("service_restarted", service=child.spec.name, restart_count=child.restarts,
                 pid=self._children[child.spec.name].proc.pid)
        probe = asyncio.create_task(self._log_when_ready(child.spec))
        self._ready_probes.add(probe)
        probe.add_done_callback(self._ready_probes.discard)

    async def _log_when_ready(self, spec: ServiceSpec) -> None:
        started = time.monotonic()
        try:
            await self.wait_ready(spec, timeout=300)
        except ServiceStartError as exc:  # it died again: the watcher takes it from here
            log.warning("service_restart_not_ready", service=spec.name, error=str(exc).splitlines()[0])
            return
        log.info("service_back", service=spec.name, restart_count=self._child(spec.name).restarts,
                 restart_to_ready_s=round(time.monotonic() - started, 2))

    @staticmethod
    def _leave_down(child: _Child) -> None:
        """The service is stopped on purpose: the watcher must not bring it back."""
        child.wanted = False
        child.restart_at = None

    def _child(self, name: str) -> _Child:
        """Look up a started service by name."""
        try:
            return self._children[name]
        except KeyError:
            raise KeyError(f"unknown service {name!r}") from None

    @staticmethod
    def _raise_if_exited(child: _Child) -> None:
        """Raise ServiceStartError (with the log tail) if the child has exited."""
        code = child.proc.poll()
        if code is not None:
            raise ServiceStartError(
                f"service {child.spec.name!r} exited with code {code}; log tail:\n{log_tail(child.log_path)}"
            )


def _reported_port(path: Path) -> int:
    """The port a service wrote to its port file, 0 while there is none."""
    try:
        return int(path.read_text(encoding="ascii").strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


async def _is_ready(client: httpx.AsyncClient, url: str) -> bool:
    """True if GET `url` answers 200."""
    try:
        response = await client.get(url)
    except httpx.HTTPError:
        return False
    return response.status_code == 200
