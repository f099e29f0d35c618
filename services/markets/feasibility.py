"""Why a plan cannot meet its target, pure: upper bounds per constraint, by arithmetic or by relaxed solves.

Before solving, `precheck` refuses what arithmetic already shows impossible (the budget, a pin breaking a
rule). After a proven-infeasible solve, `explain` solves "as many sessions as fit" under growing sets of
constraints — the calendar alone (market days, blackouts, holidays), then the gap at each site, the
teams, and all together — so the answer names the constraint that bites and how many sessions it allows.
Every relaxed solve has a share of the time limit; an unproven one reports its bound, still an upper limit.
"""

from __future__ import annotations

from services.markets.dates_model import build_stage1, per_site_most, solve
from services.markets.planning import (
    Blocker,
    Candidate,
    Exclusion,
    Infeasible,
    Limits,
    PlanningProblem,
    travel_days,
)


def precheck(problem: PlanningProblem, cands: list[Candidate], excluded: list[Exclusion]) -> None:
    """Refuse at once what needs no solver to see: pins on forbidden days, more pins than sessions, budget."""
    rules = problem.rules
    blockers = [Blocker("pin", None, f"the session pinned at {e.pin.site} on {e.pin.starts_on} breaks a rule: "
                                     f"{e.reason}") for e in excluded]
    if len(problem.pins) > rules.sessions:
        blockers.append(Blocker("pin", rules.sessions, f"{len(problem.pins)} sessions are pinned but only "
                                                        f"{rules.sessions} remain to plan"))
    if rules.budget_vnd is not None and rules.session_cost_vnd:
        allowed = max(rules.budget_vnd // rules.session_cost_vnd - len(problem.booked), 0)
        if rules.sessions > allowed:
            blockers.append(Blocker("budget", allowed, f"the budget of {rules.budget_vnd:,} VND at "
                                                       f"{rules.session_cost_vnd:,} VND a session pays for "
                                                       f"{allowed} more sessions, not {rules.sessions}"))
    if blockers:
        raise Infeasible(rules.sessions, blockers, None)


def _most_sessions(problem: PlanningProblem, cands: list[Candidate], *, gap_days: int | None, team: bool,
                   time_limit_s: float, limits: Limits) -> int | None:
    """The most sessions that fit the chosen constraints (a proven upper bound if unfinished), None if unknown.

    Raises _PinsClash when the pinned sessions alone break them.
    """
    stage = build_stage1(problem, cands, gap_days=gap_days, team=team, exact=False)
    solver, status, _ = solve(stage.model, limits, time_limit_s)
    if status == "INFEASIBLE":
        raise _PinsClash
    if status == "OPTIMAL":
        return round(solver.objective_value)
    if status == "FEASIBLE":  # the bound of a maximisation that found a solution is a true ceiling
        return int(solver.best_objective_bound + 1e-6)
    return None


class _PinsClash(Exception):
    """The pinned sessions break the rules on their own."""


def _calendar_blocker(problem: PlanningProblem, cands: list[Candidate], limit: int) -> Blocker:
    rules = problem.rules
    empty = sorted({s.key for s in problem.sites} - {c.site for c in cands})
    mode = "start on" if rules.market_day_mode == "start" else "span"
    detail = f"; {len(empty)} of {len(problem.sites)} sites have no possible date" if empty else ""
    return Blocker("calendar", limit, f"market days (sessions must {mode} one), blackouts and holidays between "
                                      f"{rules.first_day} and {rules.last_day} leave room for at most {limit} "
                                      f"sessions of {rules.session_days} days{detail}")


def _teams_ceiling(problem: PlanningProblem, most: dict[str, int]) -> int:
    """The most sessions the teams' away-days in the year can pay for, cheapest sites first (exact for the
    relaxation that forgets when the days fall)."""
    rules = problem.rules
    per_day = rules.travel_hours_per_day
    margin = max((travel_days(s.travel_hours, per_day) for s in problem.sites), default=0)
    left = rules.max_concurrent * ((rules.last_day - rules.first_day).days + 1 + 2 * margin)
    left -= sum(b.span.days + 2 * travel_days(b.travel_hours, per_day) for b in problem.booked)
    total = 0
    for cost, key in sorted((rules.session_days + 2 * travel_days(s.travel_hours, per_day), s.key)
                            for s in problem.sites):
        take = min(most.get(key, 0), max(left, 0) // cost)
        total, left = total + take, left - take * cost
    return total


def explain(problem: PlanningProblem, cands: list[Candidate], limits: Limits) -> Infeasible:
    """Which constraints stop `rules.sessions` new sessions, and how many sessions they allow."""
    rules = problem.rules
    target = rules.sessions
    share = max(limits.time_limit_s / 3, 0.5)
    blockers: list[Blocker] = []
    calendar = sum(per_site_most(problem, cands, 0).values())
    most = per_site_most(problem, cands, rules.min_gap_days)
    with_gap = sum(most.values())
    if calendar < target:
        blockers.append(_calendar_blocker(problem, cands, calendar))
    elif with_gap < target:
        blockers.append(Blocker("site-gap", with_gap, f"keeping {rules.min_gap_days} days between two sessions "
                                                      f"at one site allows at most {with_gap} sessions over "
                                                      f"{len(problem.sites)} sites"))
    teams: int | None = _teams_ceiling(problem, per_site_most(problem, cands, 0))
    together: int | None = None
    try:
        if teams is not None and teams >= target and not blockers:
            teams = _most_sessions(problem, cands, gap_days=None, team=True, time_limit_s=share, limits=limits)
        if teams is not None and teams < target:
            blockers.append(Blocker("teams", teams, f"{rules.max_concurrent} team(s) at once, counting travel "
                                                    f"days to and from each site, can run at most {teams} sessions"))
        if not blockers:
            together = _most_sessions(problem, cands, gap_days=rules.min_gap_days, team=True, time_limit_s=share,
                                      limits=limits)
    except _PinsClash:
        return Infeasible(target, [Blocker("pin", None, "the pinned sessions clash with each other or with "
                                                        "confirmed sessions (same site too close, or more at "
                                                        "once than there are teams)")], None)
    if together is not None and together < target:
        blockers.append(Blocker("combined", together, f"each rule alone allows {target}, but market days, the "
                                                      f"site gap and the teams' limit together allow at most "
                                                      f"{together} sessions"))
    if not blockers:  # the relaxed solves ran out of time before proving anything
        blockers.append(Blocker("unknown", None, "no single rule could be shown to block the target in time"))
    known = [b.limit for b in blockers if b.limit is not None] + ([together] if together is not None else [])
    return Infeasible(target, blockers, min(known) if known else None)
