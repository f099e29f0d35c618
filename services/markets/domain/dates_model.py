"""The dates-and-sites model of the scheduler (stage 1) and the one way every model here is solved."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from services.markets.domain.planning import Candidate, Deadline, Limits, PlanningProblem, travel_days
from services.markets.domain.spread import cap_of, levels, session_values


@dataclass
class Stage1:
    """A built stage-1 model."""

    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    candidates: list[Candidate]


def _site_windows(cands: list[Candidate], length_plus_gap: int) -> Iterable[list[int]]:
    """Groups of same-site candidates that pairwise break the gap: at most one of each group."""
    by_site: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(cands):
        by_site[c.site].append(i)
    for idx in by_site.values():
        idx.sort(key=lambda i: cands[i].span.starts_on)
        end = 0
        for pos, i in enumerate(idx):
            previous_end = end
            end = max(end, pos + 1)
            while end < len(idx) and (cands[idx[end]].span.starts_on - cands[i].span.starts_on).days < length_plus_gap:
                end += 1
            if end - pos > 1 and end > previous_end:  # a window inside the previous one adds nothing
                yield idx[pos:end]


def _team_loads(problem: PlanningProblem, cands: list[Candidate]) -> Iterable[tuple[list[int], int]]:
    """(candidates keeping a team away on a day, teams still free that day), without dominated days."""
    cover: dict[int, list[int]] = defaultdict(list)
    origin = problem.rules.first_day.toordinal()
    for i, c in enumerate(cands):
        for day in range(c.busy.starts_on.toordinal(), c.busy.ends_on.toordinal() + 1):
            cover[day - origin].append(i)
    taken: dict[int, int] = defaultdict(int)
    for b in problem.booked:
        tdays = travel_days(b.travel_hours, problem.rules.travel_hours_per_day)
        for day in range(b.span.starts_on.toordinal() - tdays, b.span.ends_on.toordinal() + tdays + 1):
            taken[day - origin] += 1
    k = problem.rules.max_concurrent
    loads: dict[int, tuple[frozenset[int], int]] = {}
    for day, idx in cover.items():
        here, cap = frozenset(idx), max(k - taken[day], 0)
        if len(here) > cap:
            loads[day] = (here, cap)
    for day, (here, cap) in sorted(loads.items()):
        before, after = loads.get(day - 1), loads.get(day + 1)
        if before == (here, cap):
            continue  # the same constraint as the day before
        if any(n is not None and n[0] > here and n[1] <= cap for n in (before, after)):
            continue  # a neighbouring day asks more of the same sessions
        yield sorted(here), cap


def build_stage1(problem: PlanningProblem, cands: list[Candidate], *, gap_days: int | None, team: bool = True,
                 exact: bool = True) -> Stage1:
    """The dates-and-sites model; `exact` asks for exactly the target, else for as many sessions as fit.

    `gap_days` is the site gap to enforce (None: none at all, sessions may even overlap); `team` toggles the
    teams' limit. The relaxations serve feasibility.py's explanations.
    """
    rules = problem.rules
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(cands))]
    for i, c in enumerate(cands):
        if c.pinned:
            model.add(x[i] == 1)
    if gap_days is not None:
        for group in _site_windows(cands, rules.session_days + gap_days):
            model.add_at_most_one(x[i] for i in group)
    booked_at: dict[str, int] = defaultdict(int)
    for b in problem.booked:
        booked_at[b.site] += 1
    for site in problem.sites:
        if (cap := cap_of(site, rules)) is not None:
            model.add(sum(x[i] for i, c in enumerate(cands) if c.site == site.key)
                      <= max(cap - booked_at[site.key], 0))
    if team:
        for group, cap in _team_loads(problem, cands):
            model.add(sum(x[i] for i in group) <= cap)
    if exact:
        model.add(sum(x) == rules.sessions)
        _spread_objective(problem, cands, model, x)
    else:
        model.maximize(sum(x))
    return Stage1(model, x, cands)


def build_for_counts(problem: PlanningProblem, cands: list[Candidate], counts: dict[str, int]) -> Stage1:
    """Dates only: exactly `counts[site]` sessions at each site, every rule kept, no objective."""
    subset = [c for c in cands if counts.get(c.site, 0) > 0]
    rules = problem.rules
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(subset))]
    by_site: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for i, c in enumerate(subset):
        by_site[c.site].append(x[i])
        if c.pinned:
            model.add(x[i] == 1)
    for site, n in counts.items():
        if n > 0:
            model.add(sum(by_site[site]) == n)
    repeated = [c for c in subset if counts[c.site] > 1]  # one session per site needs no gap
    index = {id(c): i for i, c in enumerate(subset)}
    for group in _site_windows(repeated, rules.session_days + rules.min_gap_days):
        model.add_at_most_one(x[index[id(repeated[j])]] for j in group)
    for group, cap in _team_loads(problem, subset):
        model.add(sum(x[i] for i in group) <= cap)
    return Stage1(model, x, subset)


def per_site_most(problem: PlanningProblem, cands: list[Candidate], gap_days: int) -> dict[str, int]:
    """The most sessions each site can take alone (market days, blackouts, gap, its cap): exact, greedy.

    Equal-length sessions at one site: taking the earliest start that keeps the gap is optimal.
    """
    booked: dict[str, int] = defaultdict(int)
    for b in problem.booked:
        booked[b.site] += 1
    starts: dict[str, list[int]] = defaultdict(list)
    for c in cands:
        starts[c.site].append(c.span.starts_on.toordinal())
    most: dict[str, int] = {}
    for site in problem.sites:
        taken, last = 0, None
        for day in sorted(starts.get(site.key, ())):
            if last is None or day - last >= problem.rules.session_days + gap_days:
                taken, last = taken + 1, day
        limit = cap_of(site, problem.rules)
        cap = limit - booked[site.key] if limit is not None else taken
        most[site.key] = max(min(taken, cap), 0)
    return most


def add_spread_objective(problem: PlanningProblem, model: cp_model.CpModel,
                         counts: dict[str, cp_model.LinearExprT], most: dict[str, int]) -> None:
    """Maximise the spread objective (spread.py) of the sessions counted per site: one boolean per level."""
    top = levels(problem, most)
    terms = []
    for site in problem.sites:
        values = session_values(problem, site, most.get(site.key, 0), top)
        if not values:
            continue
        y = [model.new_bool_var(f"level_{site.key}_{j}") for j in range(len(values))]
        model.add(counts[site.key] == sum(y))
        for a, b in itertools.pairwise(y):
            model.add(a >= b)
        terms += [v * b for v, b in zip(values, y, strict=True)]
    model.maximize(sum(terms))


def _spread_objective(problem: PlanningProblem, cands: list[Candidate], model: cp_model.CpModel,
                      x: list[cp_model.IntVar]) -> None:
    by_site: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for i, c in enumerate(cands):
        by_site[c.site].append(x[i])
    most = per_site_most(problem, cands, problem.rules.min_gap_days)
    add_spread_objective(problem, model, {s.key: sum(by_site.get(s.key, [])) for s in problem.sites}, most)


class _FirstSolution(cp_model.CpSolverSolutionCallback):
    """Remembers when the first solution came."""

    def __init__(self) -> None:
        super().__init__()
        self.first_s: float | None = None

    def on_solution_callback(self) -> None:
        if self.first_s is None:
            self.first_s = self.wall_time


MIN_SOLVE_S = 0.01  # below this a solve is not started: it could not even finish presolve
# The supplier model's LP bound is weak without cuts: the worker with the full linearisation (CP-SAT's
# "max_lp") proves the 40-session assignment optimal in about a second, the default one never closes 1.3 %.
LP_FIRST = ("max_lp", "default_lp", "core", "no_lp", "quick_restart")


def solve(model: cp_model.CpModel, limits: Limits, deadline: Deadline, *, share: float = 1.0,
          relative_gap: float = 0.0, lp_heavy: bool = False) -> tuple[cp_model.CpSolver, str, float | None]:
    """Solve by `deadline`, taking at most `share` of the time left: solver, status, first solution time.

    No solve is ever given more than what is left before the deadline, so solves run one after the other
    cannot overrun it; with (almost) nothing left the solver is not started and the status is UNKNOWN.
    It stops when optimal or within `relative_gap` of its bound; `lp_heavy` leads with the linearisation.
    """
    solver = cp_model.CpSolver()
    budget = deadline.left() * share
    if budget < MIN_SOLVE_S:
        return solver, "UNKNOWN", None
    solver.parameters.max_time_in_seconds = budget
    solver.parameters.relative_gap_limit = relative_gap
    solver.parameters.num_workers = limits.workers
    solver.parameters.random_seed = limits.seed
    if lp_heavy:
        if limits.workers > 1:
            solver.parameters.subsolvers.extend(LP_FIRST)
        else:  # one worker runs the base parameters
            solver.parameters.linearization_level = 2
    callback = _FirstSolution()
    status = solver.solve(model, callback)
    return solver, solver.status_name(status), callback.first_s
