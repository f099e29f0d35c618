"""bench/messaging.py's own bookkeeping (the real run needs a broker: `uv run python -m bench.messaging`)."""

from __future__ import annotations

import json

import pytest

from bench.messaging import Commits, kernel_tables, print_report, report
from bench.support.stats import MISSING, jsonable


def test_the_consumer_database_gets_every_kernel_table_parked_events_included() -> None:
    names = {model.__tablename__ for model in kernel_tables()}
    assert {"outbox", "inbox", "parked_events"} <= names


def test_a_rate_runs_from_the_first_event_received_to_the_last_commit() -> None:
    commits = Commits()
    commits.received.update({"s0": 10.0, "s1": 10.0, "lat0": 1.0})
    commits.at.update({"s0": 10.5, "s1": 10.5, "lat0": 100.0})  # one batch of two, committed together
    assert commits.rate("s") == pytest.approx(4.0)
    assert Commits().rate("s") is None


async def test_a_waiter_learns_when_its_event_committed_and_repeats_count_once() -> None:
    commits = Commits()
    waiter = commits.expect("lat0")
    commits.done("lat0")
    first = await waiter
    commits.done("lat0")
    assert commits.at["lat0"] == first and len(commits.at) == 1


def test_the_report_judges_the_kernel_against_faststream_and_survives_a_consumer_that_applied_nothing(
        capsys: pytest.CaptureFixture[str]) -> None:
    consumed = {"raw_commit_each": {"applied": 10, "rate": 300.0},
                "faststream": {"applied": 10, "rate": 400.0, "latencies_ms": [3.0, 4.0]},
                "faststream_batch": {"applied": 10, "rate": 2000.0},
                "kernel": {"applied": 0, "rate": None, "latencies_ms": [MISSING, MISSING]}}
    result, tables = report(10, 2, {"produce_per_s": 1e4, "consume_per_s": 1e5}, [1.0, 2.0],
                            {"stage_per_s": 2e3, "relay_per_s": 5e3}, 6e3, consumed,
                            {"start": [1.0], "end": [2.0]})
    kernel = next(r for r in result["throughput"] if r["metric"].startswith("kernel EventConsumer"))
    assert kernel["met"] is None and "only 0 of 10 applied" in kernel["note"]
    print_report(result, *tables)
    assert "never" in capsys.readouterr().out
    json.dumps(jsonable(result), allow_nan=False)
