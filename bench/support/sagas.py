"""The saga bench's figures from what was sent and what the topics said — pure, so they are unit-tested.

Times are epoch seconds: the approve call's send time here, the `ce_time` of each event (set by the service
that emitted it, on the same machine's clock). Durations come out in milliseconds; a step that never came
is `MISSING` (infinite), so it counts in every percentile as "slower than the wait".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bench.support.stats import MISSING, Row, Rule, Target, summarize, tail_growth

HOPS = ("approve→approved", "approved→assigned", "assigned→invoice", "total", "total (seen on topic)")
# Where each hop's time goes: from an event's `ce_time` to the relay sending it (its commit, the relay's pass),
# then from that send to the next event's `ce_time` (the broker, the next consumer's fetch wait, its handler).
SPLITS = ("approved: commit+relay", "approved→assigned: broker+consumer", "assigned: commit+relay",
          "assigned→invoice: broker+consumer")
TAIL_FACTOR, TAIL_SLACK_MS = 1.5, 20.0
KEEPS_UP = 0.9  # sagas/s achieved over offered for a phase at a fixed rate


class StepTimes(Protocol):
    emitted: float
    seen: float
    published: float | None


@dataclass
class Approval:
    """One approve call: when it was sent, when it was answered, and how."""

    registration_id: str
    sent: float
    answered: float | None = None
    status: str = ""  # HTTP status code, or the exception's name
    decision: str = ""  # the registration's status in the answer: approved / waitlisted

    @property
    def ok(self) -> bool:
        return self.status == "200" and self.decision == "approved"


def hop_times(approvals: Sequence[Approval],
              step: Callable[[str, str], StepTimes | None]) -> dict[str, list[float]]:
    """Each hop's duration (ms) per approval, in send order; `step(registration_id, name)` looks events up."""
    out: dict[str, list[float]] = {hop: [] for hop in (*HOPS, "approve HTTP", *SPLITS)}
    for a in approvals:
        approved, assigned, issued = (step(a.registration_id, s) for s in ("approved", "assigned", "issued"))
        out["approve→approved"].append(_ms(approved.emitted - a.sent) if approved else MISSING)
        out["approved→assigned"].append(_ms(assigned.emitted - approved.emitted) if approved and assigned
                                        else MISSING)
        out["assigned→invoice"].append(_ms(issued.emitted - assigned.emitted) if assigned and issued else MISSING)
        out["total"].append(_ms(issued.emitted - a.sent) if issued else MISSING)
        out["total (seen on topic)"].append(_ms(issued.seen - a.sent) if issued else MISSING)
        out["approve HTTP"].append(_ms(a.answered - a.sent) if a.answered is not None else MISSING)
        for name, earlier, later in (("approved", approved, assigned), ("assigned", assigned, issued)):
            sent = earlier.published if earlier is not None else None
            out[f"{name}: commit+relay"].append(_ms(sent - earlier.emitted) if earlier and sent else MISSING)
            following = "approved→assigned" if name == "approved" else "assigned→invoice"
            out[f"{following}: broker+consumer"].append(_ms(later.emitted - sent) if later and sent else MISSING)
    return out


def _ms(seconds: float) -> float:
    return seconds * 1000


def phase_figures(name: str, approvals: Sequence[Approval], step: Callable[[str, str], StepTimes | None], *,
                  offered_per_s: float | None, backlog_at_start: int = 0) -> dict[str, Any]:
    """A phase's throughput, per-hop percentiles and tail growth."""
    times = hop_times(approvals, step)
    issued = [s for s in (step(a.registration_id, "issued") for a in approvals) if s is not None]
    first_sent = min((a.sent for a in approvals), default=0.0)
    last_sent = max((a.sent for a in approvals), default=0.0)
    answered = [a.answered for a in approvals if a.answered is not None]
    span = max((s.emitted for s in issued), default=first_sent) - first_sent
    return {
        "phase": name, "offered_per_s": offered_per_s, "approvals": len(approvals),
        "approve_ok": sum(a.ok for a in approvals),
        "approve_errors": sum(not a.ok for a in approvals),
        "approve_statuses": _count(f"{a.status} {a.decision}".strip() for a in approvals if not a.ok),
        "sent_per_s": (len(approvals) - 1) / (last_sent - first_sent) if last_sent > first_sent else None,
        "answered_per_s": len(answered) / (max(answered) - first_sent) if answered and max(answered) > first_sent
        else None,
        "completed": len(issued), "not_completed": len(approvals) - len(issued),
        "sagas_per_s": len(issued) / span if issued and span > 0 else 0.0,
        "backlog_at_start": backlog_at_start,
        "hops": {hop: summarize(values) for hop, values in times.items()},
        "tail": tail_growth(times["total"], factor=TAIL_FACTOR, slack=TAIL_SLACK_MS),
    }


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return counts


def saga_rows(phases: Sequence[dict[str, Any]], floor: dict[str, Any], *, burst_name: str = "burst",
              judged_rate: float = 50) -> list[Row]:
    """The target rows of issue 12 for the saga: throughput of the burst, latency at 50/s against the raw
    two-hop floor, and that every phase keeps up (its rate comes out, its tail does not grow)."""
    rows: list[Row] = []
    for p in phases:
        total = p["hops"]["total"]
        label = p["phase"]
        if p["phase"] == burst_name:
            rows.append(Row(f"{label}: sagas/s ({p['completed']}/{p['approvals']} issued)", p["sagas_per_s"],
                            "/s", targets=(Target(">=", 200, goal=500),)))
        else:
            # "It keeps up": what was offered is what came out (a short phase's tail alone cannot tell).
            rows.append(Row(f"{label}: sagas/s", p["sagas_per_s"], "/s", [("offered", p["offered_per_s"])],
                            (Target(">=", KEEPS_UP, on="ratio"),), note=_incomplete(p)))
        if p["offered_per_s"] == judged_rate:
            rows.append(Row(f"{label}: approve → invoice p50", total["p50"], "ms", [("raw two-hop p50", floor["p50"])],
                            (Target("<=", 50), Target("<=", 10, on="ratio"))))
            rows.append(Row(f"{label}: approve → invoice p99", total["p99"], "ms", [("raw two-hop p99", floor["p99"])],
                            (Target("<=", 250), Target("<=", 10, on="ratio"))))
        tail = p["tail"]
        grows = tail["grows"]
        rows.append(Row(f"{label}: p95 of the last third", tail["last_p95"], "ms",
                        [("first third", tail["first_p95"])],
                        (Rule(f"no growth (≤{TAIL_FACTOR}×+{TAIL_SLACK_MS:.0f}ms)",
                              None if grows is None else not grows),)))
    return rows


def _incomplete(phase: dict[str, Any]) -> str:
    missing = phase["not_completed"]
    return f"{missing} of {phase['approvals']} without an invoice when the wait ended" if missing else ""


def rush_rows(rush: dict[str, Any]) -> list[Row]:
    """The registration rush against its floor: /health at the same concurrency, in the same run."""
    health, submits, polled = rush["health_floor"], rush["submits"], rush["polled"]
    return [
        Row(f"rush: submits/s (concurrency {rush['concurrency']})", submits["per_s"], "/s",
            [("/health req/s, same conc.", health["per_s"])], (Target(">=", 0.6, on="ratio"),)),
        Row("rush: submit errors", float(submits["errors"]), "", targets=(Target("==", 0),),
            note=", ".join(f"{k}: {v}" for k, v in submits["statuses"].items() if k != "201")),
        Row("rush: submit latency p50", submits["latency"]["p50"], "ms", [("/health p50, same conc.",
                                                                            health["latency"]["p50"])]),
        Row("rush: submit latency p99", submits["latency"]["p99"], "ms", [("/health p99, same conc.",
                                                                            health["latency"]["p99"])]),
        Row("rush: GET /fairs/{id} p50 during the rush", polled["read"]["p50"], "ms",
            [("/health p50 during the rush", polled["health"]["p50"])], (Target("<=", 3, on="ratio"),)),
        Row("rush: GET /fairs/{id} p99 during the rush", polled["read"]["p99"], "ms",
            [("/health p99 during the rush", polled["health"]["p99"])], (Target("<=", 3, on="ratio"),)),
    ]


def idle_rows(idle: dict[str, Any]) -> list[Row]:
    """Idle CPU (target ≤ 5 % of one core) and resident memory of the whole stack."""
    return [Row(f"idle: CPU of the stack over {idle['seconds']:.0f} s", idle["cpu_pct_of_core"], "% core",
                targets=(Target("<=", 5),)),
            Row("idle: resident memory of the stack", idle["rss_mib"], "MiB")]
