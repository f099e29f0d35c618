"""A quick run of bench/booths_assign.py's own code on a few approvals of the 70-booth fair: the fairs laid out
through the service, both passes, the table and the report keep their shape (the real run: `uv run python -m
bench.booths_assign`)."""

from __future__ import annotations

import json

from bench import booths_assign as bench


async def test_a_tiny_run_measures_the_floor_single_and_batched_approvals() -> None:
    row = await bench.measure(70, approvals=12, batch=4, seed=3)
    report = json.loads(json.dumps(row))  # what main() writes
    assert (report["booths"], report["approvals"], report["fairs"]) == (70, 12, 1)
    assert 0 < report["assigned"] <= 12 and len(report["outcomes_digest"]) == 16
    for part in ("floor", "one_per_transaction", "batch_of_4"):
        assert set(report[part]) == {"wall_ms_mean", "wall_ms_p50", "wall_ms_p95", "cpu_ms_mean"}
        assert report[part]["wall_ms_mean"] > 0
    lines = bench.table([report], 4).splitlines()
    assert lines[0].split()[:3] == ["booths", "approvals", "assigned"] and lines[2].split()[0] == "70"
    assert lines[2].endswith(report["outcomes_digest"])


def test_verdicts_compare_the_largest_fair_with_the_smallest() -> None:
    rows = [{"booths": size, "one_per_transaction": {"wall_ms_p50": ms, "cpu_ms_mean": ms}}
            for size, ms in ((70, 5.0), (300, 6.0), (2000, 9.0))]
    verdicts = bench.verdicts(rows)
    assert verdicts["within_2x_of_70"]["met"] and verdicts["within_2x_of_70"]["wall_p50_ratio"] == 1.8
    assert verdicts["under_10_ms"]["met"]
    rows[2]["one_per_transaction"] = {"wall_ms_p50": 12.0, "cpu_ms_mean": 12.0}
    assert not any(v["met"] for v in bench.verdicts(rows).values())
    assert bench.verdicts(rows[:1]) == {}
