"""The year's market sessions with OR-Tools CP-SAT, pure: dates and sites first, then suppliers.

Stage 1 chooses `rules.sessions` (site, start) pairs among the candidates of planning.py (market day,
blackouts, holidays and confirmed sessions already applied), subject to:
- pinned sessions are taken;
- no site twice within `min_gap_days` free days (counting the confirmed sessions);
- at most `max_sessions` per site;
- at most `max_concurrent` sessions keep the centre's teams away at once, a session keeping a team from
  the day it leaves the centre to the day it is back (travel days each way from the site's road time);
  that is also what makes consecutive sessions reachable: a team goes back through the centre;
and maximises  Σ_site 1000·priority·covered(site) + Σ_session priority(site)  — new communes by priority
first, repeat visits to the highest-priority communes next. Stage 2 (assignment.py) then fills sessions
with suppliers. An infeasible run is explained by feasibility.py, never left to hang: every solve has a
time limit.
"""

from __future__ import annotations

import time

from services.markets.assignment import assign_suppliers
from services.markets.feasibility import explain, precheck
from services.markets.planning import (
    Blocker,
    Infeasible,
    Limits,
    NoPlanInTime,
    Plan,
    PlannedSession,
    PlanningProblem,
    enumerate_candidates,
)
from services.markets.site_choice import Unplaceable, choose_dates

__all__ = ["Blocker", "Infeasible", "Limits", "NoPlanInTime", "Plan", "PlannedSession", "PlanningProblem", "plan"]


def plan(problem: PlanningProblem, limits: Limits | None = None) -> Plan:
    """Dates, sites and suppliers for `problem.rules.sessions` new sessions; Infeasible or NoPlanInTime."""
    limits = limits or Limits()
    started = time.monotonic()
    cands, excluded = enumerate_candidates(problem)
    precheck(problem, cands, excluded)
    try:
        chosen = choose_dates(problem, cands, Limits(limits.time_limit_s * 0.75, limits.workers, limits.seed))
    except Unplaceable:
        raise explain(problem, cands, limits) from None
    # Suppliers get what is left, but at most a quarter of the limit: interchangeable suppliers make the
    # last places slow to prove, and a first assignment comes within a fraction of a second.
    remaining = min(max(limits.time_limit_s - (time.monotonic() - started), 0.5), 0.25 * limits.time_limit_s)
    sessions, supplier_stats, warnings = assign_suppliers(problem, chosen.sessions,
                                                          Limits(remaining, limits.workers, limits.seed))
    return Plan(tuple(sorted(sessions, key=lambda s: (s.span.starts_on, s.site))), chosen.stats, supplier_stats,
                tuple(warnings))
