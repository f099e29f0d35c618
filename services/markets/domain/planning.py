"""What the scheduler is asked and what it answers, pure: sites, suppliers, rules, candidates, results.

The scheduler (scheduler.py) never sees a database or a calendar library: the service layer turns the
programme into a `PlanningProblem` (market days as rules, holidays and blackouts as dated periods), and
this module enumerates the candidate (site, start) pairs every model shares.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from services.markets.domain.marketdays import EveryDay, MarketDayRule
from services.markets.domain.sessions import DateSpan

if TYPE_CHECKING:
    from services.markets.domain.spread import CommuneShare


@dataclass(frozen=True, slots=True)
class Blackout:
    """Days with no session: a programme blackout, a holiday, a forbidden date, a site's rainy season.

    `travel`: no team may be on the road either (public holidays and Tết): the days a session's team
    travels to and from its site must avoid it too, not only the market days.
    """

    span: DateSpan
    reason: str = ""
    travel: bool = False


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """A commune the programme may visit."""

    key: str
    priority: int = 1
    capacity_booths: int = 1000
    travel_hours: float = 0.0
    rule: MarketDayRule = field(default_factory=EveryDay)
    blackouts: tuple[Blackout, ...] = ()
    max_sessions: int | None = None
    name: str = ""  # for explanations only ("Xã Lũng Phìn"); the key is the commune code

    @property
    def label(self) -> str:
        """How explanations name the site: its name and code, or the code alone."""
        return f"{self.name} ({self.key})" if self.name else self.key


@dataclass(frozen=True, slots=True)
class SupplierSpec:
    """An enterprise or cooperative the solver may send to sessions."""

    key: str
    categories: tuple[str, ...]
    windows: tuple[DateSpan, ...] = ()  # empty: available all year
    funded: bool = False
    max_sessions: int = 1
    booths: int = 1
    committed: tuple[DateSpan, ...] = ()  # confirmed sessions it already attends

    def available_for(self, span: DateSpan) -> bool:
        """True if one of its windows holds the whole span (or it has none)."""
        return not self.windows or any(w.starts_on <= span.starts_on and span.ends_on <= w.ends_on
                                       for w in self.windows)


@dataclass(frozen=True, slots=True)
class Booked:
    """A confirmed session the plan must live with, where it is: it holds its site and a team."""

    key: str
    site: str
    span: DateSpan
    travel_hours: float = 0.0


@dataclass(frozen=True, slots=True)
class Pin:
    """A draft session the organizer pinned: it stays on this site and start (even off the market day)."""

    site: str
    starts_on: date


@dataclass(frozen=True, slots=True)
class Rules:
    """The programme's rules for one planning run."""

    first_day: date
    last_day: date
    sessions: int  # new sessions to place
    session_days: int
    min_gap_days: int = 60
    max_concurrent: int = 1
    market_day_mode: Literal["start", "span"] = "span"
    travel_hours_per_day: float = 8.0
    blackouts: tuple[Blackout, ...] = ()
    booth_quota: int = 30
    enterprise_quota: int = 12
    min_enterprises: int = 0
    max_same_category: int = 4
    budget_vnd: int | None = None
    session_cost_vnd: int | None = None
    funded_support_vnd: int | None = None
    max_per_commune: int | None = None  # sessions per site in the year, confirmed ones included


@dataclass(frozen=True, slots=True)
class PlanningProblem:
    """Everything one planning run needs."""

    rules: Rules
    sites: tuple[SiteSpec, ...]
    suppliers: tuple[SupplierSpec, ...] = ()
    booked: tuple[Booked, ...] = ()
    pins: tuple[Pin, ...] = ()


@dataclass(frozen=True, slots=True)
class Limits:
    """How long and how wide the solver may search; the supplier stage stops within `relative_gap` of its bound."""

    time_limit_s: float = 10.0
    workers: int = 2
    seed: int = 0
    relative_gap: float = 0.01


@dataclass(frozen=True, slots=True)
class Deadline:
    """The one instant (on `clock`, monotonic) by which every solve of a planning run must end."""

    at: float
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    def left(self) -> float:
        """Seconds until the deadline, never negative."""
        return max(self.at - self.clock(), 0.0)

    def earlier(self, seconds: float) -> Deadline:
        """A deadline `seconds` sooner on the same clock (a stage's own end, keeping time for the next)."""
        return Deadline(self.at - seconds, self.clock)


def travel_days(hours: float, hours_per_day: float) -> int:
    """Whole days a team spends on the road each way (a part-day counts as a day: set-up needs daylight)."""
    return math.ceil(hours / hours_per_day) if hours > 0 else 0


def busy_span(span: DateSpan, days_each_way: int) -> DateSpan:
    """The days a session keeps its team away from the centre: the road there, the session, the road back."""
    return DateSpan(span.starts_on - timedelta(days_each_way), span.ends_on + timedelta(days_each_way))


def too_close(a: DateSpan, b: DateSpan, gap_days: int) -> bool:
    """True if two sessions at one site are nearer than `gap_days` free days apart (or overlap)."""
    return (b.starts_on - a.ends_on).days <= gap_days and (a.starts_on - b.ends_on).days <= gap_days


@dataclass(frozen=True, slots=True)
class Candidate:
    """A session the solver may choose: a site and a start."""

    site: str
    span: DateSpan
    busy: DateSpan
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Why a pinned session cannot be placed."""

    pin: Pin
    reason: str


def _blocked(span: DateSpan, blackouts: tuple[Blackout, ...]) -> Blackout | None:
    return next((b for b in blackouts if b.span.overlaps(span)), None)


def on_market_day(site: SiteSpec, span: DateSpan, mode: str) -> bool:
    if mode == "start":
        return site.rule.matches(span.starts_on)
    return any(site.rule.matches(span.starts_on + timedelta(n)) for n in range(span.days))


def refusal(problem: PlanningProblem, site: SiteSpec, span: DateSpan) -> str | None:
    """Why a session of `site` on `span` breaks a hard rule (market days aside), or None."""
    rules = problem.rules
    if span.starts_on < rules.first_day or span.ends_on > rules.last_day:
        return f"outside the planning window {rules.first_day}–{rules.last_day}"
    if (hit := _blocked(span, rules.blackouts + site.blackouts)) is not None:
        return f"blackout {hit.span.starts_on}–{hit.span.ends_on} {hit.reason}".strip()
    days_each_way = travel_days(site.travel_hours, rules.travel_hours_per_day)
    if days_each_way and (hit := _blocked(busy_span(span, days_each_way),
                                          tuple(b for b in rules.blackouts if b.travel))) is not None:
        return f"a travel day on {hit.span.starts_on} {hit.reason}".strip()
    for b in problem.booked:
        if b.site == site.key and too_close(span, b.span, rules.min_gap_days):
            return f"within {rules.min_gap_days} days of the confirmed session {b.span.starts_on} at {site.key}"
    return None


def enumerate_candidates(problem: PlanningProblem) -> tuple[list[Candidate], list[Exclusion]]:
    """Every (site, start) a new session may take, pinned ones first; and the pins that break a rule."""
    rules = problem.rules
    length = timedelta(rules.session_days - 1)
    sites = {s.key: s for s in problem.sites}
    out: list[Candidate] = []
    excluded: list[Exclusion] = []
    pinned = set()
    for pin in problem.pins:
        site = sites.get(pin.site)
        span = DateSpan(pin.starts_on, pin.starts_on + length)
        reason = "not a site of the programme" if site is None else refusal(problem, site, span)
        if reason is not None or site is None:
            excluded.append(Exclusion(pin, reason or ""))
            continue
        pinned.add((site.key, pin.starts_on))
        out.append(Candidate(site.key, span, busy_span(span, travel_days(site.travel_hours,
                                                                        rules.travel_hours_per_day)), True))
    for site in problem.sites:
        tdays = travel_days(site.travel_hours, rules.travel_hours_per_day)
        start = rules.first_day
        while start + length <= rules.last_day:
            span = DateSpan(start, start + length)
            if ((site.key, start) not in pinned and on_market_day(site, span, rules.market_day_mode)
                    and refusal(problem, site, span) is None):
                out.append(Candidate(site.key, span, busy_span(span, tdays)))
            start += timedelta(1)
    return out, excluded


@dataclass(frozen=True, slots=True)
class PlannedSession:
    """A session of the plan: where, when, who comes."""

    site: str
    span: DateSpan
    pinned: bool = False
    suppliers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SolveStats:
    """How a solve went."""

    status: str  # optimal | feasible
    objective: float
    best_bound: float
    first_solution_s: float | None
    wall_s: float
    candidates: int
    time_limit_s: float | None = None  # what the stage's solve was given (the supplier stage: all that was left)


@dataclass(frozen=True, slots=True)
class Plan:
    """The scheduler's answer."""

    sessions: tuple[PlannedSession, ...]
    dates: SolveStats
    suppliers: SolveStats | None
    warnings: tuple[str, ...] = ()
    setup_s: float = 0.0  # candidates and prechecks, before the dates stage started
    shares: tuple[CommuneShare, ...] = ()  # how many sessions each commune got, and why


@dataclass(frozen=True, slots=True)
class Blocker:
    """A constraint that stops the target being met, with the most sessions it allows."""

    constraint: str
    limit: int | None
    message: str


class Infeasible(Exception):
    """No plan meets every rule; `blockers` say which rules, `max_sessions` how many would fit."""

    def __init__(self, target: int, blockers: list[Blocker], max_sessions: int | None) -> None:
        super().__init__("; ".join(b.message for b in blockers))
        self.target = target
        self.blockers = blockers
        self.max_sessions = max_sessions


class NoPlanInTime(Exception):
    """The solver found no plan within its time limit (the rules may still allow one)."""
