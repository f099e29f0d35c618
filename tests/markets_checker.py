"""The independent checker of market plans, and the Hà Giang-like inputs the markets tests share.

The checker re-reads the rules from the inputs and never calls the solver's code: a plan passes only if
the checker finds nothing wrong, whatever the solver claims about it (a session counts as pinned only if
`problem.pins` holds it). Used by tests/unit/test_markets_scheduler.py, the service and integration tests
and bench/scheduling.py.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from services.markets.domain.calendar import public_holidays
from services.markets.domain.marketdays import rule_from_dict
from services.markets.domain.planning import Blackout, PlannedSession, PlanningProblem, Rules, SiteSpec, SupplierSpec
from services.markets.domain.sessions import DateSpan
from shared.reference import geo

YEAR = 2027
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
    holidays = tuple(Blackout(DateSpan(h.day, h.day), h.name, travel=True) for h in public_holidays(year))
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
        road = [days[0] - timedelta(n) for n in range(1, t + 1)] + [days[-1] + timedelta(n) for n in range(1, t + 1)]
        for b in r.blackouts:
            if b.travel and any(b.span.starts_on <= d <= b.span.ends_on for d in road):
                errors.append(f"{s.site} {s.span}: a travel day falls on {b.reason}")
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
        caps = [c for c in (sites[key].max_sessions if key in sites else None, r.max_per_commune) if c is not None]
        cap = min(caps) if caps else None
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
