"""bench/broker_history.py's table (the real run needs a broker: `uv run python -m bench.broker_history`)."""

from __future__ import annotations

import pytest

from bench.broker_history import rows


def test_every_case_is_compared_with_the_fresh_partition_and_the_fresh_one_with_nothing() -> None:
    case = {"p50": 1.0, "p99": 2.0, "broker_cpu_ms_per_hop": 0.5}
    result = {"cases": [{"case": "fresh", **case},
                        {"case": "8,000 batches", "p50": 4.0, "p99": 6.0, "broker_cpu_ms_per_hop": 4.0}]}
    table = rows(result)
    assert [row.metric for row in table] == [
        "fresh: p50", "fresh: p99", "fresh: broker CPU per hop",
        "8,000 batches: p50", "8,000 batches: p99", "8,000 batches: broker CPU per hop"]
    assert all(not row.floors for row in table[:3])
    assert [row.ratios()[0] for row in table[3:]] == pytest.approx([4.0, 3.0, 8.0])
    assert all(row.met() is None for row in table), "no target: the bench explains bench.saga's figures"
