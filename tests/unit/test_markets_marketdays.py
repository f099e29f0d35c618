"""Golden cases of the three market-day rules of the northern mountains."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from services.markets.domain.calendar import BRANCHES, day_branch, from_lunar, to_lunar
from services.markets.domain.marketdays import (
    BranchDays,
    EveryDay,
    LunarDays,
    Weekly,
    market_days,
    rule_from_dict,
    rule_to_dict,
)

D = date.fromisoformat
YEAR_START, YEAR_END = D("2027-01-01"), D("2027-12-31")


def gaps(days: list[date]) -> set[int]:
    return {(b - a).days for a, b in itertools.pairwise(days)}


class TestWeekly:
    def test_dong_van_meets_every_sunday(self) -> None:
        days = market_days(Weekly(frozenset({7})), YEAR_START, YEAR_END)
        assert days[:3] == [D("2027-01-03"), D("2027-01-10"), D("2027-01-17")]
        assert len(days) == 52
        assert gaps(days) == {7}

    def test_ma_le_meets_on_saturday(self) -> None:
        assert market_days(Weekly(frozenset({6})), D("2027-03-01"), D("2027-03-14")) == [
            D("2027-03-06"), D("2027-03-13")]

    def test_refuses_a_weekday_outside_1_to_7(self) -> None:
        with pytest.raises(ValueError):
            Weekly(frozenset({0}))


class TestChoLui:
    @pytest.mark.parametrize(("site", "pair"), [("Lũng Phìn", ("Dần", "Thân")), ("Xà Phìn", ("Tỵ", "Hợi")),
                                                ("Phó Bảng", ("Tý", "Ngọ"))])
    def test_meets_every_six_days_on_its_branch_pair(self, site: str, pair: tuple[str, str]) -> None:
        rule = rule_from_dict({"kind": "branch", "branches": list(pair)})
        days = market_days(rule, YEAR_START, YEAR_END)
        assert gaps(days) == {6}, site
        assert {BRANCHES[day_branch(d)] for d in days} == set(pair)
        assert [BRANCHES[day_branch(d)] for d in days[:2]] in (list(pair), list(reversed(pair)))

    def test_falls_a_day_earlier_each_week(self) -> None:
        days = market_days(BranchDays(frozenset({2, 8})), YEAR_START, YEAR_END)
        weekdays = [d.isoweekday() for d in days[:8]]
        assert all((b - a) % 7 == 6 for a, b in itertools.pairwise(weekdays))

    def test_lung_phin_golden_days_in_january_2027(self) -> None:
        assert market_days(BranchDays(frozenset({2, 8})), D("2027-01-01"), D("2027-01-31")) == [
            D("2027-01-05"), D("2027-01-11"), D("2027-01-17"), D("2027-01-23"), D("2027-01-29")]
        assert BRANCHES[day_branch(D("2027-01-05"))] == "Thân"


class TestLunarDays:
    khau_vai = LunarDays(frozenset({2, 7, 12, 17, 22, 27}))

    def test_khau_vai_meets_on_lunar_days_ending_in_2_and_7(self) -> None:
        days = market_days(self.khau_vai, YEAR_START, YEAR_END)
        assert {to_lunar(d).day for d in days} == {2, 7, 12, 17, 22, 27}
        assert gaps(days) <= {4, 5}  # 4 across the end of a 29-day month (27 → 2)

    def test_khau_vai_golden_days_around_tet_2027(self) -> None:
        assert market_days(self.khau_vai, D("2027-02-01"), D("2027-02-28")) == [
            D("2027-02-03"), D("2027-02-07"), D("2027-02-12"), D("2027-02-17"), D("2027-02-22"),
            D("2027-02-27")]
        assert D("2027-02-07") == from_lunar(2027, 1, 2)

    def test_each_lunar_month_has_its_six_market_days(self) -> None:
        first, last = from_lunar(2027, 3, 1), from_lunar(2027, 4, 1) - timedelta(1)
        assert len(market_days(self.khau_vai, first, last)) == 6

    def test_a_30th_is_skipped_in_a_29_day_month(self) -> None:
        days = market_days(LunarDays(frozenset({30})), YEAR_START, YEAR_END)
        assert 0 < len(days) < 12
        assert all(to_lunar(d).day == 30 for d in days)


class TestStoredForm:
    @pytest.mark.parametrize("rule", [Weekly(frozenset({6, 7})), BranchDays(frozenset({5, 11})),
                                      LunarDays(frozenset({2, 7})), EveryDay()])
    def test_round_trips(self, rule) -> None:
        assert rule_from_dict(rule_to_dict(rule)) == rule

    def test_names_branches_in_words(self) -> None:
        assert rule_to_dict(BranchDays(frozenset({2, 8}))) == {"kind": "branch", "branches": ["Dần", "Thân"]}
        assert "Dần và Thân" in BranchDays(frozenset({2, 8})).describe()

    @pytest.mark.parametrize("bad", [{"kind": "monthly"}, {"kind": "lunar", "days": [31]},
                                     {"kind": "branch", "branches": ["Rồng"]}, {"kind": "weekday", "weekdays": []}])
    def test_refuses_nonsense(self, bad) -> None:
        with pytest.raises(ValueError):
            rule_from_dict(bad)
