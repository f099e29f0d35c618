"""A market once a year on a lunar date (Khâu Vai's love market on 27/3), beside the other recurrences."""

from __future__ import annotations

import dataclasses

import pytest

from services.markets.domain.calendar import from_lunar
from services.markets.domain.marketdays import LunarYearly, market_days, rule_from_dict, rule_to_dict
from services.markets.domain.planning import Limits, SiteSpec
from services.markets.domain.scheduler import Infeasible, plan
from tests.markets_checker import D, check_plan, problem_from

KHAU_VAI_LOVE_MARKET = LunarYearly(frozenset({(3, 27)}))


class TestLunarYearly:
    def test_falls_on_27_3_of_each_lunar_year(self) -> None:
        assert market_days(KHAU_VAI_LOVE_MARKET, D("2027-01-01"), D("2027-12-31")) == [D("2027-05-03")]
        assert market_days(KHAU_VAI_LOVE_MARKET, D("2030-01-01"), D("2030-12-31")) == [from_lunar(2030, 3, 27)]

    def test_a_leap_month_does_not_hold_it_twice(self) -> None:
        # 2025 has a leap 6th month: 15/6 is 9 July, the leap 15/6 is 8 August.
        rule = LunarYearly(frozenset({(6, 15)}))
        assert market_days(rule, D("2025-01-01"), D("2025-12-31")) == [D("2025-07-09")]

    def test_a_30th_is_skipped_in_a_short_month(self) -> None:
        rule = LunarYearly(frozenset({(m, 30) for m in range(1, 13)}))
        days = market_days(rule, D("2027-01-01"), D("2027-12-31"))
        assert 0 < len(days) < 12  # some lunar months of the year have 29 days

    def test_reads_and_describes_itself(self) -> None:
        stored = {"kind": "lunar_yearly", "dates": [{"month": 3, "day": 27}]}
        assert rule_from_dict(stored) == KHAU_VAI_LOVE_MARKET
        assert rule_to_dict(KHAU_VAI_LOVE_MARKET) == stored
        assert KHAU_VAI_LOVE_MARKET.describe() == "ngày 27/3 âm lịch hằng năm"

    @pytest.mark.parametrize("dates", [frozenset(), frozenset({(13, 1)}), frozenset({(3, 31)}), frozenset({(0, 5)})])
    def test_refuses_dates_that_do_not_exist(self, dates: frozenset[tuple[int, int]]) -> None:
        with pytest.raises(ValueError):
            LunarYearly(dates)

    def test_the_plan_puts_the_session_over_the_day(self) -> None:
        site = SiteSpec("00802", priority=9, rule=KHAU_VAI_LOVE_MARKET, name="Xã Khâu Vai")
        problem = dataclasses.replace(problem_from([], [], sessions=1), sites=(site,))
        result = plan(problem, Limits(time_limit_s=10, workers=1))
        assert check_plan(problem, list(result.sessions)) == []
        (session,) = result.sessions
        assert session.span.starts_on <= D("2027-05-03") <= session.span.ends_on

    def test_a_yearly_market_cannot_take_two_sessions(self) -> None:
        site = SiteSpec("00802", rule=KHAU_VAI_LOVE_MARKET, name="Xã Khâu Vai")
        problem = dataclasses.replace(problem_from([], [], sessions=2), sites=(site,))
        with pytest.raises(Infeasible) as err:
            plan(problem, Limits(time_limit_s=10, workers=1))
        assert err.value.max_sessions == 1
