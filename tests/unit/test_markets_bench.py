"""bench/scheduling.py's own code on small rows: the verdict per row, a failing row recorded, not raised
(the real run takes minutes: `uv run python -m bench.scheduling`)."""

from __future__ import annotations

import json

import pytest

from bench import scheduling as bench
from services.markets.domain.planning import Limits

# Generous: the small row solves in about 0.2 s (the baseline proves its optimum in about 3 s), but under a
# loaded CI machine a 4 s budget ran out once (NoPlanInTime), which is the machine, not the bench's code.
LIMITS = Limits(time_limit_s=20.0, workers=2, seed=0)


def test_a_small_row_is_checked_judged_and_compared_with_the_baseline() -> None:
    row = json.loads(json.dumps(bench.run_row(3, 2, LIMITS)))  # what main() writes
    o, m, v = row["ours"], row["monolithic"], row["verdict"]
    assert "error" not in o, o["error"]
    assert o["checker_errors"] == 0 and o["dates_status"] == "optimal" and o["dates_gap"] == 0
    assert o["objective"] <= o["best_bound"]
    assert o["total_s"] <= LIMITS.time_limit_s + 1.0
    assert v["target"] == bench.TARGET and v["met"] == (not v["why"])
    assert v["met"] == (o["total_s"] < bench.TARGET_S and (o["suppliers_gap"] or 0) <= 0.01)
    assert m["status"] in ("optimal", "feasible", "unknown")
    assert (m["proven_optimum_s"] is not None) == (m["status"] == "optimal")
    assert "|" in bench._line(row)


def test_a_row_that_cannot_be_planned_is_recorded_with_a_missed_verdict() -> None:
    row = bench.run_row(500, 1, Limits(time_limit_s=2.0, workers=2))  # far more than a year holds
    assert row["ours"]["error"].startswith(("Infeasible", "NoPlanInTime"))
    assert row["verdict"]["met"] is False and row["verdict"]["why"] == [row["ours"]["error"]]
    assert "MISSED" in bench._line(row)


@pytest.mark.parametrize(("change", "reason"), [
    ({"total_s": 10.2}, "took 10.20 s"), ({"checker_errors": 2}, "checker found 2"),
    ({"dates_status": "feasible", "dates_gap": 0.05}, "not proven optimal"), ({"suppliers_gap": 0.03}, "3.00%"),
    ({"suppliers_status": None}, "no supplier assignment")])
def test_the_verdict_names_each_reason_it_misses(change, reason) -> None:
    good = {"checker_errors": 0, "dates_status": "optimal", "dates_gap": 0.0, "suppliers_status": "optimal",
            "suppliers_gap": 0.004, "total_s": 3.0}
    assert bench.verdict(good, with_suppliers=True) == {"target": bench.TARGET, "met": True, "why": []}
    missed = bench.verdict({**good, **change}, with_suppliers=True)
    assert missed["met"] is False and any(reason in w for w in missed["why"])
