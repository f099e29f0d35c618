"""A quick run of bench/allocation.py's own code on a tiny fair: the generator, both solvers, the verdicts,
the table and the JSON report keep their shape (the real run takes minutes: `uv run python -m bench.allocation`)."""

from __future__ import annotations

import json

from bench import allocation as bench


def test_generates_the_same_fair_for_the_same_seed_with_zones_and_about_115_percent_demand():
    one, two = bench.generate(30, seed=3), bench.generate(30, seed=3)
    assert one == two and len(one.booths) == 30
    asked = sum(r.booths for r in one.requests)
    assert 30 * 1.15 <= asked <= 30 * 1.15 + 4
    assert {b.zone for b in one.booths} - {""} and {z.code for z in one.zones} >= {"PV08", "TCMN"}


def test_a_tiny_run_reports_both_solvers_and_a_verdict_per_target():
    out = bench.run([30], seed=3, time_limit_s=2.0, big_time_limit_s=2.0, workers=1, seeds=1, robust_sizes=(30,))
    report = json.loads(json.dumps(out))  # what main() writes
    [row] = report["results"]
    assert row["instance"] == "fair-30" and row["booths"] == 30
    assert row["cp_sat"]["status"] in ("optimal", "feasible")
    assert row["cp_sat"]["objective"] <= row["cp_sat"]["bound"]
    assert 0 < row["heuristic"]["objective"] <= row["cp_sat"]["bound"]
    verdicts = row["verdicts"]
    assert set(verdicts) == {"heuristic_within_2pct", "heuristic_time_fraction", "cp_sat_optimal_or_gap"}
    assert verdicts["heuristic_within_2pct"]["met"] == (row["heuristic_gap_to_best_pct"] <= 2.0)
    assert verdicts["heuristic_time_fraction"]["met"] == (row["heuristic_time_fraction"] <= 0.10)
    assert verdicts["cp_sat_optimal_or_gap"]["met"] and not verdicts["cp_sat_optimal_or_gap"]["required"]
    assert report["all_targets_met"] == (verdicts["heuristic_within_2pct"]["met"]
                                         and verdicts["heuristic_time_fraction"]["met"])
    assert set(report["robustness"]) == {"30"} and report["robustness"]["30"]["seeds"] == 1

    lines = bench.table(report["results"]).splitlines()
    assert lines[0].split()[:3] == ["instance", "booths", "reqs"] and lines[2].startswith("fair-30")
    [verdict] = bench.verdict_lines(report["results"])
    assert verdict.startswith("fair-30: heuristic within 2 % of best: ")
    assert verdict.count("PASS") + verdict.count("FAIL") == 2 and verdict.endswith(")") and "n/a" in verdict


def test_a_heuristic_far_below_cp_sat_fails_its_verdict():
    row = {"heuristic_gap_to_best_pct": 2.5, "heuristic_time_fraction": 0.5,
           "cp_sat": {"status": "unknown", "bound": None, "gap_pct": 0.0}}
    verdicts = bench.verdicts(row, 70)
    assert [v["met"] for v in verdicts.values()] == [False, False, False]
    assert verdicts["cp_sat_optimal_or_gap"]["required"]
