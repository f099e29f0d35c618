"""Garbage-collector pauses of a service process: the objects of its start moved out of the collector's way,
and a collection slow enough to be felt logged.

A service has some 235,000 objects once its imports are done and its app is built (modules, classes, SQLAlchemy
and pydantic metadata) and they live as long as the process. CPython's full (generation 2) collection walks all of
them, 60–80 ms on a quiet machine and more on a busy one, and the event loop stands still meanwhile: every event
and request in flight waits. `gc.freeze` (the standard library's own answer, for exactly this) moves every object
alive at that moment into a permanent generation that no collection walks; what the process allocates later is
collected as before. Garbage from the start is collected once first, so it is not kept forever.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import structlog

log = structlog.get_logger(__name__)

SLOW_MS = 20.0  # a pause a request or an event would feel: logged


def freeze_startup_objects() -> int:
    """Collect the start's garbage, then put every object still alive out of the collector's reach. Returns how
    many objects were frozen."""
    PauseWatch.quiet = True  # this collection is asked for, at the start: not a pause anyone waits on
    try:
        gc.collect()
    finally:
        PauseWatch.quiet = False
    gc.freeze()
    return gc.get_freeze_count()


def settle_after_start(slow_ms: float = SLOW_MS) -> PauseWatch:
    """At the end of a service's start: its objects frozen (`freeze_startup_objects`), then every later collection
    timed. Collections during the start (imports, the app being built: a full one took 385 ms in notifications
    starting beside six others on two cores) hold up no request or event, and are not logged as pauses."""
    freeze_startup_objects()
    return PauseWatch(slow_ms).install()


class PauseWatch:
    """Times every collection (gc.callbacks); one that took at least `slow_ms` is logged with its generation."""

    quiet = False

    def __init__(self, slow_ms: float = SLOW_MS) -> None:
        self.slow_ms = slow_ms
        self.slow = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        elapsed_ms = (time.perf_counter() - self._started) * 1000
        if elapsed_ms >= self.slow_ms and not PauseWatch.quiet:
            self.slow += 1
            log.warning("gc.slow_collection", generation=info.get("generation"), ms=round(elapsed_ms, 1),
                        collected=info.get("collected"), frozen=gc.get_freeze_count())

    def install(self) -> PauseWatch:
        if self not in gc.callbacks:
            gc.callbacks.append(self)
        return self

    def uninstall(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)
