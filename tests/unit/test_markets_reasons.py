"""A planning request that cannot be met says why in plain words, before any solver runs."""

from __future__ import annotations

import dataclasses

import pytest

from services.markets.domain.marketdays import Weekly
from services.markets.domain.planning import Blackout, Limits, SiteSpec, enumerate_candidates
from services.markets.domain.reasons import NO_SITES, plain_blockers, why_no_dates
from services.markets.domain.scheduler import Infeasible, plan
from services.markets.domain.sessions import DateSpan
from tests.markets_checker import YEAR, D, ha_giang_sites, problem_from

LIMITS = Limits(time_limit_s=5, workers=1)


def one_site(**site: object) -> SiteSpec:
    return SiteSpec(**{"key": "00763", "name": "Xã Lũng Phìn", "rule": Weekly(frozenset({7})), **site})  # type: ignore[arg-type]


def problem_with(*sites: SiteSpec, **rules: object):
    problem = problem_from([], [], **{"sessions": 2, **rules})
    return dataclasses.replace(problem, sites=sites)


class TestPlainReasons:
    def test_a_programme_without_sites_is_told_so(self) -> None:
        with pytest.raises(Infeasible) as err:
            plan(problem_from([], []), LIMITS)
        assert [b.constraint for b in err.value.blockers] == ["no-sites"]
        assert err.value.blockers[0].message == NO_SITES
        assert "the programme has no sites" in str(err.value)
        assert err.value.max_sessions == 0

    def test_too_few_days_left_in_the_year(self) -> None:
        problem = problem_from(ha_giang_sites(), [], first_day=D(f"{YEAR}-12-30"))
        with pytest.raises(Infeasible) as err:
            plan(problem, LIMITS)
        assert [b.constraint for b in err.value.blockers] == ["window"]
        assert "only 2 day(s) are left until" in err.value.blockers[0].message

    def test_a_site_blacked_out_all_year_names_the_blackout(self) -> None:
        closed = one_site(blackouts=(Blackout(DateSpan(D(f"{YEAR}-01-01"), D(f"{YEAR}-12-31")), "biên giới đóng"),))
        with pytest.raises(Infeasible) as err:
            plan(problem_with(closed), LIMITS)
        blocker = err.value.blockers[0]
        assert blocker.constraint == "calendar" and blocker.limit == 0
        assert "no site has a single possible session date" in blocker.message
        assert "Xã Lũng Phìn (00763)" in blocker.message and "biên giới đóng" in blocker.message

    def test_a_market_day_outside_the_window_is_said_in_words(self) -> None:
        # a Sunday market, and only Monday 20 to Friday 24 December left to plan
        site = one_site()
        problem = problem_with(site, first_day=D(f"{YEAR}-12-20"), last_day=D(f"{YEAR}-12-24"), session_days=1)
        with pytest.raises(Infeasible) as err:
            plan(problem, LIMITS)
        assert "Xã Lũng Phìn (00763): không có ngày chợ (Chủ nhật hằng tuần)" in err.value.blockers[0].message
        assert "no market day between 2027-12-20 and 2027-12-24" in why_no_dates(problem, site)

    def test_nothing_is_said_when_some_site_has_dates(self) -> None:
        open_site = one_site(key="00769", name="Xã Mèo Vạc")
        closed = one_site(blackouts=(Blackout(DateSpan(D(f"{YEAR}-01-01"), D(f"{YEAR}-12-31")), "đóng"),))
        problem = problem_with(open_site, closed)
        assert plain_blockers(problem, enumerate_candidates(problem)[0]) == []

    def test_nothing_is_said_when_no_session_is_asked(self) -> None:
        problem = dataclasses.replace(problem_from([], []), rules=dataclasses.replace(
            problem_from([], []).rules, sessions=0))
        assert plain_blockers(problem, []) == []

    def test_the_calendar_bound_lists_the_sites_without_dates(self) -> None:
        open_site = one_site(key="00769", name="Xã Mèo Vạc")
        closed = one_site(blackouts=(Blackout(DateSpan(D(f"{YEAR}-01-01"), D(f"{YEAR}-12-31")), "đóng"),))
        with pytest.raises(Infeasible) as err:
            plan(problem_with(open_site, closed, sessions=60, min_gap_days=0), LIMITS)
        calendar = next(b for b in err.value.blockers if b.constraint == "calendar")
        assert "1 of 2 sites have no possible date (Xã Lũng Phìn (00763)" in calendar.message
