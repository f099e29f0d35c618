"""What the running stack costs: CPU (in % of one core) and resident memory of each process, and the
machine's load average — the benches run on a shared 2-core machine, so every phase records it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from typing import Any

import psutil


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def _tree(pid: int) -> list[psutil.Process]:
    """The process and its descendants (a service may run worker processes)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _cpu_seconds(procs: list[psutil.Process]) -> dict[int, float]:
    """User + system seconds of each live process, by pid."""
    seconds: dict[int, float] = {}
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[proc.pid] = times.user + times.system
    return seconds


def _rss_bytes(procs: list[psutil.Process]) -> int:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


async def idle_cost(pids: Mapping[str, int], seconds: float) -> dict[str, Any]:
    """CPU over `seconds` (user + system, children included) and resident memory at the end, per named
    process and in total."""
    trees = {name: _tree(pid) for name, pid in pids.items()}
    before = {name: _cpu_seconds(procs) for name, procs in trees.items()}
    start = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - start
    per: dict[str, dict[str, float]] = {}
    for name, procs in trees.items():
        after = _cpu_seconds(procs)  # a process gone meanwhile counts for nothing rather than negative
        cpu = sum(after[pid] - before[name][pid] for pid in after if pid in before[name]) / elapsed * 100
        per[name] = {"cpu_pct_of_core": round(cpu, 2), "rss_mib": round(_rss_bytes(procs) / 2**20, 1),
                     "processes": len(procs)}
    return {"seconds": round(elapsed, 1), "per_process": per,
            "cpu_pct_of_core": round(sum(p["cpu_pct_of_core"] for p in per.values()), 2),
            "rss_mib": round(sum(p["rss_mib"] for p in per.values()), 1)}


CpuSnapshot = dict[str, dict[int, float]]


def cpu_snapshot(pids: Mapping[str, int]) -> CpuSnapshot:
    """User + system CPU seconds of each named process, and apart of its descendants (worker processes), by pid —
    a load-robust cost: on a shared machine latency moves with the neighbours' load, CPU seconds barely."""
    snapshot: CpuSnapshot = {}
    for name, pid in pids.items():
        tree = _tree(pid)
        snapshot[name] = _cpu_seconds(tree[:1])
        if tree[1:]:  # billing's PDF worker: background work at low priority, shown apart from the service's own
            snapshot[f"{name} workers"] = _cpu_seconds(tree[1:])
    return snapshot


def cpu_ms_per(before: CpuSnapshot, after: CpuSnapshot, units: int) -> dict[str, float | None]:
    """CPU milliseconds per unit of work (a saga, a submit) of each named process between two snapshots, and
    their total. A process that appeared meanwhile counts from zero; one gone counts for nothing."""
    per: dict[str, float | None] = {}
    for name, now in after.items():
        spent = sum(seconds - before.get(name, {}).get(pid, 0.0) for pid, seconds in now.items())
        per[name] = round(spent * 1000 / units, 2) if units else None
    known = [v for v in per.values() if v is not None]
    per["total"] = round(sum(known), 2) if known else None
    return per


async def settle(pids: Mapping[str, int], *, below_pct: float = 25.0, window_s: float = 1.0,
                 timeout_s: float = 120.0) -> dict[str, Any]:
    """Wait until the stack's CPU over `window_s` falls below `below_pct` % of one core (the consumers have caught
    up with what came before: a phase measured right after the rush would count the rush's events as its own),
    at most `timeout_s`. How long it took, and whether it settled."""
    trees = {name: _tree(pid) for name, pid in pids.items()}
    started = time.monotonic()
    while True:
        before = {name: _cpu_seconds(procs) for name, procs in trees.items()}
        window_start = time.monotonic()
        await asyncio.sleep(window_s)
        elapsed = time.monotonic() - window_start
        spent = sum(after - before[name].get(pid, after)
                    for name, procs in trees.items() for pid, after in _cpu_seconds(procs).items())
        pct = spent / elapsed * 100
        waited = time.monotonic() - started
        if pct < below_pct or waited >= timeout_s:
            return {"waited_s": round(waited, 1), "settled": pct < below_pct, "last_cpu_pct_of_core": round(pct, 1)}
