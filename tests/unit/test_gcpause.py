"""shared/gcpause.py: the start's objects frozen out of full collections (its garbage collected first), and a slow
collection logged with its generation."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from shared.gcpause import PauseWatch, freeze_startup_objects


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test process collects as before


def test_the_starts_garbage_is_collected_and_what_lives_is_frozen(unfrozen: None) -> None:
    alive, garbage = _Node(), _Node()
    partner = _Node()
    garbage.other, partner.other = partner, garbage  # a cycle: only the collector frees it
    gone = weakref.ref(garbage)
    del garbage, partner

    frozen = freeze_startup_objects()

    assert gone() is None, "garbage from before the freeze is collected, not kept forever"
    assert frozen == gc.get_freeze_count() > 0
    assert gc.is_tracked(alive)
    assert not any(o is alive for o in gc.get_objects()), "a frozen object is in no generation a collection walks"


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
