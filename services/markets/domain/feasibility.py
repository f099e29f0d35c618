"""Why a plan cannot meet its target, pure: upper bounds per constraint, by arithmetic or by relaxed solves.

Before solving, `precheck` refuses what arithmetic already shows impossible (the budget, a pin breaking a
rule, pins too close at one site or keeping more teams away than there are). After a proven-infeasible
solve, `explain` solves "as many sessions as fit" under growing sets of constraints — the calendar alone
(market days, blackouts, holidays), then the gap at each site, the teams, and all together — so the answer
names the constraint that bites and how many sessions it allows.
Every relaxed solve ends by the run's deadline; an unproven one reports its bound, still an upper limit, and
with no time left only the arithmetic bounds are given.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, timedelta

from services.markets.domain.dates_model import build_stage1, per_site_most, solve
from services.markets.domain.planning import (
    Blocker,
    Candidate,
    Deadline,
    Exclusion,
    Infeasible,
    Limits,
    PlanningProblem,
    busy_span,
    too_close,
    travel_days,
)
from services.markets.domain.reasons import plain_blockers, why_no_dates


def precheck(problem: PlanningProblem, cands: list[Candidate], excluded: list[Exclusion]) -> None:
    """Refuse at once what needs no solver to see: no sites, no dates at all (reasons.py), pins on forbidden
    days, more pins than sessions, budget."""
    rules = problem.rules
    plain = plain_blockers(problem, cands)
    if plain:
        raise Infeasible(rules.sessions, plain, 0)
    blockers = [Blocker("pin", None, f"the session pinned at {e.pin.site} on {e.pin.starts_on} breaks a rule: "
                                     f"{e.reason}") for e in excluded]
    blockers += _clashing_pins(problem, [c for c in cands if c.pinned])
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


def _clashing_pins(problem: PlanningProblem, pinned: list[Candidate]) -> list[Blocker]:
    """Pinned sessions that break the site gap between themselves, or keep more teams away than there are."""
    rules = problem.rules
    out = []
    for n, a in enumerate(pinned):
        for b in pinned[n + 1:]:
            if a.site == b.site and too_close(a.span, b.span, rules.min_gap_days):
                out.append(Blocker("pin", None, f"the sessions pinned at {a.site} on {a.span.starts_on} and "
                                                f"{b.span.starts_on} are within {rules.min_gap_days} days of "
                                                f"each other"))
    away: dict[date, int] = defaultdict(int)
    for c in pinned:
        for n in range(c.busy.days):
            away[c.busy.starts_on + timedelta(n)] += 1
    for held in problem.booked:
        busy = busy_span(held.span, travel_days(held.travel_hours, rules.travel_hours_per_day))
        for n in range(busy.days):
            away[busy.starts_on + timedelta(n)] += 1
    crowded = sorted(day for day, teams in away.items() if teams > rules.max_concurrent
                     and any(c.busy.starts_on <= day <= c.busy.ends_on for c in pinned))
    if crowded:
        out.append(Blocker("pin", None, f"the pinned sessions, with the confirmed ones, keep more than "
                                        f"{rules.max_concurrent} team(s) away on {crowded[0]}"))
    return out


def _most_sessions(problem: PlanningProblem, cands: list[Candidate], *, gap_days: int | None, team: bool,
                   limits: Limits, deadline: Deadline, share: float) -> int | None:
    """The most sessions that fit the chosen constraints (a proven upper bound if unfinished), None if unknown.

    Raises _PinsClash when the pinned sessions alone break them.
    """
    stage = build_stage1(problem, cands, gap_days=gap_days, team=team, exact=False)
    solver, status, _ = solve(stage.model, limits, deadline, share=share)
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
    with_dates = {c.site for c in cands}
    empty = [s for s in problem.sites if s.key not in with_dates]
    mode = "start on" if rules.market_day_mode == "start" else "span"
    detail = (f"; {len(empty)} of {len(problem.sites)} sites have no possible date ("
              + "; ".join(why_no_dates(problem, s) for s in empty[:3]) + ("; …" if len(empty) > 3 else "") + ")"
              ) if empty else ""
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


def explain(problem: PlanningProblem, cands: list[Candidate], limits: Limits, deadline: Deadline) -> Infeasible:
    """Which constraints stop `rules.sessions` new sessions, and how many sessions they allow (solves by `deadline`)."""
    rules = problem.rules
    target = rules.sessions
    blockers: list[Blocker] = []
    uncapped = dataclasses.replace(problem, rules=dataclasses.replace(rules, max_per_commune=None))
    calendar = sum(per_site_most(uncapped, cands, 0).values())
    gap_only = sum(per_site_most(uncapped, cands, rules.min_gap_days).values())
    with_gap = sum(per_site_most(problem, cands, rules.min_gap_days).values())
    if calendar < target:
        blockers.append(_calendar_blocker(problem, cands, calendar))
    elif gap_only < target:
        blockers.append(Blocker("site-gap", gap_only, f"keeping {rules.min_gap_days} days between two sessions "
                                                      f"at one site allows at most {gap_only} sessions over "
                                                      f"{len(problem.sites)} sites"))
    elif with_gap < target:
        blockers.append(Blocker("cap", with_gap, f"Mức trần {rules.max_per_commune} phiên/xã/năm chỉ cho phép "
                                                 f"{with_gap} phiên trên {len(problem.sites)} xã / the cap of "
                                                 f"{rules.max_per_commune} sessions per commune a year allows at "
                                                 f"most {with_gap} sessions over {len(problem.sites)} sites"))
    teams: int | None = _teams_ceiling(problem, per_site_most(uncapped, cands, 0))
    together: int | None = None
    try:
        if teams is not None and teams >= target and not blockers:
            teams = _most_sessions(problem, cands, gap_days=None, team=True, limits=limits, deadline=deadline,
                                   share=1 / 2)
        if teams is not None and teams < target:
            blockers.append(Blocker("teams", teams, f"{rules.max_concurrent} team(s) at once, counting travel "
                                                    f"days to and from each site, can run at most {teams} sessions"))
        if not blockers:
            together = _most_sessions(problem, cands, gap_days=rules.min_gap_days, team=True, limits=limits,
                                      deadline=deadline, share=1.0)
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
