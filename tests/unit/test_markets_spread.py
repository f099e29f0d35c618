"""Fair spread: sessions spread level by level over the eligible communes, a cap per commune per year, and
an explanation of what each commune got."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from services.markets.domain.planning import Blackout, Booked, Limits
from services.markets.domain.scheduler import Infeasible, plan
from services.markets.domain.sessions import DateSpan
from services.markets.domain.spread import LEVEL_WEIGHT, session_values
from tests.markets_checker import YEAR, D, check_plan, ha_giang_sites, ha_giang_suppliers, priority_of, problem_from

LIMITS = Limits(time_limit_s=20, workers=2, seed=7)


def eleven_communes() -> list[dict]:
    """Two border communes and nine others: the year of issue 15 that put 6 and 5 sessions in the two."""
    sites = ha_giang_sites()
    return [s for s in sites if s["border"]][:2] + [s for s in sites if not s["border"]][:9]


def counts_of(result) -> Counter[str]:
    return Counter(s.site for s in result.sessions)


class TestSpread:
    def test_22_sessions_over_11_communes_give_each_two(self) -> None:
        problem = problem_from(eleven_communes(), ha_giang_suppliers(), sessions=22)
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        assert sorted(counts_of(result).values()) == [2] * 11
        assert result.dates.status == "optimal"

    def test_an_uneven_target_differs_by_at_most_one_and_the_extra_goes_by_priority(self) -> None:
        sites = eleven_communes()
        problem = problem_from(sites, [], sessions=15)
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        counts = counts_of(result)
        assert set(counts.values()) == {1, 2} and len(counts) == 11
        twice = {priority_of(s) for s in sites if counts[s["commune_code"]] == 2}
        once = {priority_of(s) for s in sites if counts[s["commune_code"]] == 1}
        assert min(twice) >= max(once)

    def test_a_commune_whose_calendar_allows_one_does_not_hold_back_the_others(self) -> None:
        sites = eleven_communes()
        sites[0] = {**sites[0], "blackouts": [{"starts_on": f"{YEAR}-03-01", "ends_on": f"{YEAR}-12-31",
                                              "reason": "biên giới đóng"}]}
        problem = problem_from(sites, [], sessions=21)
        result = plan(problem, LIMITS)
        counts = counts_of(result)
        assert counts[sites[0]["commune_code"]] == 1
        assert sorted(counts.values()) == [1] + [2] * 10
        share = next(s for s in result.shares if s.site == sites[0]["commune_code"])
        assert "its calendar allows 1" in share.why

    def test_confirmed_sessions_count_toward_a_communes_level(self) -> None:
        sites = eleven_communes()
        base = problem_from(sites, [], sessions=11)
        first = sites[0]["commune_code"]
        problem = dataclasses.replace(base, booked=(Booked("b1", first, DateSpan(D(f"{YEAR}-01-10"),
                                                                                 D(f"{YEAR}-01-12"))),))
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        totals = counts_of(result) + Counter({first: 1})
        assert len(totals) == 11 and sorted(totals.values()) == [1] * 10 + [2]  # its confirmed one is its first

    def test_session_values_fall_by_level_more_than_any_priority_difference(self) -> None:
        problem = problem_from(ha_giang_sites()[:2], [], sessions=2)
        low, high = (dataclasses.replace(problem.sites[0], priority=1), dataclasses.replace(problem.sites[1],
                                                                                            priority=100))
        low_values, high_values = session_values(problem, low, 4, 10), session_values(problem, high, 4, 10)
        assert low_values == sorted(low_values, reverse=True)
        assert low_values[1] > high_values[2]  # a 2nd session anywhere beats a 3rd anywhere
        assert high_values[1] - high_values[2] == LEVEL_WEIGHT


class TestCap:
    def test_the_cap_stops_a_commune_at_its_yearly_limit(self) -> None:
        sites = eleven_communes()[:4]
        problem = problem_from(sites, [], sessions=8, max_per_commune=2)
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        assert max(counts_of(result).values()) == 2
        assert all("cap of 2 a year" in s.why for s in result.shares)

    def test_a_cap_that_cannot_reach_the_target_is_named(self) -> None:
        problem = problem_from(eleven_communes(), [], sessions=22, max_per_commune=1)
        with pytest.raises(Infeasible) as err:
            plan(problem, LIMITS)
        assert [b.constraint for b in err.value.blockers] == ["cap"]
        assert err.value.max_sessions == 11
        assert "the cap of 1 sessions per commune a year allows at most 11" in err.value.blockers[0].message

    def test_confirmed_sessions_count_toward_the_cap(self) -> None:
        sites = eleven_communes()[:2]
        base = problem_from(sites, [], sessions=2, max_per_commune=1)
        problem = dataclasses.replace(base, booked=(Booked("b1", sites[0]["commune_code"], DateSpan(
            D(f"{YEAR}-01-10"), D(f"{YEAR}-01-12"))),))
        with pytest.raises(Infeasible):
            plan(problem, LIMITS)
        ok = dataclasses.replace(problem, rules=dataclasses.replace(problem.rules, sessions=1))
        assert counts_of(plan(ok, LIMITS)) == {sites[1]["commune_code"]: 1}


class TestExplanation:
    def test_every_commune_is_explained_including_the_ones_left_out(self) -> None:
        sites = eleven_communes()
        closed = {**sites[1], "blackouts": [{"starts_on": f"{YEAR}-01-01", "ends_on": f"{YEAR}-12-31",
                                             "reason": "đồn biên phòng tạm dừng"}]}
        problem = problem_from([sites[0], closed, *sites[2:]], [], sessions=5)
        result = plan(problem, LIMITS)
        shares = {s.site: s for s in result.shares}
        assert set(shares) == {s["commune_code"] for s in sites}
        assert "no possible date" in shares[closed["commune_code"]].why
        assert "đồn biên phòng tạm dừng" in shares[closed["commune_code"]].why
        left_out = [s for s in result.shares if s.new == 0 and s.site != closed["commune_code"]]
        assert left_out and all("not chosen" in s.why for s in left_out)
        assert sum(s.new for s in result.shares) == 5

    def test_a_holiday_blackout_does_not_confuse_the_counts(self) -> None:
        problem = problem_from(eleven_communes()[:3], [], sessions=3)
        problem = dataclasses.replace(problem, rules=dataclasses.replace(problem.rules, blackouts=(
            *problem.rules.blackouts, Blackout(DateSpan(D(f"{YEAR}-06-01"), D(f"{YEAR}-06-30")), "hội chợ tỉnh"))))
        result = plan(problem, LIMITS)
        assert [s.new for s in result.shares] == [1, 1, 1]
