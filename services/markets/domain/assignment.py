"""Stage 2 of the scheduler, pure: which suppliers go to which of the chosen sessions (CP-SAT).

Constraints: a supplier comes only inside one of its availability windows, to at most `max_sessions`
sessions (counting those it already attends) and never to two sessions whose travel-and-market days
overlap (a confirmed session it attends counts with its own travel days); a session takes at most
`enterprise_quota` suppliers, at most its booths (the programme's quota, capped by the site's capacity)
and at most `max_same_category` suppliers of any one goods category; funded suppliers' support stays
within what the budget leaves after the sessions' own cost.
Objective: maximise 100·(supplier places) + 40·(distinct categories per session) + 10·(funded places)
− 300·(places short of `min_enterprises` per session) — so every session first gets its minimum, then a
varied mix, then as many suppliers as fit. The solve has all the time the dates stage left before the
run's deadline and stops as soon as it is proven optimal or within `Limits.relative_gap` (1 %) of its bound;
if it finds no assignment by the deadline, NoPlanInTime says so (a plan is never returned late).
"""

from __future__ import annotations

import time
from collections import defaultdict

from ortools.sat.python import cp_model

from services.markets.domain.dates_model import solve
from services.markets.domain.planning import (
    Candidate,
    Deadline,
    Limits,
    NoPlanInTime,
    PlannedSession,
    PlanningProblem,
    SolveStats,
    busy_span,
    travel_days,
)
from services.markets.domain.sessions import DateSpan

PLACE, CATEGORY, FUNDED, SHORT = 100, 40, 10, 300
# Within 1 % of the bound is a finished plan (the default of Limits.relative_gap).
GOOD_ENOUGH = Limits().relative_gap


def _cliques(chosen: list[Candidate]) -> list[list[int]]:
    """Groups of sessions whose busy days overlap on some day, maximal ones only."""
    by_day: dict[int, set[int]] = defaultdict(set)
    for j, c in enumerate(chosen):
        for day in range(c.busy.starts_on.toordinal(), c.busy.ends_on.toordinal() + 1):
            by_day[day].add(j)
    groups = {frozenset(g) for g in by_day.values() if len(g) > 1}
    return [sorted(g) for g in groups if not any(g < other for other in groups)]


def _funded_allowance(problem: PlanningProblem, sessions: int) -> int | None:
    """How many funded places the budget still pays for, or None if unlimited."""
    rules = problem.rules
    if rules.budget_vnd is None or not rules.funded_support_vnd:
        return None
    spent = (len(problem.booked) + sessions) * (rules.session_cost_vnd or 0)
    spent += sum(len(s.committed) for s in problem.suppliers if s.funded) * rules.funded_support_vnd
    return max((rules.budget_vnd - spent) // rules.funded_support_vnd, 0)


def _committed_busy(problem: PlanningProblem, span: DateSpan) -> DateSpan:
    """A confirmed session's travel-and-market days, from the confirmed session on that span (the longest road)."""
    hours = max((b.travel_hours for b in problem.booked if b.span == span), default=0.0)
    return busy_span(span, travel_days(hours, problem.rules.travel_hours_per_day))


def _eligible(problem: PlanningProblem, chosen: list[Candidate]) -> dict[tuple[int, int], bool]:
    """(supplier, session) pairs that availability and prior commitments (travel days included) allow."""
    pairs = {}
    for p, sup in enumerate(problem.suppliers):
        committed = [_committed_busy(problem, t) for t in sup.committed]
        for j, c in enumerate(chosen):
            if sup.available_for(c.span) and not any(c.busy.overlaps(t) for t in committed):
                pairs[(p, j)] = True
    return pairs


def assign_suppliers(problem: PlanningProblem, chosen: list[Candidate], limits: Limits, deadline: Deadline,
                     ) -> tuple[list[PlannedSession], SolveStats | None, list[str]]:
    """The chosen sessions with their suppliers, the solve's figures, and warnings for thin sessions.

    Raises NoPlanInTime when no assignment is found by `deadline`.
    """
    if not problem.suppliers or not chosen:
        return [PlannedSession(c.site, c.span, c.pinned) for c in chosen], None, _thin(problem, chosen, {})
    started = time.monotonic()
    rules, sups = problem.rules, problem.suppliers
    capacity = {s.key: s.capacity_booths for s in problem.sites}
    model = cp_model.CpModel()
    y = {k: model.new_bool_var(f"y{k[0]}_{k[1]}") for k in _eligible(problem, chosen)}
    at: dict[int, list[tuple[int, int]]] = defaultdict(list)
    of: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for p, j in y:
        at[j].append((p, j))
        of[p].append((p, j))
    objective = []
    for j, c in enumerate(chosen):
        places = [y[k] for k in at[j]]
        model.add(sum(places) <= rules.enterprise_quota)
        model.add(sum(sups[k[0]].booths * y[k] for k in at[j]) <= min(rules.booth_quota, capacity[c.site]))
        for category in {cat for k in at[j] for cat in sups[k[0]].categories}:
            same = [y[k] for k in at[j] if category in sups[k[0]].categories]
            model.add(sum(same) <= rules.max_same_category)
            has = model.new_bool_var(f"has{j}_{category}")
            model.add(has <= sum(same))
            objective.append(CATEGORY * has)
        if rules.min_enterprises:
            short = model.new_int_var(0, rules.min_enterprises, f"short{j}")
            model.add(short >= rules.min_enterprises - sum(places))
            objective.append(-SHORT * short)
    for p, keys in of.items():
        model.add(sum(y[k] for k in keys) <= max(sups[p].max_sessions - len(sups[p].committed), 0))
    for group in _cliques(chosen):
        for p in range(len(sups)):
            clash = [y[(p, j)] for j in group if (p, j) in y]
            if len(clash) > 1:
                model.add_at_most_one(clash)
    allowance = _funded_allowance(problem, len(chosen))
    funded = [y[k] for k in y if sups[k[0]].funded]
    if allowance is not None:
        model.add(sum(funded) <= allowance)
    model.maximize(sum(objective) + PLACE * sum(y.values()) + FUNDED * sum(funded))
    given = deadline.left()
    solver, status, first_s = solve(model, limits, deadline, relative_gap=limits.relative_gap, lp_heavy=True)
    if status not in ("OPTIMAL", "FEASIBLE"):  # the empty assignment is always feasible: only a timeout
        raise NoPlanInTime(f"dates and sites were found, but no supplier assignment within the "
                           f"{limits.time_limit_s:.1f} s limit ({given:.2f} s were left for it)")
    picked: dict[int, list[str]] = defaultdict(list)
    for (p, j), var in y.items():
        if solver.boolean_value(var):
            picked[j].append(sups[p].key)
    stats = SolveStats(status.lower(), solver.objective_value, solver.best_objective_bound, first_s,
                       time.monotonic() - started, len(y), round(given, 3))
    sessions = [PlannedSession(c.site, c.span, c.pinned, tuple(sorted(picked[j]))) for j, c in enumerate(chosen)]
    return sessions, stats, _thin(problem, chosen, picked)


def _thin(problem: PlanningProblem, chosen: list[Candidate], picked: dict[int, list[str]]) -> list[str]:
    """Warnings for sessions below the wanted number of suppliers."""
    wanted = problem.rules.min_enterprises
    return [f"{c.site} {c.span.starts_on}: {len(picked.get(j, []))} suppliers, fewer than the {wanted} wanted"
            for j, c in enumerate(chosen) if len(picked.get(j, [])) < wanted]
