"""Dates for given per-site counts, spread over the year, by a greedy pass (no solver).

Given how many sessions each site gets, the sessions are placed most-constrained site first, each on the
candidate nearest to a free "ideal" date (the year cut into equal slots), keeping the site gap and the
teams' limit. It either places them all — a schedule that keeps every rule, spread evenly — or gives up
and leaves the dates to CP-SAT (dates_model.build_for_counts). Site choice, the part that carries the
objective, is always CP-SAT's (site_choice.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from services.markets.domain.planning import Candidate, PlanningProblem, Rules, too_close, travel_days


def _ideal_dates(first: date, last: date, n: int) -> list[date]:
    span = (last - first).days + 1
    return [first + timedelta(int((k + 0.5) * span / n)) for k in range(n)]


def _taken_days(problem: PlanningProblem) -> dict[int, int]:
    taken: dict[int, int] = defaultdict(int)
    per_day = problem.rules.travel_hours_per_day
    for b in problem.booked:
        tdays = travel_days(b.travel_hours, per_day)
        for day in range(b.span.starts_on.toordinal() - tdays, b.span.ends_on.toordinal() + tdays + 1):
            taken[day] += 1
    return taken


def spread_dates(problem: PlanningProblem, cands: list[Candidate], counts: dict[str, int]) -> list[Candidate] | None:
    """Candidates realising `counts` with every rule kept, spread out; None if the greedy pass gets stuck."""
    rules = problem.rules
    by_site: dict[str, list[Candidate]] = defaultdict(list)
    for c in cands:
        if counts.get(c.site, 0) > 0:
            by_site[c.site].append(c)
    load = _taken_days(problem)
    chosen: list[Candidate] = []
    placed: dict[str, list[Candidate]] = defaultdict(list)
    for c in (c for c in cands if c.pinned):
        if not _fits(c, placed[c.site], load, rules):
            return None  # pins that clash: CP-SAT will prove it
        _take(c, chosen, placed, load)
    free = _ideal_dates(rules.first_day, rules.last_day, max(sum(counts.values()), 1))
    order = sorted((site for site, n in counts.items() for _ in range(n - len(placed[site]))),
                   key=lambda site: (len(by_site[site]) / max(counts[site], 1), site))
    for site in order:
        best = _nearest_fit(by_site[site], placed[site], free, load, rules)
        if best is None:
            return None
        _take(best[0], chosen, placed, load)
        free.pop(best[1])
    return chosen


def _fits(c: Candidate, same_site: list[Candidate], load: dict[int, int], rules: Rules) -> bool:
    gap = rules.min_gap_days
    if any(too_close(c.span, other.span, gap) for other in same_site):
        return False
    k = rules.max_concurrent
    return all(load[d] < k for d in range(c.busy.starts_on.toordinal(), c.busy.ends_on.toordinal() + 1))


def _nearest_fit(options: list[Candidate], same_site: list[Candidate], free: list[date], load: dict[int, int],
                 rules: Rules) -> tuple[Candidate, int] | None:
    """The fitting candidate nearest to a free ideal date, and that date's index."""
    best: tuple[int, Candidate, int] | None = None
    for c in options:
        if not _fits(c, same_site, load, rules):
            continue
        for k, ideal in enumerate(free):
            distance = abs((c.span.starts_on - ideal).days)
            if best is None or distance < best[0]:
                best = (distance, c, k)
    return (best[1], best[2]) if best is not None else None


def _take(c: Candidate, chosen: list[Candidate], placed: dict[str, list[Candidate]], load: dict[int, int]) -> None:
    chosen.append(c)
    placed[c.site].append(c)
    for d in range(c.busy.starts_on.toordinal(), c.busy.ends_on.toordinal() + 1):
        load[d] += 1
