"""The scheduler on a Hà Giang-like province, every answer checked by the independent checker.

The checker (tests/markets_checker.py) re-reads the rules from the inputs and never calls the solver's code:
a plan passes only if the checker finds nothing wrong, whatever the solver claims about it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from ortools.sat.python import cp_model

from services.markets.app import solver_config
from services.markets.domain.dates_model import solve
from services.markets.domain.planning import Blackout, Booked, Deadline, Limits, NoPlanInTime, Pin, PlanningProblem
from services.markets.domain.scheduler import SUPPLIER_RESERVE, Infeasible, PlannedSession, plan
from services.markets.domain.sessions import DateSpan
from services.markets.service.proposals import SolverConfig
from services.markets.settings import MarketsSettings
from tests.markets_checker import (
    CATEGORIES,
    YEAR,
    D,
    check_plan,
    check_suppliers,
    ha_giang_sites,
    ha_giang_suppliers,
    priority_of,
    problem_from,
)

LIMITS = Limits(time_limit_s=20, workers=2, seed=7)


class TestHaGiangScenario:
    def test_22_sessions_keep_every_rule_and_cover_the_priority_communes(self) -> None:
        sites, suppliers = ha_giang_sites(), ha_giang_suppliers()
        problem = problem_from(sites, suppliers)
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        communes = {s.site for s in result.sessions}
        assert len(communes) == 22  # more communes than sessions: each session opens a new one
        chosen = sorted((priority_of(s) for s in sites if s["commune_code"] in communes), reverse=True)
        left = [priority_of(s) for s in sites if s["commune_code"] not in communes]
        assert min(chosen) >= max(left)  # priority communes first
        assert result.dates.status == "optimal"
        assert result.dates.objective == result.dates.best_bound
        assert all(len(s.suppliers) >= 1 for s in result.sessions)

    def test_start_mode_opens_each_session_on_its_market_day(self) -> None:
        problem = problem_from(ha_giang_sites(), ha_giang_suppliers(), market_day_mode="start", sessions=15)
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        rules = {s.key: s.rule for s in problem.sites}
        assert all(rules[s.site].matches(s.span.starts_on) for s in result.sessions)

    def test_40_sessions_with_one_team_return_to_the_same_communes_after_the_gap(self) -> None:
        problem = problem_from(ha_giang_sites()[:25], [], sessions=40, max_concurrent=1,
                               min_gap_days=45)
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        assert max(Counter(s.site for s in result.sessions).values()) >= 2


class TestReplanning:
    def test_keeps_confirmed_sessions_and_plans_around_them(self) -> None:
        base = problem_from(ha_giang_sites(), [], sessions=4, max_concurrent=1)
        booked = (Booked("b1", "00721", DateSpan(D("2027-03-13"), D("2027-03-15")), 5.0),
                  Booked("b2", "00769", DateSpan(D("2027-04-10"), D("2027-04-12")), 5.0))
        problem = dataclasses.replace(base, booked=booked)
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        assert not {"00721", "00769"} & {s.site for s in result.sessions}  # covered already: others first

    def test_pins_stay_even_off_the_market_day(self) -> None:
        pin = Pin("00745", D("2027-10-05"))
        problem = dataclasses.replace(problem_from(ha_giang_sites(), [], sessions=5), pins=(pin,))
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        assert any(s.pinned and s.site == "00745" for s in result.sessions)


class TestInfeasible:
    def one_site(self, **rules: Any) -> PlanningProblem:
        site = {**next(s for s in ha_giang_sites() if s["commune_code"] == "00721"), "blackouts": []}  # Sundays
        return problem_from([site], [], **rules)

    def test_more_sessions_than_the_gap_allows_names_the_gap(self) -> None:
        with pytest.raises(Infeasible) as err:
            plan(self.one_site(sessions=10, min_gap_days=60), LIMITS)
        [blocker] = err.value.blockers
        assert blocker.constraint == "site-gap"
        assert blocker.limit == err.value.max_sessions == 6  # 63-day cycles in a year
        assert "60 days" in blocker.message

    def test_a_year_of_blackouts_names_the_calendar(self) -> None:
        closed = (Blackout(DateSpan(D("2027-01-01"), D("2027-11-30")), "biên giới đóng"),)
        with pytest.raises(Infeasible) as err:
            plan(self.one_site(sessions=6, min_gap_days=0, blackouts=closed), LIMITS)
        assert err.value.blockers[0].constraint == "calendar"
        assert err.value.max_sessions == 4  # the four Sundays of December, a 3-day session round each

    def test_one_team_far_away_names_the_teams(self) -> None:
        far = [{**s, "travel_hours": 20.0, "blackouts": []} for s in ha_giang_sites()]
        with pytest.raises(Infeasible) as err:
            plan(problem_from(far, [], sessions=60, max_concurrent=1), LIMITS)
        teams = [b for b in err.value.blockers if b.constraint == "teams"]
        assert teams and teams[0].limit is not None and teams[0].limit < 60

    def test_the_budget_caps_the_sessions(self) -> None:
        with pytest.raises(Infeasible) as err:
            plan(problem_from(ha_giang_sites(), [], sessions=22, budget_vnd=1_000_000_000,
                              session_cost_vnd=60_000_000), LIMITS)
        assert err.value.blockers[0].constraint == "budget"
        assert err.value.blockers[0].limit == 16

    def test_a_pin_in_a_blackout_is_refused(self) -> None:
        problem = dataclasses.replace(problem_from(ha_giang_sites(), [], sessions=3),
                                      pins=(Pin("00721", D(f"{YEAR}-07-10")),))
        with pytest.raises(Infeasible) as err:
            plan(problem, LIMITS)
        assert err.value.blockers[0].constraint == "pin"
        assert "blackout" in err.value.blockers[0].message


class TestSuppliers:
    def test_windows_quotas_and_a_mix_of_goods(self) -> None:
        problem = problem_from(ha_giang_sites(), ha_giang_suppliers(count=40), sessions=22, max_same_category=2,
                               enterprise_quota=8)
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        assert all(len({c for k in s.suppliers for c in problem.suppliers[int(k[1:])].categories}) >= 3
                   for s in result.sessions if len(s.suppliers) >= 3)

    def test_the_mix_objective_alone_spreads_categories_when_the_cap_allows_one_kind(self) -> None:
        # The cap (8) equals the enterprise quota, so it cannot force a mix; the many farm-produce suppliers are
        # funded (+10 each) and the others are not: only the category bonus makes a session varied.
        farm = [{"name": f"HTX {n}", "categories": [CATEGORIES[0]], "availability": [], "funded": True,
                 "max_sessions": 6, "booths": 1} for n in range(60)]
        others = [{"name": f"DN {c} {n}", "categories": [c], "availability": [], "funded": False,
                   "max_sessions": 6, "booths": 1} for c in CATEGORIES[1:] for n in range(3)]
        suppliers = farm + others
        problem = problem_from(ha_giang_sites(), suppliers, sessions=6, enterprise_quota=8, max_same_category=8,
                               booth_quota=30, min_enterprises=8)
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        categories = {f"s{n}": s["categories"][0] for n, s in enumerate(suppliers)}
        mix = [len({categories[k] for k in s.suppliers}) for s in result.sessions]
        assert all(len(s.suppliers) == 8 for s in result.sessions)
        assert min(mix) >= 5, mix  # of 7 categories; without the bonus every session is all farm produce

    def test_a_supplier_at_a_confirmed_session_is_not_sent_where_the_roads_meet(self) -> None:
        sites = ha_giang_sites()
        far = [s["commune_code"] for s in sites if s["travel_hours"] == 5.0][:2]
        confirmed = DateSpan(D("2027-03-13"), D("2027-03-15"))
        one = {"name": "DN", "categories": ["nông sản"], "availability": [], "funded": False, "max_sessions": 5,
               "booths": 1}
        base = problem_from(sites, [one], sessions=1, min_enterprises=0, max_concurrent=2)
        problem = dataclasses.replace(
            base, suppliers=(dataclasses.replace(base.suppliers[0], committed=(confirmed,)),),
            booked=(Booked("b", far[0], confirmed, 5.0),),
            pins=(Pin(far[1], D("2027-03-17")),))  # its road out (03-16) is the road back from the confirmed one
        result = plan(problem, LIMITS)
        assert check_plan(problem, list(result.sessions)) == []
        assert result.sessions[0].suppliers == ()

    def test_funded_places_stay_within_the_budget(self) -> None:
        problem = problem_from(ha_giang_sites(), ha_giang_suppliers(), sessions=10, budget_vnd=600_000_000,
                               session_cost_vnd=50_000_000, funded_support_vnd=10_000_000)
        result = plan(problem, LIMITS)
        funded = {f"s{n}" for n, s in enumerate(ha_giang_suppliers()) if s["funded"]}
        places = sum(1 for s in result.sessions for k in s.suppliers if k in funded)
        assert places <= (600_000_000 - 10 * 50_000_000) // 10_000_000
        assert check_plan(problem, list(result.sessions)) == []


class TestTheChecker:
    def test_catches_a_session_moved_onto_a_blackout_and_a_repeat_too_soon(self) -> None:
        problem = problem_from(ha_giang_sites(), [], sessions=3)
        good = list(plan(problem, LIMITS).sessions)
        bad_day = dataclasses.replace(good[0], span=DateSpan(D("2027-02-06"), D("2027-02-08")))  # Tết
        again = dataclasses.replace(good[1], site=good[2].site, span=DateSpan(
            good[2].span.starts_on + timedelta(7), good[2].span.ends_on + timedelta(7)))
        errors = check_plan(problem, [bad_day, again, good[2]])
        assert any("Tết" in e for e in errors)
        assert any("closer than 60 days" in e for e in errors)


    def test_a_pinned_flag_without_a_pin_does_not_excuse_the_market_day(self) -> None:
        problem = problem_from(ha_giang_sites(), [], sessions=1)
        sunday_site = "00721"  # Sundays only; 2027-10-05 is a Tuesday
        off_day = PlannedSession(sunday_site, DateSpan(D("2027-10-05"), D("2027-10-07")), pinned=True)
        assert any("misses the market day" in e for e in check_plan(problem, [off_day]))
        pinned = dataclasses.replace(problem, pins=(Pin(sunday_site, D("2027-10-05")),))
        assert check_plan(pinned, [off_day]) == []

    def test_a_supplier_is_double_booked_when_travel_days_meet(self) -> None:
        sites = ha_giang_sites()
        far = [s["commune_code"] for s in sites if s["travel_hours"] == 5.0][:2]  # one travel day each way
        problem = problem_from(sites, [{"name": "DN", "categories": ["nông sản"], "availability": [],
                                        "funded": False, "max_sessions": 5, "booths": 1}], sessions=2,
                               min_enterprises=0, blackouts=())
        first = PlannedSession(far[0], DateSpan(D("2027-03-05"), D("2027-03-07")), suppliers=("s0",))
        # The markets do not overlap, but the road home from the first and the road to the second share 03-08.
        second = PlannedSession(far[1], DateSpan(D("2027-03-09"), D("2027-03-11")), suppliers=("s0",))
        later = dataclasses.replace(second, span=DateSpan(D("2027-03-10"), D("2027-03-12")))
        assert any("booked twice" in e for e in check_suppliers(problem, [first, second]))
        assert check_suppliers(problem, [first, later]) == []
        committed = dataclasses.replace(problem, suppliers=(dataclasses.replace(
            problem.suppliers[0], committed=(second.span,)),), booked=(Booked("b", far[1], second.span, 5.0),))
        assert any("confirmed 2027-03-09" in e for e in check_suppliers(committed, [first]))


class TestClashingPins:
    def test_two_pins_at_one_site_too_close_are_explained_not_returned(self) -> None:
        pins = (Pin("00745", D("2027-10-05")), Pin("00745", D("2027-10-20")))
        problem = dataclasses.replace(problem_from(ha_giang_sites(), [], sessions=5), pins=pins)
        with pytest.raises(Infeasible) as err:
            plan(problem, Limits(time_limit_s=5, workers=2))
        assert err.value.blockers[0].constraint == "pin"


class _Clock:
    """A monotonic clock that moves only when a solve 'runs': by the whole time it was given (the worst case)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _record_solves(monkeypatch: pytest.MonkeyPatch, clock: _Clock, *,
                   overrun: float = 0.0) -> list[tuple[float, float]]:
    """Every CP-SAT solve's (time limit, relative gap limit) as the solver itself was given them."""
    calls: list[tuple[float, float]] = []
    real = cp_model.CpSolver.solve

    def solve(self: cp_model.CpSolver, model: cp_model.CpModel, callback: Any = None) -> Any:
        calls.append((self.parameters.max_time_in_seconds, self.parameters.relative_gap_limit))
        clock.now += self.parameters.max_time_in_seconds + overrun
        return real(self, model, callback)

    monkeypatch.setattr(cp_model.CpSolver, "solve", solve)
    return calls


class TestOneDeadline:
    def test_the_solves_time_limits_add_up_to_at_most_the_limit_and_suppliers_get_the_rest(self, monkeypatch) -> None:
        clock = _Clock()
        calls = _record_solves(monkeypatch, clock)
        problem = problem_from(ha_giang_sites(), ha_giang_suppliers(), sessions=22)
        limits = Limits(time_limit_s=10, workers=2, seed=7, relative_gap=0.02)
        result = plan(problem, limits, Deadline.after(limits.time_limit_s, clock))
        assert check_plan(problem, list(result.sessions)) == []
        limits_given = [t for t, _ in calls]
        assert len(calls) >= 2 and all(t > 0 for t in limits_given)
        # Even if every solve ran to its limit, one after the other, the run would end by the deadline.
        assert sum(limits_given) <= limits.time_limit_s + 1e-9
        assert clock.now <= 1000.0 + limits.time_limit_s + 1e-9
        *dates, suppliers = calls
        assert result.dates.time_limit_s == pytest.approx(limits.time_limit_s * (1 - SUPPLIER_RESERVE))
        assert sum(t for t, _ in dates) <= limits.time_limit_s * (1 - SUPPLIER_RESERVE) + 1e-9
        # The suppliers were given all the dates left, not a fixed share, and stop within the configured gap.
        assert suppliers[0] == pytest.approx(limits.time_limit_s - sum(t for t, _ in dates))
        assert suppliers[0] > SUPPLIER_RESERVE * limits.time_limit_s
        assert result.suppliers is not None and result.suppliers.time_limit_s == pytest.approx(suppliers[0], abs=1e-3)
        assert suppliers[1] == pytest.approx(0.02) and all(gap == 0 for _, gap in dates)  # dates: proven optimum

    def test_when_the_dates_leave_nothing_the_suppliers_are_not_started_and_say_so(self, monkeypatch) -> None:
        clock = _Clock()
        calls = _record_solves(monkeypatch, clock, overrun=60.0)  # the first solve comes back long after the deadline
        problem = problem_from(ha_giang_sites(), ha_giang_suppliers(), sessions=22)
        with pytest.raises(NoPlanInTime, match=r"no supplier assignment within the 10\.0 s limit"):
            plan(problem, Limits(time_limit_s=10, workers=2, seed=7), Deadline.after(10, clock))
        assert len(calls) == 1  # the dates' master; nothing was started past the deadline

    def test_a_spent_deadline_starts_no_solver(self, monkeypatch) -> None:
        clock = _Clock()
        calls = _record_solves(monkeypatch, clock)
        spent = Deadline(clock.now - 1, clock)
        _, status, first = solve(cp_model.CpModel(), Limits(), spent)
        assert (status, first, calls) == ("UNKNOWN", None, [])
        assert spent.left() == 0.0 and Deadline.after(3, clock).earlier(1).left() == pytest.approx(2)

    def test_the_service_passes_its_configured_gap_to_the_scheduler(self) -> None:
        assert SolverConfig().limits(None) == Limits(10.0, 2, relative_gap=0.01)
        assert solver_config(MarketsSettings(solver_relative_gap=0.05)).limits(5).relative_gap == 0.05
        assert SolverConfig(max_time_limit_s=30).limits(45).time_limit_s == 30


class TestClashingPinsByArithmetic:
    def test_pins_keeping_more_teams_away_than_there_are_are_refused_before_solving(self, monkeypatch) -> None:
        calls = _record_solves(monkeypatch, _Clock())
        pins = (Pin("00745", D("2027-10-05")), Pin("00721", D("2027-10-06")))  # the sessions overlap, one team
        problem = dataclasses.replace(problem_from(ha_giang_sites(), [], sessions=5, max_concurrent=1), pins=pins)
        with pytest.raises(Infeasible) as err:
            plan(problem, Limits(time_limit_s=5, workers=2))
        assert [b.constraint for b in err.value.blockers] == ["pin"]
        assert "more than 1 team(s) away on 2027-10-0" in err.value.blockers[0].message
        assert calls == []  # no solver was needed
        two_teams = dataclasses.replace(problem, rules=dataclasses.replace(problem.rules, max_concurrent=2))
        assert check_plan(two_teams, list(plan(two_teams, Limits(time_limit_s=5, workers=2)).sessions)) == []
