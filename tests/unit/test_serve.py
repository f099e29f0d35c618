"""shared/serve.py's server: it ticks once a second (each tick refreshes the Date header) and a stop signal wakes
it at once, however long its tick; once started, the objects of its start are out of the collector's full passes."""

from __future__ import annotations

import asyncio
import gc
import signal
from types import FrameType

import httpx
import uvicorn
from fastapi import FastAPI

from shared.serve import QuietServer, bind
from tests.eventually import eventually


class _Ticks(QuietServer):
    tick_s = 3600.0  # a stop that waited for the tick would never come within the test's bound

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.counters: list[int] = []

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()  # uvicorn raises a caught signal again on its way out: not in the test

    async def on_tick(self, counter: int) -> bool:
        self.counters.append(counter)
        return await super().on_tick(counter)


async def test_a_stop_signal_wakes_the_server_at_once_and_every_tick_refreshes_the_date() -> None:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"ok": "yes"}

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = _Ticks(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    gc.unfreeze()
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started)
    assert gc.get_freeze_count() > 0, "the server's start froze the objects alive at that point"
    gc.unfreeze()  # the rest of this test process collects as before
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{port}/ping")
    assert answer.status_code == 200 and answer.headers["date"]

    server.handle_exit(signal.SIGTERM, None)
    await asyncio.wait_for(serving, timeout=30)
    assert server.counters and all(counter % 10 == 0 for counter in server.counters)
