"""shared/gcpause.py: the start's objects frozen out of full collections (its garbage collected first), and a slow
collection logged with its generation."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from shared.gcpause import PauseWatch, freeze_startup_objects, settle_after_start


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test process collects as before


_FREEZE_IN_A_FRESH_PROCESS = """
import gc, weakref
from shared.gcpause import freeze_startup_objects

class Node:
    def __init__(self):
        self.other = None

alive, garbage, partner = Node(), Node(), Node()
garbage.other, partner.other = partner, garbage  # a cycle: only the collector frees it
gone = weakref.ref(garbage)
del garbage, partner

frozen = freeze_startup_objects()
count = gc.get_freeze_count()

assert gone() is None, "garbage from before the freeze is collected, not kept forever"
assert frozen > 0 and 0 < count <= frozen, (frozen, count)  # a frozen object freed since leaves the count
assert gc.is_tracked(alive)
assert not any(o is alive for o in gc.get_objects()), "a frozen object is in no generation a collection walks"
"""


def test_the_starts_garbage_is_collected_and_what_lives_is_frozen() -> None:
    # In a fresh interpreter, as a service's start is: the test process holds millions of objects (12 s to walk)
    # and threads of its own, one of which may free a frozen object between two reads of the count.
    done = subprocess.run([sys.executable, "-c", _FREEZE_IN_A_FRESH_PROCESS], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_slow_collection_is_logged_with_its_generation_and_the_freezes_own_is_not(unfrozen: None) -> None:
    watch = PauseWatch(slow_ms=0.0).install()
    try:
        with capture_logs() as logs:
            gc.collect(1)
        slow = [entry for entry in logs if entry["event"] == "gc.slow_collection"]
        assert slow and slow[0]["generation"] == 1 and slow[0]["log_level"] == "warning"
        assert watch.slow == len(slow)

        with capture_logs() as logs:
            freeze_startup_objects()
        assert not [entry for entry in logs if entry["event"] == "gc.slow_collection"]
    finally:
        watch.uninstall()
    assert watch not in gc.callbacks


def test_the_start_is_settled_then_watched_its_own_collections_unlogged(unfrozen: None) -> None:
    with capture_logs() as logs:
        gc.collect()  # a collection of the start, before anything watches
        watch = settle_after_start(slow_ms=0.0)
        try:
            assert not [entry for entry in logs if entry["event"] == "gc.slow_collection"]
            assert watch in gc.callbacks and gc.get_freeze_count() > 0
            gc.collect(0)
            assert [entry["generation"] for entry in logs if entry["event"] == "gc.slow_collection"] == [0]
        finally:
            watch.uninstall()
