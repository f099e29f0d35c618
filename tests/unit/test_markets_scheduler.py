"""The scheduler on a Hà Giang-like province, every answer checked by an independent checker below.

The checker re-reads the rules from the inputs and never calls the solver's code: a plan passes only if
the checker finds nothing wrong, whatever the solver claims about it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import pytest

from services.markets.calendar import public_holidays
from services.markets.domain import DateSpan
from services.markets.marketdays import rule_from_dict
from services.markets.planning import (
    Blackout,
    Booked,
    Limits,
    Pin,
    PlanningProblem,
    Rules,
    SiteSpec,
    SupplierSpec,
)
from services.markets.scheduler import Infeasible, PlannedSession, plan
from shared import geo

YEAR = 2027
LIMITS = Limits(time_limit_s=20, workers=2, seed=7)
D = date.fromisoformat
CATEGORIES = ("nông sản", "thực phẩm chế biến", "dệt may", "đồ gia dụng", "hóa mỹ phẩm", "giày dép", "điện máy")
# Market days of the brief: Sunday towns, Má Lé (now Lũng Cú) on Saturday, three chợ lùi, Khâu Vai's lunar days.
KNOWN_MARKETS: dict[str, dict[str, Any]] = {
    "00721": {"kind": "weekday", "weekdays": [7]}, "00769": {"kind": "weekday", "weekdays": [7]},
    "00820": {"kind": "weekday", "weekdays": [7]}, "00715": {"kind": "weekday", "weekdays": [6]},
    "00763": {"kind": "branch", "branches": ["Dần", "Thân"]}, "00733": {"kind": "branch", "branches": ["Tỵ", "Hợi"]},
    "00745": {"kind": "branch", "branches": ["Tý", "Ngọ"]}, "00802": {"kind": "lunar", "days": [2, 7, 12, 17, 22, 27]},
}
OTHER_MARKETS = ({"kind": "weekday", "weekdays": [7]}, {"kind": "weekday", "weekdays": [6]},
                 {"kind": "branch", "branches": ["Sửu", "Mùi"]}, {"kind": "lunar", "days": [5, 10, 15, 20, 25, 30]},
                 {"kind": "weekday", "weekdays": [4]}, {"kind": "branch", "branches": ["Thìn", "Tuất"]})
# Hours by road from the provincial town, by old district (codes are in district blocks).
ROAD_HOURS = ((817, 5.0), (874, 3.0), (913, 1.5), (976, 1.0), (1012, 2.5), (1100, 3.5))
BORDER = {"00715", "00721", "00733", "00745", "00763", "00769", "00778", "00802", "00874", "00901", "01057",
          "01084", "01096", "00937"}


def ha_giang_sites(year: int = YEAR) -> list[dict[str, Any]]:
    """The old Hà Giang's communes (now in Tuyên Quang, 08) as programme sites, in the API's words."""
    sites = []
    for n, c in enumerate(x for x in geo.communes("08") if "00700" <= x.code < "01100"):
        hours = next(h for limit, h in ROAD_HOURS if int(c.code) < limit) if int(c.code) >= 715 else 0.5
        remote = hours >= 3.5
        sites.append({
            "commune_code": c.code, "mountain": True, "border": c.code in BORDER, "difficult": remote,
            "capacity_booths": (20, 30, 40, 60)[n % 4], "travel_hours": hours,
            "market_day": KNOWN_MARKETS.get(c.code, OTHER_MARKETS[n % len(OTHER_MARKETS)]),
            "blackouts": [{"starts_on": f"{year}-07-01", "ends_on": f"{year}-08-31", "reason": "mùa mưa lũ"}]
            if remote else []})
    return sites


def ha_giang_suppliers(year: int = YEAR, count: int = 30) -> list[dict[str, Any]]:
    """Suppliers in the API's words: two categories each, some funded, some with seasons."""
    out = []
    for n in range(count):
        windows = [{"starts_on": f"{year}-03-01", "ends_on": f"{year}-10-31"}] if n % 5 == 0 else []
        out.append({"name": f"Doanh nghiệp {n:02d}", "categories": [CATEGORIES[n % 7], CATEGORIES[(n + 3) % 7]],
                    "availability": windows, "funded": n % 3 == 0, "max_sessions": 4 + n % 7, "booths": 1 + n % 3})
    return out


def priority_of(site: dict[str, Any]) -> int:
    return 1 + 3 * site["border"] + 3 * site["difficult"] + site["mountain"]


def period(p: dict[str, Any]) -> DateSpan:
    return DateSpan(D(p["starts_on"]), D(p["ends_on"]))


def problem_from(sites: list[dict[str, Any]], suppliers: list[dict[str, Any]], year: int = YEAR,
                 **rules: Any) -> PlanningProblem:
    """The scheduler's problem from sites and suppliers in the API's words, public holidays blocked."""
    holidays = tuple(Blackout(DateSpan(h.day, h.day), h.name) for h in public_holidays(year))
    base = {"first_day": D(f"{year}-01-01"), "last_day": D(f"{year}-12-31"), "sessions": 22, "session_days": 3,
            "min_gap_days": 60, "max_concurrent": 2, "blackouts": holidays, "booth_quota": 30,
            "enterprise_quota": 12, "min_enterprises": 6, "max_same_category": 4}
    base.update(rules)
    return PlanningProblem(
        Rules(**base),
        tuple(SiteSpec(s["commune_code"], priority_of(s), s["capacity_booths"], s["travel_hours"],
                       rule_from_dict(s["market_day"]), tuple(Blackout(period(b), b["reason"]) for b in s["blackouts"]),
                       s.get("max_sessions")) for s in sites),
        tuple(SupplierSpec(s.get("id", f"s{n}"), tuple(s["categories"]), tuple(period(w) for w in s["availability"]),
                           s["funded"], s["max_sessions"], s["booths"]) for n, s in enumerate(suppliers)))


def check_plan(problem: PlanningProblem, sessions: list[PlannedSession]) -> list[str]:
    """Every rule broken by `sessions`, in words; empty if the plan is sound."""
    r = problem.rules
    sites = {s.key: s for s in problem.sites}
    errors: list[str] = []
    if len(sessions) != r.sessions:
        errors.append(f"{len(sessions)} sessions, not {r.sessions}")
    away_days: Counter[date] = Counter()
    for b in problem.booked:
        t = math.ceil(b.travel_hours / r.travel_hours_per_day)
        away_days.update(b.span.starts_on + timedelta(n) for n in range(-t, b.span.days + t))
    for s in sessions:
        site = sites.get(s.site)
        days = [s.span.starts_on + timedelta(n) for n in range((s.span.ends_on - s.span.starts_on).days + 1)]
        if site is None:
            errors.append(f"{s.site} is not a site")
            continue
        if len(days) != r.session_days or days[0] < r.first_day or days[-1] > r.last_day:
            errors.append(f"{s.site} {s.span} has the wrong length or lies outside the year")
        market = [days[0]] if r.market_day_mode == "start" else days
        pinned = any(p.site == s.site and p.starts_on == s.span.starts_on for p in problem.pins)  # not s.pinned
        if not pinned and not any(site.rule.matches(d) for d in market):
            errors.append(f"{s.site} {s.span} misses the market day")
        for b in r.blackouts + site.blackouts:
            if any(b.span.starts_on <= d <= b.span.ends_on for d in days):
                errors.append(f"{s.site} {s.span} falls in blackout {b.reason}")
        t = math.ceil(site.travel_hours / r.travel_hours_per_day) if site.travel_hours else 0
        away_days.update(days[0] + timedelta(n) for n in range(-t, len(days) + t))
    spans_at: dict[str, list[DateSpan]] = defaultdict(list)
    for s in sessions:
        spans_at[s.site].append(s.span)
    for b in problem.booked:
        spans_at[b.site].append(b.span)
    for key, spans in spans_at.items():
        spans.sort(key=lambda x: x.starts_on)
        for a, b in itertools.pairwise(spans):
            if (b.starts_on - a.ends_on).days - 1 < r.min_gap_days:
                errors.append(f"{key}: sessions {a.starts_on} and {b.starts_on} are closer than {r.min_gap_days} days")
        cap = sites[key].max_sessions if key in sites else None
        if cap is not None and len(spans) > cap:
            errors.append(f"{key}: {len(spans)} sessions, more than its {cap}")
    errors += [f"{n} teams away on {d}" for d, n in away_days.items() if n > r.max_concurrent]
    errors += [f"pin {p} not kept" for p in problem.pins
               if not any(s.site == p.site and s.span.starts_on == p.starts_on for s in sessions)]
    return errors + check_suppliers(problem, sessions)


def away(span: DateSpan, hours: float, hours_per_day: float) -> tuple[date, date]:
    """First and last day a session keeps someone from home: whole travel days each way, then the market."""
    t = math.ceil(hours / hours_per_day) if hours else 0
    return span.starts_on - timedelta(t), span.ends_on + timedelta(t)


def check_suppliers(problem: PlanningProblem, sessions: list[PlannedSession]) -> list[str]:
    """Every supplier rule broken; a supplier's two sessions clash if their travel-and-market days meet."""
    r = problem.rules
    sites = {s.key: s for s in problem.sites}
    sups = {s.key: s for s in problem.suppliers}
    errors: list[str] = []
    attends: dict[str, list[PlannedSession]] = defaultdict(list)
    travel = {s.key: s.travel_hours for s in problem.sites}
    booked_travel = {b.span: b.travel_hours for b in problem.booked}
    for s in sessions:
        chosen = [sups[k] for k in s.suppliers]
        if len(chosen) > r.enterprise_quota:
            errors.append(f"{s.site} {s.span.starts_on}: {len(chosen)} suppliers")
        if sum(c.booths for c in chosen) > min(r.booth_quota, sites[s.site].capacity_booths):
            errors.append(f"{s.site} {s.span.starts_on}: too many booths")
        per_category = Counter(cat for c in chosen for cat in set(c.categories))
        errors += [f"{s.site}: {n} × {cat}" for cat, n in per_category.items() if n > r.max_same_category]
        for c in chosen:
            attends[c.key].append(s)
            if c.windows and not any(w.starts_on <= s.span.starts_on and s.span.ends_on <= w.ends_on
                                     for w in c.windows):
                errors.append(f"{c.key} comes to {s.site} {s.span.starts_on} outside its availability")
    for key, visits in attends.items():
        sup = sups[key]
        if len(visits) + len(sup.committed) > sup.max_sessions:
            errors.append(f"{key}: {len(visits)} + {len(sup.committed)} confirmed sessions, more than "
                          f"{sup.max_sessions}")
        trips = [(*away(v.span, travel[v.site], r.travel_hours_per_day), f"{v.site} {v.span.starts_on}")
                 for v in visits]
        trips += [(*away(c, booked_travel.get(c, 0.0), r.travel_hours_per_day), f"confirmed {c.starts_on}")
                  for c in sup.committed]
        for (i, a), (j, b) in itertools.combinations(enumerate(trips), 2):
            if i < len(visits) and a[0] <= b[1] and b[0] <= a[1]:  # two confirmed ones are not the plan's doing
                errors.append(f"{key} booked twice, travel days included: {a[2]} and {b[2]}")
    return errors


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
