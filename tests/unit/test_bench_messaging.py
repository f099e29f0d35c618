"""bench/messaging.py's own bookkeeping (the real run needs a broker: `uv run python -m bench.messaging`)."""

from __future__ import annotations

import pytest

from bench.messaging import Commits, kernel_tables


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
