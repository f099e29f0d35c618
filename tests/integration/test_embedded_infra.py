"""Integration tests for the embedded broker/redis and the service supervisor (real child processes)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from devstack.embedded import EmbeddedInfra, create_topics, start_infra
from devstack.supervisor import ServiceSpec, ServiceStartError, Supervisor

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TOPICS = {"t.a": 3, "t.b": 1}


def _gone(pid: int) -> bool:
    """True if `pid` no longer runs (absent, or a zombie nobody reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


def _live_group_members(pgid: int) -> list[int]:
    """Pids in process group `pgid` that are not zombies (init may take a moment to reap orphans)."""
    members = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(stat_file.parent.name))
    return members


def _group_gone(pgid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while _live_group_members(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
async def infra(tmp_path: Path) -> AsyncIterator[EmbeddedInfra]:
    running = await start_infra(tmp_path / "var", TOPICS)
    try:
        yield running
    finally:
        running.stop()


async def _partition_counts(bootstrap: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        # No topic names: naming an unknown topic would auto-create it on Tansu.
        return {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics()}
    finally:
        await admin.close()


async def test_topics_created_with_partition_counts(infra: EmbeddedInfra) -> None:
    counts = await _partition_counts(infra.bootstrap)
    assert counts["t.a"] == 3
    assert counts["t.b"] == 1


async def test_create_topics_is_idempotent(infra: EmbeddedInfra) -> None:
    await create_topics(infra.bootstrap, {**TOPICS, "t.c": 2})
    counts = await _partition_counts(infra.bootstrap)
    assert (counts["t.a"], counts["t.b"], counts["t.c"]) == (3, 1, 2)


async def test_produce_and_consume_keyed_messages_with_headers(infra: EmbeddedInfra) -> None:
    sent = {f"key-{i}".encode(): f"value-{i}".encode() for i in range(3)}
    producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all")
    await producer.start()
    try:
        for i, (key, value) in enumerate(sent.items()):
            await producer.send_and_wait(
                "t.a", value, key=key, headers=[("ce_type", b"test.event"), ("seq", str(i).encode())]
            )
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        "t.a",
        bootstrap_servers=infra.bootstrap,
        group_id=f"g-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=2000,
        fetch_max_wait_ms=10,
    )
    await consumer.start()
    received: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = time.monotonic() + 30
        while len(received) < len(sent) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            received.extend(msg for msgs in batches.values() for msg in msgs)
    finally:
        await consumer.stop()

    assert {m.key: m.value for m in received} == sent
    for msg in received:
        headers = dict(msg.headers)
        assert headers["ce_type"] == b"test.event"
        assert msg.value == f"value-{int(headers['seq'])}".encode()


async def test_redis_ping_set_get(infra: EmbeddedInfra) -> None:
    client = aioredis.from_url(infra.redis_url, decode_responses=True)
    try:
        assert await client.ping()
        await client.set("hello", "xin chào")
        assert await client.get("hello") == "xin chào"
    finally:
        await client.aclose()


async def test_stop_leaves_no_processes(tmp_path: Path) -> None:
    running = await start_infra(tmp_path / "var", {"t.a": 1})
    procs = [running.broker_proc, running.redis_proc]
    assert all(p.poll() is None for p in procs)
    running.stop()
    running.stop()  # idempotent
    for proc in procs:
        assert proc.returncode is not None
        assert _gone(proc.pid)
        assert _group_gone(proc.pid)
    assert (tmp_path / "var" / "broker.log").read_text()
    assert "Ready to accept connections" in (tmp_path / "var" / "redis.log").read_text()


READY_SERVICE = """
import http.server, os, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ready" else 404)
        self.end_headers()
        self.wfile.write(b"ok")
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
print("boom: missing configuration", file=sys.stderr)
sys.exit(3)
"""

# Ignores SIGTERM and leaves a grandchild in its process group: stop_all must still clean up.
STUBBORN_SERVICE = """
import os, signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open(os.environ["GRANDCHILD_PID_FILE"], "w").write(str(child.pid))
time.sleep(300)
"""


def _write_module(tmp_path: Path, name: str, source: str) -> str:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    return name


async def test_supervisor_start_kill_restart_stop_all(tmp_path: Path) -> None:
    module = _write_module(tmp_path, "tiny_ready_svc", READY_SERVICE)
    spec = ServiceSpec(name="tiny", port=0, module=module)
    env = {"PYTHONPATH": str(tmp_path)}
    log_path = tmp_path / "logs" / "tiny.log"

    with Supervisor(stop_timeout=5) as sup:
        first = sup.start(spec, env, log_path)
        await sup.wait_ready(spec, timeout=30)
        assert sup.is_running("tiny")

        sup.kill("tiny")
        assert first.returncode == -signal.SIGKILL
        assert not sup.is_running("tiny")

        second = sup.restart("tiny")
        assert second.pid != first.pid
        await sup.wait_ready(spec, timeout=30)

        sup.stop_all()
        assert second.returncode is not None
        assert _gone(second.pid)
        assert not sup.is_running("tiny")
    assert log_path.read_text().count("tiny service listening") == 2


async def test_supervisor_wait_ready_reports_early_exit(tmp_path: Path) -> None:
    module = _write_module(tmp_path, "crashing_svc", CRASHING_SERVICE)
    spec = ServiceSpec(name="crashy", port=0, module=module)
    with Supervisor() as sup:
        sup.start(spec, {"PYTHONPATH": str(tmp_path)}, tmp_path / "crashy.log")
        started = time.monotonic()
        with pytest.raises(ServiceStartError, match="boom: missing configuration") as excinfo:
            await sup.wait_ready(spec, timeout=30)
        assert "exited with code 3" in str(excinfo.value)
        assert time.monotonic() - started < 10


async def test_supervisor_stop_all_kills_stubborn_children_and_grandchildren(tmp_path: Path) -> None:
    module = _write_module(tmp_path, "stubborn_svc", STUBBORN_SERVICE)
    pid_file = tmp_path / "grandchild.pid"
    spec = ServiceSpec(name="stubborn", port=0, module=module)
    env = {"PYTHONPATH": str(tmp_path), "GRANDCHILD_PID_FILE": str(pid_file)}
    with Supervisor(stop_timeout=1) as sup:
        proc = sup.start(spec, env, tmp_path / "stubborn.log")
        deadline = time.monotonic() + 15
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        grandchild = int(pid_file.read_text())
        sup.stop_all()

    assert proc.returncode == -signal.SIGKILL
    assert _wait_gone(grandchild)
    assert _group_gone(proc.pid)


# A parent that is SIGKILLed cannot clean up: its children must die with it (no orphans).
ORPHAN_PARENT = """
import sys, time
from pathlib import Path
from devstack.embedded import spawn
proc = spawn([sys.executable, "-c", "import time; time.sleep(300)"], Path(sys.argv[1]))
print("CHILD_PID", proc.pid, flush=True)
time.sleep(300)
"""


def test_children_die_when_parent_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "orphan_parent.py"
    script.write_text(ORPHAN_PARENT)
    parent = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "child.log")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        # structlog also writes to stdout: skip to our marker line.
        line = next(line for line in parent.stdout if line.startswith("CHILD_PID "))
        child_pid = int(line.split()[1])
        assert not _gone(child_pid)
    finally:
        parent.kill()
        parent.wait()
    assert _wait_gone(child_pid)
