"""The replica comparison's pure parts (bench/replicas.py): which partition a fair's events land on, fairs
balanced over the partitions, approvals interleaved across fairs, each replica's share of the work, and the
comparison of two replicas against one. No I/O here, so it is unit-tested (tests/unit/test_bench_replicas.py).

Every saga event is keyed by its fair id (shared.contracts.base.FairEvent), and aiokafka's default partitioner
puts a key on murmur2(key) mod partitions. Replicas of a service share its consumer group, so each gets whole
partitions: with 3 partitions and 2 replicas one replica gets two of them, and two replicas can at best be
1.5× one (when the work is spread evenly over the partitions and each replica's work is serial).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from aiokafka.partitioner import murmur2

from bench.support.sagas import StepTimes
from bench.support.stats import Row, Rule
from shared.contracts import PARTITIONS as PARTITIONS  # re-exported: the bench and its tests use it

T = TypeVar("T")
QUANTILES = ("p50", "p95", "p99")
NOTEWORTHY = ("parked", "unparked", "duplicates", "retried", "redelivered", "dead_lettered")
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


def shares(before: Mapping[str, Mapping[str, int]], after: Mapping[str, Mapping[str, int]]
           ) -> dict[str, dict[str, int]]:
    """What each replica's consumers did between two readings of their counters (applied, parked, ...); a
    replica missing before (started since) counts from 0."""
    return {name: {k: v - before.get(name, {}).get(k, 0) for k, v in counts.items()} for name, counts in after.items()}


def delivery_text(by_replica: Mapping[str, Mapping[str, int]]) -> str:
    """E.g. `booths 100, booths-2 200 applied; billing: 67 parked, 5 dead-lettered`: the applied split, then
    per service whatever went other than applied once (parked, duplicates, retries, dead letters)."""
    split = ", ".join(f"{name} {counts.get('applied', 0)}" for name, counts in by_replica.items())
    totals: dict[str, dict[str, int]] = {}
    for name, counts in by_replica.items():
        service = totals.setdefault(name.removesuffix("-2"), {})
        for key in NOTEWORTHY:
            service[key] = service.get(key, 0) + counts.get(key, 0)
    extra = "; ".join(f"{service}: " + ", ".join(f"{counts[key]} {key.replace('_', '-')}" for key in NOTEWORTHY
                                                 if counts[key])
                      for service, counts in totals.items() if any(counts.values()))
    return f"{split} applied" + (f"; {extra}" if extra else "")


def steady_rate(emitted: Sequence[float], trim: float = 0.1) -> float | None:
    """Invoices per second between the `trim` and `1 - trim` quantiles of their emission times (epoch s): the
    rate once the pipeline has filled and before it drains. None with too few to tell."""
    ordered = sorted(emitted)
    low, high = int(len(ordered) * trim), int(len(ordered) * (1 - trim)) - 1
    if high - low < 2 or ordered[high] <= ordered[low]:
        return None
    return (high - low) / (ordered[high] - ordered[low])


def backlog_figures(registration_ids: Sequence[str], step: Callable[[str, str], StepTimes | None], *,
                    restarted: float, ready: float) -> dict[str, Any]:
    """How booths and billing, started again at `restarted` (ready at `ready`, epoch s), worked off a queue of
    approved registrations: invoices per second from the first `booths.assigned` to the last `invoice.issued`
    (their ce_time), the same once filled (10–90 %), and how long from the start to the last invoice."""
    assigned = [s.emitted for s in (step(r, "assigned") for r in registration_ids) if s is not None]
    issued = [s.emitted for s in (step(r, "issued") for r in registration_ids) if s is not None]
    span = max(issued) - min(assigned) if issued and assigned else 0.0
    return {"completed": len(issued), "not_completed": len(registration_ids) - len(issued),
            "ready_s": round(ready - restarted, 1),
            "invoices_per_s": len(issued) / span if span > 0 else None,
            "steady_invoices_per_s": steady_rate(issued),
            "start_to_last_invoice_s": round(max(issued) - restarted, 1) if issued else None}


def saturated(phase: Mapping[str, Any]) -> bool | None:
    """Whether approvals were answered faster than sagas finished (by SATURATED×): then booths and billing,
    not the approve endpoint, set the pace, and a replica comparison measures them. None when unknown."""
    answered, sagas = phase.get("answered_per_s"), phase.get("sagas_per_s")
    if not answered or not sagas:
        return None
    return bool(answered >= sagas * SATURATED)


def median_run(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Several runs of one configuration as one, for the comparison: the median of each rate and percentile
    over the runs, the sum of each count (one run comes out with its own figures)."""
    bursts = [run["burst"] for run in runs]
    merged: dict[str, Any] = {
        "replicas": runs[0]["replicas"], "runs": len(runs),
        "burst": {"sagas_per_s": _median(b["sagas_per_s"] for b in bursts),
                  "steady_sagas_per_s": _median(b.get("steady_sagas_per_s") for b in bursts),
                  "answered_per_s": _median(b.get("answered_per_s") for b in bursts),
                  **{k: sum(b.get(k, 0) for b in bursts) for k in ("approvals", "not_completed", "approve_errors")},
                  "hops": {"total": {q: _median(b["hops"]["total"][q] for b in bursts) for q in QUANTILES}}},
        "floor": {"two_hop": {q: _median(run["floor"]["two_hop"][q] for run in runs) for q in QUANTILES}},
    }
    if all("backlog" in run for run in runs):
        backlogs = [run["backlog"] for run in runs]
        merged["backlog"] = {"invoices_per_s": _median(k["invoices_per_s"] for k in backlogs),
                             "steady_invoices_per_s": _median(k["steady_invoices_per_s"] for k in backlogs),
                             "not_completed": sum(k["not_completed"] for k in backlogs)}
    return merged


def _median(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _total(run: Mapping[str, Any], q: str) -> float | None:
    value = run["burst"]["hops"]["total"][q]
    return None if value is None else float(value)


def comparison_rows(one: Mapping[str, Any], two: Mapping[str, Any]) -> list[Row]:
    """Two replicas against one: sagas/s (issue 12 wants it higher) and approve → invoice p50/p95/p99, each
    with one replica's figure as the first floor (ratio two/one) and the raw two-hop floor measured through
    the two-replica run's broker as the second."""
    b1, b2 = one["burst"], two["burst"]
    floor = two["floor"]["two_hop"]
    faster = _higher(b2["sagas_per_s"], b1["sagas_per_s"])
    missing = [f"{run['replicas']} replica(s): {run['burst']['not_completed']} of {run['burst']['approvals']} "
               "without an invoice when the wait ended"
               + (f" ({run['burst']['approve_errors']} approve calls failed)" if run["burst"].get("approve_errors")
                  else "")
               for run in (one, two) if run["burst"]["not_completed"]]
    rows = [Row("sagas/s, two replicas", b2["sagas_per_s"], "/s", [("one replica", b1["sagas_per_s"])],
                (Rule("higher than one replica", faster),), note="; ".join(missing)),
            Row("invoices/s once filled (10–90 %), two replicas", b2.get("steady_sagas_per_s"), "/s",
                [("one replica", b1.get("steady_sagas_per_s"))])]
    for q in QUANTILES:
        rows.append(Row(f"approve → invoice {q}, two replicas", _total(two, q), "ms",
                        [("one replica", _total(one, q)), (f"raw two-hop {q}", floor[q])]))
    if "backlog" in one and "backlog" in two:
        k1, k2 = one["backlog"], two["backlog"]
        left = [f"{run['replicas']} replica(s): {run['backlog']['not_completed']} of the backlog without an invoice "
                "when the wait ended" for run in (one, two) if run["backlog"]["not_completed"]]
        rows.append(Row("backlog: invoices/s, two replicas", k2["invoices_per_s"], "/s",
                        [("one replica", k1["invoices_per_s"])],
                        (Rule("higher than one replica", _higher(k2["invoices_per_s"], k1["invoices_per_s"])),),
                        note="; ".join(left)))
        rows.append(Row("backlog: once filled (10–90 %), two replicas", k2["steady_invoices_per_s"], "/s",
                        [("one replica", k1["steady_invoices_per_s"])]))
    return rows


def _higher(two: float | None, one: float | None) -> bool | None:
    return None if not (two and one) else two > one


def conclusion(one: Mapping[str, Any], two: Mapping[str, Any]) -> str:
    """What the run says, whatever it says."""
    s1, s2 = one["burst"]["sagas_per_s"], two["burst"]["sagas_per_s"]
    if not s1 or not s2:
        verdict = "burst: no comparison, a configuration issued no invoice within the wait"
    else:
        verdict = f"burst: {_compared(s2 / s1)} sagas/s"
        steady1, steady2 = one["burst"].get("steady_sagas_per_s"), two["burst"].get("steady_sagas_per_s")
        if steady1 and steady2:
            verdict += f" ({steady2 / steady1:.2f}× once the pipeline had filled)"
        paced = [f"{run['replicas']} replica(s)" for run in (one, two) if saturated(run["burst"]) is False]
        if paced:
            verdict += (f"; with {' and '.join(paced)} the approvals were answered barely faster than sagas "
                        "finished, so the approve endpoint may have set the pace rather than booths and billing")
    if "backlog" in one and "backlog" in two:
        k1, k2 = one["backlog"]["invoices_per_s"], two["backlog"]["invoices_per_s"]
        verdict += (f". Backlog (booths and billing alone): {_compared(k2 / k1)} invoices/s" if k1 and k2 else
                    ". Backlog: no comparison, a configuration issued no invoice within the wait")
    return verdict


def _compared(r: float) -> str:
    if r > 1.05:
        return f"two replicas were faster, {r:.2f}× one replica's"
    if r >= 0.95:
        return f"two replicas were no faster than one, {r:.2f}× (within 5 %) one replica's"
    return f"two replicas were SLOWER than one, {r:.2f}× one replica's"


def load_text(load: Mapping[str, Sequence[float]]) -> str:
    """The 1-minute load average at the start and end, e.g. `5.2 → 7.9`."""
    return f"{load['start'][0]} → {load['end'][0]}"
