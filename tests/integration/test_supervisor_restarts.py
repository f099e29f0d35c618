"""The supervisor brings back a service that dies on its own (with backoff, logged), never one stopped on
purpose; under the platform, a SIGKILLed booths comes back ready by itself and the saga completes."""

from __future__ import annotations

import asyncio
import os
import signal
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from structlog.testing import capture_logs

from devstack.platform import Platform, start_platform
from devstack.supervisor import RestartPolicy, ServiceSpec, Supervisor
from tests.integration.helpers import eventually
from tests.integration.test_saga import invoices_of, register_and_approve
from tests.service.fixtures import fair_body

pytestmark = [pytest.mark.integration]

READY_SERVICE = """
import http.server, os
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ready" else 404)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)  # a port the system picks, reported as services do
port = server.server_address[1]
with open(os.environ["HANGVIET_PORT_FILE"] + ".partial", "w") as f:
    f.write(str(port))
os.replace(os.environ["HANGVIET_PORT_FILE"] + ".partial", os.environ["HANGVIET_PORT_FILE"])
print("tiny service listening", port, flush=True)
server.serve_forever()
"""

CRASHING_SERVICE = """
import sys
print("boom: missing configuration", file=sys.stderr, flush=True)
sys.exit(3)
"""


def tiny(tmp_path: Path, name: str, source: str) -> tuple[ServiceSpec, dict[str, str], Path]:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    spec = ServiceSpec(name=name, port=0, module=name)
    return spec, {"PYTHONPATH": str(tmp_path)}, tmp_path / f"{name}.log"


async def watching(sup: Supervisor) -> asyncio.Task[None]:
    return asyncio.create_task(sup.watch(interval_s=0.02))


class TestRestartPolicy:
    def test_the_backoff_doubles_from_half_a_second_up_to_thirty(self) -> None:
        assert [RestartPolicy().delay(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


class TestSupervisorWatch:
    async def test_a_service_killed_from_outside_is_restarted_and_the_exit_is_logged(self, tmp_path: Path) -> None:
        spec, env, log_path = tiny(tmp_path, "tiny_ready", READY_SERVICE)
        with Supervisor(stop_timeout=5, restart_policy=RestartPolicy(base_s=0.05)) as sup, capture_logs() as logs:
            first = sup.start(spec, env, log_path)
            await sup.wait_ready(spec, timeout=30)
            watcher = await watching(sup)
            try:
                os.killpg(first.pid, signal.SIGKILL)
                await eventually(lambda: _restarted(sup, spec.name, first.pid), timeout=30, interval=0.05,
                                 what="the watcher to start tiny_ready again")
                await sup.wait_ready(spec, timeout=30)
                await eventually(lambda: _logged(logs, "service_back"), timeout=30, interval=0.05,
                                 what="the restart logged as ready")
            finally:
                watcher.cancel()
        exited = next(entry for entry in logs if entry["event"] == "service_exited")
        assert exited["service"] == "tiny_ready" and exited["exit_code"] == -signal.SIGKILL
        assert exited["restart_count"] == 1 and exited["restart_in_s"] == 0.05
        assert "tiny service listening" in exited["log_tail"]
        assert sup.restarts("tiny_ready") == 1
        assert log_path.read_text().count("tiny service listening") == 2

    async def test_a_service_that_keeps_dying_is_restarted_ever_more_slowly(self, tmp_path: Path) -> None:
        spec, env, log_path = tiny(tmp_path, "crashy", CRASHING_SERVICE)
        policy = RestartPolicy(base_s=0.02, max_s=0.08, stable_s=60)
        with Supervisor(restart_policy=policy) as sup, capture_logs() as logs:
            sup.start(spec, env, log_path)
            watcher = await watching(sup)
            try:
                await eventually(lambda: _exits(logs, 5), timeout=60, interval=0.05, what="five exits")
            finally:
                watcher.cancel()
        exits = await _exits(logs, 5)
        assert [e["restart_in_s"] for e in exits[:5]] == [0.02, 0.04, 0.08, 0.08, 0.08]
        assert [e["restart_count"] for e in exits[:5]] == [1, 2, 3, 4, 5]
        assert all(e["exit_code"] == 3 and "boom: missing configuration" in e["log_tail"] for e in exits)

    async def test_a_service_that_stayed_up_a_while_starts_over_at_the_shortest_wait(self, tmp_path: Path) -> None:
        spec, env, log_path = tiny(tmp_path, "crashy_stable", CRASHING_SERVICE)
        with Supervisor(restart_policy=RestartPolicy(base_s=0.02, stable_s=0)) as sup, capture_logs() as logs:
            sup.start(spec, env, log_path)
            watcher = await watching(sup)
            try:
                await eventually(lambda: _exits(logs, 3), timeout=60, interval=0.05, what="three exits")
            finally:
                watcher.cancel()
        assert [e["restart_in_s"] for e in (await _exits(logs, 3))[:3]] == [0.02, 0.02, 0.02]

    async def test_a_service_stopped_or_killed_on_purpose_stays_down(self, tmp_path: Path) -> None:
        spec, env, log_path = tiny(tmp_path, "tiny_quiet", READY_SERVICE)
        with Supervisor(stop_timeout=5, restart_policy=RestartPolicy(base_s=0)) as sup:
            sup.start(spec, env, log_path)
            await sup.wait_ready(spec, timeout=30)
            sup.kill(spec.name)
            for _ in range(3):
                sup.check()  # what the watcher does on each tick
            assert not sup.is_running(spec.name) and sup.restarts(spec.name) == 0
            sup.start(spec, env, log_path)  # the test's own restart, as test_saga does
            await sup.wait_ready(spec, timeout=30)
            sup.stop(spec.name)
            sup.check()
            assert not sup.is_running(spec.name) and sup.restarts(spec.name) == 0


async def _restarted(sup: Supervisor, name: str, old_pid: int) -> bool:
    return sup.is_running(name) and sup.process(name).pid != old_pid


async def _logged(logs: list[dict], event: str) -> bool:
    return any(entry["event"] == event for entry in logs)


async def _exits(logs: list[dict], n: int) -> list[dict] | None:
    exits = [entry for entry in logs if entry["event"] == "service_exited"]
    return exits if len(exits) >= n else None


SAGA_SERVICES = ["registration", "booths", "billing"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("supervised")
    running = await start_platform(var_dir, services=SAGA_SERVICES, extra_env={"HANGVIET_ENV": "test"})
    yield running
    running.stop()


@pytest.mark.slow
@pytest.mark.asyncio(loop_scope="module")
async def test_a_booths_killed_under_make_run_comes_back_by_itself_and_the_saga_completes(
        platform: Platform) -> None:
    from tests.integration.test_saga import ORGANIZER

    async with httpx.AsyncClient(timeout=30) as client:
        fair = await client.post(f"{platform.url('registration')}/fairs", json=fair_body(), headers=ORGANIZER)
        assert fair.status_code == 201, fair.text
        fair_id = fair.json()["id"]
        published = await client.post(f"{platform.url('registration')}/fairs/{fair_id}/publish", headers=ORGANIZER)
        assert published.status_code == 200, published.text

    victim = platform.supervisor.process("booths")
    killed_at = time.monotonic()
    os.killpg(victim.pid, signal.SIGKILL)  # from outside: the supervisor did not ask for it

    async def booths_ready_again() -> bool:
        if not platform.supervisor.is_running("booths") or platform.supervisor.process("booths").pid == victim.pid:
            return False
        async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
            try:
                return (await client.get(f"{platform.url('booths')}/ready")).status_code == 200
            except httpx.HTTPError:
                return False

    await eventually(booths_ready_again, timeout=90, what="booths restarted by the supervisor and ready")
    print(f"booths: SIGKILL -> ready again in {time.monotonic() - killed_at:.2f}s")
    assert platform.supervisor.restarts("booths") == 1

    registration_id = await register_and_approve(platform, fair_id, "0100109106", 2)
    invoices = await eventually(lambda: invoices_of(platform, registration_id), timeout=60,
                                what="the invoice of a saga approved after the restart")
    assert len(invoices) == 1
