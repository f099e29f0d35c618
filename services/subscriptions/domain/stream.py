"""Stream positions, pure: how far a live stream may advance over the store's positions when some may still be
committing (a missing position is waited for up to a gap timeout, then passed as rolled back)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cursor:
    """A stream's position, and since when (monotonic seconds) the position after it has been missing."""

    position: int
    gap_since: float | None = None


def advance(cursor: Cursor, positions: list[int], *, now: float, gap_timeout_s: float) -> tuple[int, Cursor]:
    """How many of the next stored positions (ascending, all after the cursor) may be passed now, and the
    new cursor: contiguous ones at once, one after a gap only once the gap is older than the timeout."""
    position, gap_since, passed = cursor.position, cursor.gap_since, 0
    for found in positions:
        if found != position + 1:
            gap_since = now if gap_since is None else gap_since
            if now - gap_since < gap_timeout_s:
                break
        position, gap_since, passed = found, None, passed + 1
    return passed, Cursor(position, gap_since)
