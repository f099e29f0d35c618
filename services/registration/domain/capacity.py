"""Capacity rules, pure: the order of the waitlist and who is promoted when booths free up.

The invariant these rules keep, together with the fair-row lock in the service layer:
the booths of approved registrations never exceed the fair's capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Candidate:
    """A registration as the waitlist sees it."""

    registration_id: str
    booths: int
    score: int
    submitted_at: datetime


def rank_key(candidate: Candidate) -> tuple[int, datetime, str]:
    """Higher priority first, then the earlier submission, then the id (a total, stable order)."""
    return (-candidate.score, candidate.submitted_at, candidate.registration_id)


def waitlist_order(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The waitlist in the order the policy puts it."""
    return sorted(candidates, key=rank_key)


def waitlist_position(candidate: Candidate, waitlist: Iterable[Candidate]) -> int:
    """The 1-based place of `candidate` among the waitlisted (it is counted in even if not listed)."""
    others = [c for c in waitlist if c.registration_id != candidate.registration_id]
    return 1 + sum(1 for c in others if rank_key(c) < rank_key(candidate))


def free_booths(capacity: int, approved_booths: int) -> int:
    """Booths not yet granted (never negative)."""
    return max(capacity - approved_booths, 0)


def select_promotions(waitlist: Sequence[Candidate], *, capacity: int, approved_booths: int) -> list[Candidate]:
    """Who leaves the waitlist when booths free up: best first, skipping those that do not fit.

    A registration too big for the booths now free keeps its place (and its priority) for the next release,
    while a smaller one behind it takes booths that would otherwise stay empty at the fair.
    """
    free = free_booths(capacity, approved_booths)
    promoted: list[Candidate] = []
    for candidate in waitlist_order(waitlist):
        if candidate.booths <= free:
            promoted.append(candidate)
            free -= candidate.booths
    return promoted
