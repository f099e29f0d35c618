"""Stage 1 solved by decomposition: how many sessions per site first (tiny), then their dates.

The objective depends only on how many sessions each site gets, so a small CP-SAT "master" picks those
counts — each site at most what its own calendar allows (exact, per_site_most), the teams' total
away-days within their capacity over the year, the target in all — and the dates are then found for
exactly those counts with every rule: by a greedy pass that spreads sessions over the year
(greedy_dates.py), or, when it gets stuck, by CP-SAT (dates_model.build_for_counts). The master relaxes
the full model, so when the dates fit, the plan is proven optimal. When they do not fit, the counts and
every larger vector over the same sites are cut off (removing sessions never breaks a schedule, so those
are infeasible too) and the master runs again. After a few rounds, or if a dates solve runs out of time,
the full model (dates_model.build_stage1) takes over with the rest of the time and the master's bound.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from services.markets.domain.dates_model import (
    add_spread_objective,
    build_for_counts,
    build_stage1,
    per_site_most,
    solve,
)
from services.markets.domain.greedy_dates import spread_dates
from services.markets.domain.planning import (
    Candidate,
    Deadline,
    Limits,
    NoPlanInTime,
    PlanningProblem,
    SolveStats,
    travel_days,
)

MAX_ROUNDS = 6


@dataclass
class _Master:
    """The counts model and its variables."""

    model: cp_model.CpModel
    n: dict[str, cp_model.IntVar]


def _team_capacity(problem: PlanningProblem) -> tuple[dict[str, int], int]:
    """Away-days each site's session costs a team, and the teams' away-days left in the year."""
    rules = problem.rules
    per_day = rules.travel_hours_per_day
    cost = {s.key: rules.session_days + 2 * travel_days(s.travel_hours, per_day) for s in problem.sites}
    margin = max((travel_days(s.travel_hours, per_day) for s in problem.sites), default=0)
    days = (rules.last_day - rules.first_day).days + 1 + 2 * margin
    used = sum(b.span.days + 2 * travel_days(b.travel_hours, per_day) for b in problem.booked)
    return cost, max(rules.max_concurrent * days - used, 0)


def build_master(problem: PlanningProblem, cands: list[Candidate]) -> _Master:
    """Counts per site maximising the spread objective (spread.py), within the relaxed rules."""
    rules = problem.rules
    most = per_site_most(problem, cands, rules.min_gap_days)
    pinned: dict[str, int] = defaultdict(int)
    for c in cands:
        pinned[c.site] += c.pinned
    model = cp_model.CpModel()
    n = {s.key: model.new_int_var(min(pinned[s.key], most[s.key]), most[s.key], f"n_{s.key}")
         for s in problem.sites}
    model.add(sum(n.values()) == rules.sessions)
    cost, capacity = _team_capacity(problem)
    model.add(sum(cost[k] * v for k, v in n.items()) <= capacity)
    add_spread_objective(problem, model, dict(n), most)
    return _Master(model, n)


def _cut(master: _Master, counts: dict[str, int]) -> None:
    """Forbid these counts and every vector at least as large on the same sites."""
    used = [k for k, v in counts.items() if v > 0]
    fewer = [master.model.new_bool_var(f"fewer_{k}") for k in used]
    for k, b in zip(used, fewer, strict=True):
        master.model.add(master.n[k] <= counts[k] - 1).only_enforce_if(b)
    master.model.add_bool_or(fewer)


@dataclass(frozen=True, slots=True)
class Chosen:
    """Stage 1's answer: the chosen candidates and how the solve went."""

    sessions: list[Candidate]
    stats: SolveStats


class Unplaceable(Exception):
    """No schedule meets the target (proven): the caller explains why."""


def choose_dates(problem: PlanningProblem, cands: list[Candidate], limits: Limits, deadline: Deadline) -> Chosen:
    """The target number of sessions, best sites first, on dates keeping every rule, all solves by `deadline`."""
    started, budget = time.monotonic(), round(deadline.left(), 3)
    master = build_master(problem, cands)
    bound: float | None = None
    for _ in range(MAX_ROUNDS):
        solver, status, _ = solve(master.model, limits, deadline, share=1 / 3)
        if status == "INFEASIBLE":
            raise Unplaceable
        if status not in ("OPTIMAL", "FEASIBLE"):
            break
        bound = solver.best_objective_bound if bound is None else min(bound, solver.best_objective_bound)
        counts = {k: int(solver.value(v)) for k, v in master.n.items()}
        proven = "optimal" if status == "OPTIMAL" else "feasible"
        spread = spread_dates(problem, cands, counts)
        if spread is not None:
            elapsed = time.monotonic() - started
            return Chosen(spread, SolveStats(proven, solver.objective_value, bound, elapsed, elapsed, len(cands),
                                             budget))
        stage = build_for_counts(problem, cands, counts)
        sub, sub_status, _ = solve(stage.model, limits, deadline, share=1 / 2)
        if sub_status in ("OPTIMAL", "FEASIBLE"):
            chosen = [c for i, c in enumerate(stage.candidates) if sub.boolean_value(stage.x[i])]
            elapsed = time.monotonic() - started
            return Chosen(chosen, SolveStats(proven, solver.objective_value, bound, elapsed, elapsed, len(cands),
                                             budget))
        if sub_status != "INFEASIBLE":
            break
        _cut(master, counts)
    return _full_model(problem, cands, limits, deadline, bound, started, budget)


def _full_model(problem: PlanningProblem, cands: list[Candidate], limits: Limits, deadline: Deadline,
                bound: float | None, started: float, budget: float) -> Chosen:
    """Every candidate at once, for the time that is left."""
    stage = build_stage1(problem, cands, gap_days=problem.rules.min_gap_days)
    solver, status, first_s = solve(stage.model, limits, deadline)
    if status == "INFEASIBLE":
        raise Unplaceable
    if status not in ("OPTIMAL", "FEASIBLE"):
        raise NoPlanInTime(f"no schedule found within {limits.time_limit_s:.1f} s")
    chosen = [c for i, c in enumerate(cands) if solver.boolean_value(stage.x[i])]
    best = min(solver.best_objective_bound, bound) if bound is not None else solver.best_objective_bound
    offset = (time.monotonic() - started) - solver.wall_time
    first = offset + first_s if first_s is not None else None
    return Chosen(chosen, SolveStats(status.lower(), solver.objective_value, best, first,
                                     time.monotonic() - started, len(cands), budget))
