"""The year's market sessions with OR-Tools CP-SAT, pure: dates and sites first, then suppliers.

Stage 1 chooses `rules.sessions` (site, start) pairs among the candidates of planning.py (market day,
blackouts, holidays on market and travel days, and confirmed sessions already applied), subject to:
- pinned sessions are taken;
- no site twice within `min_gap_days` free days (counting the confirmed sessions);
- at most `max_sessions` per site and the programme's `max_per_commune` (confirmed sessions counted);
- at most `max_concurrent` sessions keep the centre's teams away at once, a session keeping a team from
  the day it leaves the centre to the day it is back (travel days each way from the site's road time);
  that is also what makes consecutive sessions reachable: a team goes back through the centre;
and maximises the fair-spread objective of spread.py — new communes by priority first, then every
eligible commune its second session before any its third, and so on, priority deciding within a level.
Stage 2 (assignment.py) then fills sessions with suppliers; the plan says why each commune got what it got
(`Plan.shares`). An infeasible run is explained by reasons.py (plain causes) and feasibility.py (bounds),
never left to hang.

Time: one monotonic deadline, `limits.time_limit_s` after the call (or the caller's), and every solve of
the run is given at most what is left of it — there is no minimum that could overrun. The dates stage
must end SUPPLIER_RESERVE of the limit before the deadline; the suppliers stage then gets everything up
to the deadline, however early the dates finished.
"""

from __future__ import annotations

import time
from collections import Counter

from services.markets.domain.assignment import assign_suppliers
from services.markets.domain.dates_model import per_site_most
from services.markets.domain.feasibility import explain, precheck
from services.markets.domain.planning import (
    Blocker,
    Candidate,
    Deadline,
    Infeasible,
    Limits,
    NoPlanInTime,
    Plan,
    PlannedSession,
    PlanningProblem,
    enumerate_candidates,
)
from services.markets.domain.reasons import why_no_dates
from services.markets.domain.site_choice import Unplaceable, choose_dates
from services.markets.domain.spread import CommuneShare, explain_shares

__all__ = ["Blocker", "Deadline", "Infeasible", "Limits", "NoPlanInTime", "Plan", "PlannedSession", "PlanningProblem",
           "plan"]

# The part of the limit the dates stage leaves at least for the suppliers (it usually leaves far more).
SUPPLIER_RESERVE = 0.25


def plan(problem: PlanningProblem, limits: Limits | None = None, deadline: Deadline | None = None) -> Plan:
    """Dates, sites and suppliers for `problem.rules.sessions` new sessions; Infeasible or NoPlanInTime.

    Every solve ends by `deadline` (default: `limits.time_limit_s` from now).
    """
    limits = limits or Limits()
    started = time.monotonic()
    deadline = deadline or Deadline.after(limits.time_limit_s)
    cands, excluded = enumerate_candidates(problem)
    precheck(problem, cands, excluded)
    setup = time.monotonic() - started
    reserve = SUPPLIER_RESERVE * limits.time_limit_s if problem.suppliers else 0.0
    try:
        chosen = choose_dates(problem, cands, limits, deadline.earlier(reserve))
    except Unplaceable:
        raise explain(problem, cands, limits, deadline) from None
    sessions, supplier_stats, warnings = assign_suppliers(problem, chosen.sessions, limits, deadline)
    return Plan(tuple(sorted(sessions, key=lambda s: (s.span.starts_on, s.site))), chosen.stats, supplier_stats,
                tuple(warnings), round(setup, 3), tuple(_shares(problem, cands, chosen.sessions)))


def _shares(problem: PlanningProblem, cands: list[Candidate], chosen: list[Candidate]) -> list[CommuneShare]:
    """Why each commune got its sessions (the plan's explanation)."""
    with_dates = {c.site for c in cands}
    no_dates = {s.key: why_no_dates(problem, s) for s in problem.sites if s.key not in with_dates}
    counts = Counter(c.site for c in chosen)
    return explain_shares(problem, per_site_most(problem, cands, problem.rules.min_gap_days), dict(counts), no_dates)
