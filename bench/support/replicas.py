"""The replica comparison's pure parts (bench/replicas.py): which partition a fair's events land on, fairs
balanced over the partitions, approvals interleaved across fairs, each replica's share of the work, and the
comparison of two replicas against one. No I/O here, so it is unit-tested (tests/unit/test_bench_replicas.py).

Every saga event is keyed by its fair id (shared.contracts.base.FairEvent), and aiokafka's default partitioner
puts a key on murmur2(key) mod partitions. Replicas of a service share its consumer group, so each gets whole
partitions: with 3 partitions and 2 replicas one replica gets two of them, and two replicas can at best be
1.5× one (when the work is spread evenly over the partitions and each replica's work is serial).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from aiokafka.partitioner import murmur2

from bench.support.stats import Row, Rule
from shared.contracts import PARTITIONS as PARTITIONS  # re-exported: the bench and its tests use it

T = TypeVar("T")
SATURATED = 1.2  # approvals answered / sagas issued per second above which the saga path, not the approve
# endpoint, was the bottleneck (a queue built up between them)


def partition_of(key: str, partitions: int = PARTITIONS) -> int:
    """The partition aiokafka's default partitioner gives a key."""
    return int(murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def wanted(kept: Sequence[str], key: str, per_partition: int, partitions: int = PARTITIONS) -> bool:
    """Whether a fair with this key is still wanted: its partition has fewer than `per_partition` kept."""
    target = partition_of(key, partitions)
    return sum(partition_of(k, partitions) == target for k in kept) < per_partition


def balanced(kept: Sequence[str], per_partition: int, partitions: int = PARTITIONS) -> bool:
    """Whether every partition has exactly `per_partition` of the kept fairs."""
    counts = [0] * partitions
    for key in kept:
        counts[partition_of(key, partitions)] += 1
    return all(c == per_partition for c in counts)


def interleave(groups: Sequence[Sequence[T]]) -> list[T]:
    """Round robin over the groups (one of each in turn; longer groups finish alone)."""
    out: list[T] = []
    for index in range(max((len(g) for g in groups), default=0)):
        out.extend(g[index] for g in groups if index < len(g))
    return out


def shares(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """What each replica applied between two readings of its counters (a replica missing before: from 0)."""
    return {name: after[name] - before.get(name, 0) for name in after}


def saturated(phase: Mapping[str, Any]) -> bool | None:
    """Whether approvals were answered faster than sagas finished (by SATURATED×): then booths and billing,
    not the approve endpoint, set the pace, and a replica comparison measures them. None when unknown."""
    answered, sagas = phase.get("answered_per_s"), phase.get("sagas_per_s")
    if not answered or not sagas:
        return None
    return bool(answered >= sagas * SATURATED)


def _total(run: Mapping[str, Any], q: str) -> float | None:
    value = run["burst"]["hops"]["total"][q]
    return None if value is None else float(value)


def comparison_rows(one: Mapping[str, Any], two: Mapping[str, Any]) -> list[Row]:
    """Two replicas against one: sagas/s (issue 12 wants it higher) and approve → invoice p50/p95/p99, each
    with one replica's figure as the first floor (ratio two/one) and the raw two-hop floor measured through
    the two-replica run's broker as the second."""
    b1, b2 = one["burst"], two["burst"]
    floor = two["floor"]["two_hop"]
    faster = None if not (b1["sagas_per_s"] and b2["sagas_per_s"]) else b2["sagas_per_s"] > b1["sagas_per_s"]
    missing = [f"{run['replicas']} replica(s): {run['burst']['not_completed']} of {run['burst']['approvals']} "
               "without an invoice when the wait ended" for run in (one, two) if run["burst"]["not_completed"]]
    rows = [Row("sagas/s, two replicas", b2["sagas_per_s"], "/s", [("one replica", b1["sagas_per_s"])],
                (Rule("higher than one replica", faster),), note="; ".join(missing))]
    for q in ("p50", "p95", "p99"):
        rows.append(Row(f"approve → invoice {q}, two replicas", _total(two, q), "ms",
                        [("one replica", _total(one, q)), (f"raw two-hop {q}", floor[q])]))
    return rows


def conclusion(one: Mapping[str, Any], two: Mapping[str, Any]) -> str:
    """One sentence on what the run says, whatever it says."""
    s1, s2 = one["burst"]["sagas_per_s"], two["burst"]["sagas_per_s"]
    if not s1 or not s2:
        return "no comparison: a configuration issued no invoice within the wait"
    r = s2 / s1
    if r > 1.05:
        verdict = f"two replicas were faster: {r:.2f}× one replica's sagas/s"
    elif r >= 0.95:
        verdict = f"two replicas were no faster than one ({r:.2f}×, within 5 %)"
    else:
        verdict = f"two replicas were SLOWER than one: {r:.2f}× one replica's sagas/s"
    paced = [f"{run['replicas']} replica(s)" for run in (one, two) if saturated(run["burst"]) is False]
    if paced:
        verdict += (f"; with {' and '.join(paced)} the approvals were answered barely faster than sagas finished, "
                    "so the approve endpoint may have set the pace rather than booths and billing")
    return verdict


def load_text(load: Mapping[str, Sequence[float]]) -> str:
    """The 1-minute load average at the start and end, e.g. `5.2 → 7.9`."""
    return f"{load['start'][0]} → {load['end'][0]}"
