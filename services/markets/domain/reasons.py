"""Why a planning request cannot be met, in plain words, pure — said before any solver runs.

The solver's bounds (feasibility.py) say how many sessions a rule allows; an organizer first needs to hear
the everyday cause when there is one: the programme has no sites, nothing is left of its year, or no site
has a single possible date (and why not: its market day never falls in the window, or every market day is
in a blackout, a holiday, the gap after a confirmed session). Messages are Vietnamese first, then English.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from services.markets.domain.planning import Blocker, Candidate, PlanningProblem, SiteSpec, on_market_day, refusal
from services.markets.domain.sessions import DateSpan

NO_SITES = ("Chương trình chưa có địa điểm (xã) nào: hãy thêm các xã sẽ tổ chức phiên chợ / the programme has "
            "no sites: add the communes to hold sessions in first")
TOP_REASONS = 3


def plain_blockers(problem: PlanningProblem, cands: list[Candidate]) -> list[Blocker]:
    """The everyday reason the target cannot be met at all, if there is one; [] otherwise."""
    rules = problem.rules
    if rules.sessions <= 0:
        return []
    if not problem.sites:
        return [Blocker("no-sites", 0, NO_SITES)]
    days_left = (rules.last_day - rules.first_day).days + 1
    if days_left < rules.session_days:
        return [Blocker("window", 0, f"Chỉ còn {max(days_left, 0)} ngày đến {rules.last_day}, không đủ cho một "
                                     f"phiên {rules.session_days} ngày / only {max(days_left, 0)} day(s) are "
                                     f"left until {rules.last_day}, too few for a {rules.session_days}-day "
                                     f"session")]
    with_dates = {c.site for c in cands}
    dateless = [s for s in problem.sites if s.key not in with_dates]
    if len(dateless) < len(problem.sites):
        return []
    return [Blocker("calendar", 0, "Không xã nào còn ngày tổ chức phiên trong năm / no site has a single "
                                   "possible session date: " + "; ".join(why_no_dates(problem, s)
                                                                         for s in dateless))]


def why_no_dates(problem: PlanningProblem, site: SiteSpec) -> str:
    """Why `site` has no candidate date, in words: no market day in the window, or what blocks the ones there."""
    rules = problem.rules
    length = timedelta(rules.session_days - 1)
    on_market, blocked = 0, Counter[str]()
    start = rules.first_day
    while start + length <= rules.last_day:
        span = DateSpan(start, start + length)
        if on_market_day(site, span, rules.market_day_mode):
            on_market += 1
            blocked[refusal(problem, site, span) or "?"] += 1
        start += timedelta(1)
    if on_market == 0:
        return (f"{site.label}: không có ngày chợ ({site.rule.describe()}) từ {rules.first_day} đến "
                f"{rules.last_day} / no market day between {rules.first_day} and {rules.last_day}")
    top = ", ".join(f"{reason} ({n})" for reason, n in blocked.most_common(TOP_REASONS))
    return (f"{site.label}: cả {on_market} ngày bắt đầu hợp ngày chợ đều bị chặn / all {on_market} starts on a "
            f"market day are blocked — {top}")
