"""Teams do not travel on public holidays or Tết: a session's road days avoid them, not only its market days."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from services.markets.domain.calendar import public_holidays
from services.markets.domain.planning import Limits, SiteSpec, busy_span, enumerate_candidates, travel_days
from services.markets.domain.scheduler import plan
from services.markets.service.inputs import _holidays
from tests.markets_checker import YEAR, D, check_plan, ha_giang_sites, ha_giang_suppliers, problem_from

LIMITS = Limits(time_limit_s=20, workers=2, seed=7)
HOLIDAYS = {h.day: h.name for h in public_holidays(YEAR)}


def far_site(hours: float) -> SiteSpec:
    return SiteSpec("00802", travel_hours=hours, name="Xã Khâu Vai")


def starts(problem) -> set[date]:
    return {c.span.starts_on for c in enumerate_candidates(problem)[0]}


class TestTravelDays:
    def test_a_trip_does_not_return_on_mung_4_tet(self) -> None:
        # Tết 2027 is 6 February; mùng 4 is 9 February. One-day sessions, one day on the road each way.
        base = problem_from([], [], sessions=1, session_days=1, first_day=D("2027-02-10"), last_day=D("2027-02-14"))
        far = dataclasses.replace(base, sites=(far_site(5.0),))
        near = dataclasses.replace(base, sites=(far_site(0.0),))
        assert D("2027-02-10") not in starts(far)  # it would leave on mùng 4
        assert D("2027-02-11") in starts(far)
        assert D("2027-02-10") in starts(near)  # no road day: only the market day counts

    def test_a_trip_does_not_leave_on_gio_to_or_national_day(self) -> None:
        base = problem_from([], [], sessions=1, session_days=3)
        far = dataclasses.replace(base, sites=(far_site(12.0),))  # two days each way
        chosen = starts(far)
        for start in (D("2027-04-17"), D("2027-04-18"), D("2027-09-04"), D("2027-09-05"), D("2027-04-27")):
            assert start not in chosen, start
        assert D("2027-04-19") in chosen and D("2027-09-06") in chosen

    def test_the_seeds_year_sends_no_team_on_the_road_on_a_holiday(self) -> None:
        problem = problem_from(ha_giang_sites(), ha_giang_suppliers())
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        sites = {s.key: s for s in problem.sites}
        for s in result.sessions:
            days = travel_days(sites[s.site].travel_hours, problem.rules.travel_hours_per_day)
            busy = busy_span(s.span, days)
            on_road = {busy.starts_on + timedelta(n) for n in range(busy.days)}
            assert not on_road & set(HOLIDAYS), (s, sorted(on_road & set(HOLIDAYS)))

    def test_holidays_of_the_neighbouring_years_block_december_and_january_trips(self) -> None:
        blocked = {b.span.starts_on for b in _holidays(YEAR)}
        assert date(YEAR + 1, 1, 1) in blocked  # a trip returning on New Year's Day
        assert all(b.travel for b in _holidays(YEAR))
        assert all(date(YEAR - 1, 12, 1) <= d <= date(YEAR + 1, 1, 31) for d in blocked)
        assert set(HOLIDAYS) <= blocked
