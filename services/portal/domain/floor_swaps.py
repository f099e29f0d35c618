"""Swapping booths between two exhibitors: only two with the same number of booths can swap."""

from __future__ import annotations

from typing import Any


def swap_groups(assignments: list[dict[str, Any]]) -> tuple[list[tuple[int, list[dict[str, Any]]]],
                                                             list[dict[str, Any]]]:
    """Assigned registrations by their number of booths: only two with the same number can swap, so the groups
    of two or more are offered, and those alone with their number are named apart."""
    by_count: dict[int, list[dict[str, Any]]] = {}
    for row in assignments:
        by_count.setdefault(len(row.get("booth_codes") or []), []).append(row)
    groups = [(n, rows) for n, rows in sorted(by_count.items()) if len(rows) >= 2]
    alone = [rows[0] for _, rows in sorted(by_count.items()) if len(rows) == 1]
    return groups, alone
