"""Pure figures of a benchmark: percentiles, whether a tail grows, and the table of figure, floor, ratio,
target and verdict that every bench prints. No I/O here, so it is unit-tested
(tests/unit/test_bench_saga.py).

A measurement that never finished (a saga with no invoice within the bounded wait) is `math.inf`: it sorts
above every real value, so a percentile that reaches it reads "> the wait" instead of hiding the miss.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

MISSING = math.inf


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (q in 0..1) of `values`; None when there are none."""
    if not values:
        return None
    if not 0 <= q <= 1:
        raise ValueError(f"q must be within 0..1, got {q}")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarize(values: Sequence[float]) -> dict[str, Any]:
    """Count, completed count and p50/p95/p99/max of `values` (incomplete ones are `MISSING`)."""
    done = [v for v in values if math.isfinite(v)]
    return {"n": len(values), "completed": len(done), "missing": len(values) - len(done),
            "p50": percentile(values, 0.50), "p95": percentile(values, 0.95), "p99": percentile(values, 0.99),
            "max": max(done) if done else None}


def thirds(values: Sequence[float]) -> tuple[Sequence[float], Sequence[float]]:
    """The first and the last third of `values`, in the order given (send order)."""
    size = len(values) // 3
    if size == 0:
        return [], []
    return values[:size], values[-size:]


def tail_growth(values: Sequence[float], *, factor: float = 1.5, slack: float = 20.0) -> dict[str, Any]:
    """Whether the p95 of the last third of a phase exceeds the first third's by more than `factor` times
    and `slack` (in the values' unit), or is missing: the system fell behind and a queue built up. Too few
    values: unknown."""
    first, last = thirds(values)
    first_p95, last_p95 = percentile(first, 0.95), percentile(last, 0.95)
    if first_p95 is None or last_p95 is None:
        return {"first_p95": None, "last_p95": None, "grows": None}
    # Sagas of the last third still unfinished when the wait ended: it did not keep up, whatever the first did.
    grows = math.isinf(last_p95) or (last_p95 > first_p95 * factor and last_p95 - first_p95 > slack)
    return {"first_p95": first_p95, "last_p95": last_p95, "grows": grows}


def ratio(figure: float | None, floor: float | None) -> float | None:
    """figure / floor; None when either is unknown or the floor is zero."""
    if figure is None or floor is None or floor == 0 or math.isnan(figure) or math.isnan(floor):
        return None
    return figure / floor


@dataclass(frozen=True)
class Target:
    """A bound on a row's figure (`on="figure"`) or on its ratio to its first floor (`on="ratio"`)."""

    op: Literal["<=", ">=", "=="]
    value: float
    on: Literal["figure", "ratio"] = "figure"
    goal: float | None = None

    def met(self, figure: float | None, ratio_value: float | None) -> bool | None:
        """True / False, or None when the figure it bounds is unknown."""
        x = figure if self.on == "figure" else ratio_value
        if x is None or math.isnan(x):
            return None
        if self.op == "<=":
            return x <= self.value
        if self.op == ">=":
            return x >= self.value
        return x == self.value

    def text(self) -> str:
        """E.g. `≤ 50`, `ratio ≥ 0.6`, `≥ 200 (goal 500)`."""
        sign = {"<=": "≤", ">=": "≥", "==": "="}[self.op]
        goal = f" (goal {_num(self.goal)})" if self.goal is not None else ""
        return f"{'ratio ' if self.on == 'ratio' else ''}{sign} {_num(self.value)}{goal}"


@dataclass(frozen=True)
class Rule:
    """A verdict no single bound expresses (e.g. "the tail does not grow"), decided by the caller."""

    description: str
    met: bool | None


@dataclass
class Row:
    """One figure with the floors it is compared with (label, value) and the targets it must meet (ratio
    targets are on the first floor)."""

    metric: str
    figure: float | None
    unit: str = ""
    floors: list[tuple[str, float | None]] = field(default_factory=list)
    targets: tuple[Target | Rule, ...] = ()
    note: str = ""

    def ratios(self) -> list[float | None]:
        """figure / floor for each floor, in order."""
        return [ratio(self.figure, value) for _, value in self.floors]

    def met(self) -> bool | None:
        """All targets met (True), one missed (False), else None (no target, or nothing to judge)."""
        ratios = self.ratios()
        verdicts = [t.met if isinstance(t, Rule) else t.met(self.figure, ratios[0] if ratios else None)
                    for t in self.targets]
        if False in verdicts:
            return False
        return True if verdicts and None not in verdicts else None

    def target_text(self) -> str:
        """The targets, joined."""
        return " and ".join(t.description if isinstance(t, Rule) else t.text() for t in self.targets)

    def as_json(self) -> dict[str, Any]:
        """The row for the results file (non-finite numbers become null, with `incomplete` said)."""
        return {"metric": self.metric, "unit": self.unit, "figure": finite(self.figure),
                "incomplete": self.figure is not None and not math.isfinite(self.figure),
                "floors": [{"label": label, "value": finite(value), "ratio": finite(r)}
                           for (label, value), r in zip(self.floors, self.ratios(), strict=True)],
                "target": self.target_text() or None, "met": self.met(), "note": self.note}


def finite(value: float | None) -> float | None:
    """`value` when it is a finite number, else None (JSON has no infinity)."""
    return value if value is not None and math.isfinite(value) else None


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "never"
    if value == int(value) and abs(value) < 10_000:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def verdict(met: bool | None) -> str:
    """`yes`, `NO` or blank."""
    return "" if met is None else ("yes" if met else "NO")


def render_table(title: str, rows: Sequence[Row]) -> str:
    """The rows as a text table: metric, figure, each floor with its ratio, target, met?"""
    lines = [title, f"{'metric':<46}{'figure':>14}  {'floor':>10} {'(what)':<28}{'ratio':>8}  "
                    f"{'target':<31}{'met?':<4}"]
    lines.append("-" * len(lines[1]))
    for row in rows:
        figure = f"{_num(row.figure)}{(' ' + row.unit) if row.unit else ''}"
        floors = list(zip(row.floors, row.ratios(), strict=True)) or [(("", None), None)]
        for index, ((label, value), r) in enumerate(floors):
            head = f"{row.metric:<46}{figure:>14}" if index == 0 else " " * 60
            floor_text = _num(value) if label else ""
            ratio_text = f"{r:.2f}" if r is not None and math.isfinite(r) else ("never" if r else "")
            tail = f"{row.target_text():<30} {verdict(row.met()):<4}" if index == 0 else ""
            lines.append(f"{head}  {floor_text:>10} {label[:28]:<28}{ratio_text:>8}  {tail}".rstrip())
        if row.note:
            lines.append(f"{'':<4}↳ {row.note}")
    return "\n".join(lines)


def targets_summary(rows: Sequence[Row]) -> dict[str, int]:
    """How many targets were met, missed, or could not be judged."""
    verdicts = [row.met() for row in rows if row.targets]
    return {"met": sum(v is True for v in verdicts), "missed": sum(v is False for v in verdicts),
            "unknown": sum(v is None for v in verdicts)}


def jsonable(value: Any) -> Any:
    """`value` with every non-finite float replaced by None, recursively (JSON has no infinity)."""
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
