"""Runs the platform's service processes as supervised children (used by `make run` and tests)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx
import structlog

from shared.embedded import kill_process, log_tail, signal_group, spawn, stop_process

log = structlog.get_logger()


class ServiceStartError(RuntimeError):
    """A service exited or did not become ready in time."""


@dataclass(frozen=True)
class ServiceSpec:
    """A service started as `python -m <module>`, answering GET /ready on `port`."""

    name: str
    port: int
    module: str


@dataclass
class _Child:
    """A started service with what is needed to restart it."""

    spec: ServiceSpec
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes]


class Supervisor:
    """Starts, watches and stops service processes, each in its own process group."""

    def __init__(self, stop_timeout: float = 10) -> None:
        self.stop_timeout = stop_timeout
        self._children: dict[str, _Child] = {}

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
        # Unbuffered so the log tail in errors shows the child's last words.
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        proc = spawn([sys.executable, "-m", spec.module], log_path, full_env)
        self._children[spec.name] = _Child(spec, dict(env), log_path, proc)
        log.info("service_started", service=spec.name, pid=proc.pid, port=spec.port, log=str(log_path))
        return proc

    async def wait_ready(self, spec: ServiceSpec, timeout: float = 60) -> None:  # noqa: ASYNC109
        """Poll GET /ready until 200; raise ServiceStartError with the log tail if it exits or times out."""
        child = self._child(spec.name)
        url = f"http://127.0.0.1:{spec.port}/ready"
        deadline = time.monotonic() + timeout
        # trust_env=False: a proxy from HTTP(S)_PROXY must never sit between us and a local child.
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                self._raise_if_exited(child)
                if await _is_ready(client, url):
                    log.info("service_ready", service=spec.name, port=spec.port)
                    return
                await asyncio.sleep(0.1)
        self._raise_if_exited(child)
        tail = log_tail(child.log_path)
        raise ServiceStartError(
            f"service {spec.name!r} not ready at {url} after {timeout}s; log tail:\n{tail}"
        )

    def stop(self, name: str) -> None:
        """SIGTERM service `name`'s process group, SIGKILL after the stop timeout."""
        stop_process(self._child(name).proc, self.stop_timeout)
        log.info("service_stopped", service=name)

    def kill(self, name: str) -> None:
        """SIGKILL service `name`'s process group (simulates a crash)."""
        kill_process(self._child(name).proc)
        log.info("service_killed", service=name)

    def restart(self, name: str) -> subprocess.Popen[bytes]:
        """Stop service `name` if running and start it again with the same spec, env and log."""
        child = self._child(name)
        stop_process(child.proc, self.stop_timeout)
        return self.start(child.spec, child.env, child.log_path)

    def stop_all(self) -> None:
        """SIGTERM every service, wait up to the stop timeout, then SIGKILL stragglers."""
        running = [c for c in self._children.values() if c.proc.returncode is None]
        for child in running:
            signal_group(child.proc, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in running:
            # stop_process escalates to SIGKILL and sweeps the group once its share of time is up.
            stop_process(child.proc, max(0.0, deadline - time.monotonic()))
        if running:
            log.info("services_stopped", services=[c.spec.name for c in running])

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


async def _is_ready(client: httpx.AsyncClient, url: str) -> bool:
    """True if GET `url` answers 200."""
    try:
        response = await client.get(url)
    except httpx.HTTPError:
        return False
    return response.status_code == 200
