"""Runs one service as a process: logging configured once, then uvicorn on the service's port.

Port 0 asks the system for a free port; the process binds it itself (no bind-release-rebind race) and writes the
port it got to the file HANGVIET_PORT_FILE names, when set, for whoever started it (devstack's supervisor).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import FastAPI

from shared.gcpause import PauseWatch, settle_after_start
from shared.logs import configure_logging
from shared.settings import Settings, load_settings

PORT_FILE_ENV = "HANGVIET_PORT_FILE"


def bind(host: str, port: int) -> socket.socket:
    """A socket bound (not yet listening) to host:port; port 0 lets the system choose."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def report_port(port: int, path: str | None = None) -> None:
    """Write the bound port to the port file (atomically: a reader sees the whole number or no file)."""
    path = path if path is not None else os.environ.get(PORT_FILE_ENV)
    if not path:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(f"{port}\n", encoding="ascii")
    partial.replace(target)


class QuietServer(uvicorn.Server):
    """uvicorn's server, waking once a second instead of ten times while nothing asks it to stop.

    uvicorn's main loop sleeps 0.1 s between ticks (its date header changes once a second, every tenth tick; the
    rest only look whether to stop). Ten wake-ups a second of each of the seven processes were a sixth of the
    idle stack's CPU. A signal wakes the loop at once, so stopping is no slower."""

    tick_s = 1.0
    _woken: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _pause_watch: PauseWatch | None = None

    async def main_loop(self) -> None:
        self._loop, self._woken = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 10) % 864000  # a multiple of ten: each tick is a date-header tick
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), timeout=self.tick_s)
            should_exit = await self.on_tick(counter)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start (the app's lifespan included), then the objects it left alive frozen out of the
        garbage collector's full passes (shared/gcpause.py): those passes stood the loop still for 60–200 ms.
        From then on a slow collection is logged."""
        await super().startup(sockets=sockets)
        if self.started:
            self._pause_watch = settle_after_start()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=sockets)
        if self._pause_watch is not None:
            self._pause_watch.uninstall()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and self._woken is not None:
            self._loop.call_soon_threadsafe(self._woken.set)


def run_service(name: str, create_app: Callable[[Settings], FastAPI]) -> None:
    """Build the service's app from the environment and serve it until SIGTERM/SIGINT."""
    settings = load_settings(name)
    configure_logging(name)
    app = create_app(settings)
    sock = bind(settings.host, settings.port)
    port = sock.getsockname()[1]
    report_port(port)
    # uvloop and httptools: the event loop and the HTTP parser in C (uvicorn's "standard" extras); the pure
    # Python ones (asyncio's loop, h11) cost a service a measurable part of its CPU per request and per event.
    config = uvicorn.Config(app, host=settings.host, port=port, log_config=None, access_log=False,
                            timeout_graceful_shutdown=5, loop="uvloop", http="httptools")
    server = QuietServer(config)
    server.run(sockets=[sock])
    if not server.started:  # the app's startup failed (as uvicorn.run exits)
        raise SystemExit(3)
