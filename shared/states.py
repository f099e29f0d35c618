"""State machines of stateful rows: a transition table per status enum, checked where the status changes.

Plain Python (no framework): a domain module declares its table and calls `check()` before it sets a status.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from shared.errors import Rejected

S = TypeVar("S", bound=StrEnum)


class Transitions(Generic[S]):
    """Which status may follow which: `Transitions(("hoá đơn", "invoice"), {ISSUED: {PAID, VOIDED}, ...})`; the
    subject is named in Vietnamese and English (one language per screen: each half of the message in its own)."""

    def __init__(self, subject: tuple[str, str] | str, allowed: Mapping[S, frozenset[S] | set[S]]) -> None:
        self.subject_vi, self.subject_en = (subject, subject) if isinstance(subject, str) else subject
        self.allowed: dict[S, frozenset[S]] = {state: frozenset(targets) for state, targets in allowed.items()}
        for targets in list(self.allowed.values()):
            for target in targets:
                self.allowed.setdefault(target, frozenset())

    def can(self, current: S | str, target: S | str) -> bool:
        """Whether `current` may become `target` (staying put is always allowed)."""
        return current == target or any(target == t for state, ts in self.allowed.items() if state == current
                                        for t in ts)

    def check(self, current: S | str, target: S | str) -> None:
        """Refuse a move the table does not allow (409 `invalid-transition`)."""
        if not self.can(current, target):
            raise Rejected(f"Không thể chuyển {self.subject_vi} từ '{current}' sang '{target}' / "
                           f"a {self.subject_en} cannot go from {current} to {target}", code="invalid-transition")
