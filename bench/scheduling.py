"""Benchmark: a year of market sessions for a realistic province — 60 candidate communes, 40 suppliers,
22 to 40 sessions — with the service's scheduler (site counts by CP-SAT, then dates, then suppliers) against
the monolithic CP-SAT model of every (site, start) at once, in the same run and with the same time limit.
Every plan is re-checked by the independent checker of the scheduler's tests. Prints a table and writes
bench/results/scheduling.json.

    uv run python -m bench.scheduling [--time-limit 10] [--workers 2] [--sessions 22 30 40]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from datetime import date
from pathlib import Path
from typing import Any

from services.markets.assignment import assign_suppliers
from services.markets.calendar import public_holidays
from services.markets.dates_model import build_stage1, solve
from services.markets.domain import DateSpan
from services.markets.marketdays import rule_from_dict
from services.markets.planning import (
    Blackout,
    Limits,
    PlanningProblem,
    Rules,
    SiteSpec,
    SupplierSpec,
    enumerate_candidates,
)
from services.markets.site_choice import choose_dates
from shared import geo
from tests.markets_checker import CATEGORIES, KNOWN_MARKETS, OTHER_MARKETS, check_plan

RESULTS = Path(__file__).parent / "results"
YEAR = 2027


def province(seed: int = 2014) -> tuple[tuple[SiteSpec, ...], tuple[SupplierSpec, ...]]:
    """60 communes of Tuyên Quang (the old Hà Giang first) and 40 suppliers, reproducibly."""
    rnd = random.Random(seed)
    communes = [c for c in geo.communes("08") if c.code >= "00700"][:60]
    sites = []
    for n, c in enumerate(communes):
        hours = round(rnd.uniform(0.5, 6.5), 1)
        border, difficult = rnd.random() < 0.3, hours >= 4
        rainy = (Blackout(DateSpan(_d(f"{YEAR}-07-01"), _d(f"{YEAR}-08-31")), "mùa mưa"),) if difficult else ()
        sites.append(SiteSpec(c.code, 1 + 3 * border + 3 * difficult + 1, rnd.choice((20, 30, 40, 60)), hours,
                              rule_from_dict(KNOWN_MARKETS.get(c.code, OTHER_MARKETS[n % len(OTHER_MARKETS)])),
                              rainy))
    suppliers = []
    for n in range(40):
        window = (DateSpan(_d(f"{YEAR}-03-01"), _d(f"{YEAR}-11-30")),) if n % 4 == 0 else ()
        suppliers.append(SupplierSpec(f"s{n:02d}", tuple(rnd.sample(CATEGORIES, 2)), window, n % 3 == 0,
                                      rnd.randint(4, 12), rnd.randint(1, 3)))
    return tuple(sites), tuple(suppliers)


def _d(text: str) -> date:
    return date.fromisoformat(text)


def problem(sessions: int, teams: int) -> PlanningProblem:
    """The province's year with `sessions` to place by `teams` teams."""
    sites, suppliers = province()
    holidays = tuple(Blackout(DateSpan(h.day, h.day), h.name) for h in public_holidays(YEAR))
    rules = Rules(first_day=_d(f"{YEAR}-01-01"), last_day=_d(f"{YEAR}-12-31"), sessions=sessions, session_days=3,
                  min_gap_days=60, max_concurrent=teams, blackouts=holidays, booth_quota=30, enterprise_quota=12,
                  min_enterprises=8, max_same_category=4)
    return PlanningProblem(rules, sites, suppliers)


def ours(p: PlanningProblem, limits: Limits) -> dict[str, Any]:
    """The service's scheduler, stage by stage, timed from the start (candidate enumeration included)."""
    start = time.perf_counter()
    cands, _ = enumerate_candidates(p)
    enumerated = time.perf_counter() - start
    chosen = choose_dates(p, cands, Limits(limits.time_limit_s * 0.75, limits.workers, limits.seed))
    dates_s = time.perf_counter() - start
    sessions, stats, _ = assign_suppliers(p, chosen.sessions, Limits(0.25 * limits.time_limit_s, limits.workers))
    total = time.perf_counter() - start
    errors = check_plan(p, sessions)
    return {"candidates": len(cands), "enumerate_s": round(enumerated, 3),
            "first_feasible_s": round(enumerated + (chosen.stats.first_solution_s or 0), 3),
            "dates_status": chosen.stats.status, "dates_done_s": round(dates_s, 3),
            "objective": chosen.stats.objective, "best_bound": chosen.stats.best_bound,
            "suppliers_status": stats.status if stats else None,
            "suppliers_gap": round(1 - stats.objective / stats.best_bound, 4) if stats and stats.best_bound else None,
            "total_s": round(total, 3), "checker_errors": len(errors)}


def monolithic(p: PlanningProblem, limits: Limits) -> dict[str, Any]:
    """The baseline: one CP-SAT model over every (site, start), same objective, same time limit."""
    start = time.perf_counter()
    cands, _ = enumerate_candidates(p)
    stage = build_stage1(p, cands, gap_days=p.rules.min_gap_days)
    built = time.perf_counter() - start
    solver, status, first = solve(stage.model, limits)
    found = status in ("OPTIMAL", "FEASIBLE")
    return {"status": status.lower(), "build_s": round(built, 3),
            "first_feasible_s": round(built + first, 3) if first is not None else None,
            "objective": solver.objective_value if found else None,
            "best_bound": solver.best_objective_bound if found else None,
            "total_s": round(time.perf_counter() - start, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sessions", type=int, nargs="+", default=[22, 30, 40])
    parser.add_argument("--teams", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    limits = Limits(args.time_limit, args.workers, 0)
    rows = []
    for sessions in args.sessions:
        for teams in args.teams:
            p = problem(sessions, teams)
            rows.append({"sessions": sessions, "teams": teams, "ours": ours(p, limits),
                         "monolithic": monolithic(p, limits)})
            _print_row(rows[-1])
    RESULTS.mkdir(exist_ok=True)
    out = {"machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version()},
           "time_limit_s": args.time_limit, "workers": args.workers, "communes": 60, "suppliers": 40, "rows": rows}
    (RESULTS / "scheduling.json").write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"\nwritten {RESULTS / 'scheduling.json'} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


def _print_row(row: dict[str, Any]) -> None:
    o, m = row["ours"], row["monolithic"]
    if not getattr(_print_row, "header", False):
        print(f"{'sessions':>8} {'teams':>5} | {'ours: first':>11} {'dates':>9} {'status':>8} {'objective':>9} "
              f"{'total':>7} {'sup. gap':>8} {'check':>5} | {'mono: first':>11} {'status':>8} {'obj/bound':>17}")
        _print_row.header = True  # type: ignore[attr-defined]
    mono_first = f"{m['first_feasible_s']:.2f}s" if m["first_feasible_s"] is not None else "none"
    ratio = f"{m['objective']:.0f}/{m['best_bound']:.0f}" if m["objective"] is not None else "-"
    print(f"{row['sessions']:>8} {row['teams']:>5} | {o['first_feasible_s']:>10.2f}s {o['dates_done_s']:>8.2f}s "
          f"{o['dates_status']:>8} {o['objective']:>9.0f} {o['total_s']:>6.2f}s {o['suppliers_gap'] or 0:>8.2%} "
          f"{'ok' if o['checker_errors'] == 0 else 'FAIL':>5} | {mono_first:>11} {m['status']:>8} {ratio:>17}")


if __name__ == "__main__":
    main()
