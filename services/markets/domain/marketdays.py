"""When a commune holds its market (phiên chợ), pure: a weekday, earthly-branch days or lunar days.

Three kinds of recurrence are in use in the northern mountains:
1. a fixed weekday (Đồng Văn, Mèo Vạc, Yên Minh: Sunday; Má Lé: Saturday);
2. "chợ lùi": every 6 days, on a pair of opposite earthly-branch days (Lũng Phìn: Dần–Thân, Xà Phìn:
   Tỵ–Hợi, Phó Bảng: Tý–Ngọ), so the market falls a day earlier each week;
3. lunar days of the month (Khâu Vai: 2, 7, 12, 17, 22, 27);
4. a lunar date of the year, for a yearly market or festival (Khâu Vai's love market, chợ tình: 27/3).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.markets.domain.calendar import BRANCHES, branch_index, day_branch, to_lunar

WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


@dataclass(frozen=True, slots=True)
class Weekly:
    """Market on fixed weekdays, ISO numbering: 1 = Monday … 7 = Sunday."""

    weekdays: frozenset[int]

    def __post_init__(self) -> None:
        if not self.weekdays or not all(1 <= d <= 7 for d in self.weekdays):
            raise ValueError("weekdays are 1 (Monday) to 7 (Sunday), at least one")

    def matches(self, day: date) -> bool:
        """True on a market day."""
        return day.isoweekday() in self.weekdays

    def describe(self) -> str:
        """The rule in words."""
        return ", ".join(WEEKDAY_NAMES[d - 1] for d in sorted(self.weekdays)) + " hằng tuần"


@dataclass(frozen=True, slots=True)
class BranchDays:
    """Market on days of given earthly branches (Tý = 0 … Hợi = 11); an opposite pair recurs every 6 days."""

    branches: frozenset[int]

    def __post_init__(self) -> None:
        if not self.branches or not all(0 <= b < 12 for b in self.branches):
            raise ValueError("branches are 0 (Tý) to 11 (Hợi), at least one")

    def matches(self, day: date) -> bool:
        """True on a market day."""
        return day_branch(day) in self.branches

    def describe(self) -> str:
        """The rule in words."""
        return "ngày " + " và ".join(BRANCHES[b] for b in sorted(self.branches)) + " (chợ lùi)"


@dataclass(frozen=True, slots=True)
class LunarDays:
    """Market on given days of every lunar month (1–30; a 30th is skipped in a 29-day month)."""

    days: frozenset[int]

    def __post_init__(self) -> None:
        if not self.days or not all(1 <= d <= 30 for d in self.days):
            raise ValueError("lunar days are 1 to 30, at least one")

    def matches(self, day: date) -> bool:
        """True on a market day."""
        return to_lunar(day).day in self.days

    def describe(self) -> str:
        """The rule in words."""
        return "ngày " + ", ".join(str(d) for d in sorted(self.days)) + " âm lịch hằng tháng"


@dataclass(frozen=True, slots=True)
class LunarYearly:
    """Market once a year on given lunar dates, (month, day) pairs (Khâu Vai's love market: {(3, 27)}).

    Only the regular month counts, never its leap repeat (tháng nhuận): a yearly festival keeps its month
    once. A 30th is skipped in a year whose month has 29 days.
    """

    dates: frozenset[tuple[int, int]]

    def __post_init__(self) -> None:
        if not self.dates or not all(1 <= m <= 12 and 1 <= d <= 30 for m, d in self.dates):
            raise ValueError("lunar dates are month 1 to 12 and day 1 to 30, at least one")

    def matches(self, day: date) -> bool:
        """True on the market's day of the year."""
        lunar = to_lunar(day)
        return not lunar.leap and (lunar.month, lunar.day) in self.dates

    def describe(self) -> str:
        """The rule in words."""
        return "ngày " + ", ".join(f"{d}/{m}" for m, d in sorted(self.dates)) + " âm lịch hằng năm"


@dataclass(frozen=True, slots=True)
class EveryDay:
    """A daily market, or a site with no market day to honour."""

    def matches(self, day: date) -> bool:
        """Every day is a market day."""
        return True

    def describe(self) -> str:
        """The rule in words."""
        return "hằng ngày"


MarketDayRule = Weekly | BranchDays | LunarDays | LunarYearly | EveryDay


def days_between(first: date, last: date) -> Iterator[date]:
    """Every day from `first` to `last`, both included."""
    for n in range((last - first).days + 1):
        yield first + timedelta(n)


def market_days(rule: MarketDayRule, first: date, last: date) -> list[date]:
    """The market days from `first` to `last`, both included."""
    return [d for d in days_between(first, last) if rule.matches(d)]


def rule_to_dict(rule: MarketDayRule) -> dict[str, Any]:
    """The stored (and API) form of a rule."""
    match rule:
        case Weekly(weekdays):
            return {"kind": "weekday", "weekdays": sorted(weekdays)}
        case BranchDays(branches):
            return {"kind": "branch", "branches": [BRANCHES[b] for b in sorted(branches)]}
        case LunarDays(days):
            return {"kind": "lunar", "days": sorted(days)}
        case LunarYearly(dates):
            return {"kind": "lunar_yearly", "dates": [{"month": m, "day": d} for m, d in sorted(dates)]}
        case _:
            return {"kind": "daily"}


def rule_from_dict(data: dict[str, Any]) -> MarketDayRule:
    """A rule from its stored form (`rule_to_dict`'s output); ValueError for anything else."""
    kind = data.get("kind")
    if kind == "weekday":
        return Weekly(frozenset(int(d) for d in data["weekdays"]))
    if kind == "branch":
        return BranchDays(frozenset(branch_index(b) for b in data["branches"]))
    if kind == "lunar":
        return LunarDays(frozenset(int(d) for d in data["days"]))
    if kind == "lunar_yearly":
        return LunarYearly(frozenset((int(x["month"]), int(x["day"])) for x in data["dates"]))
    if kind == "daily":
        return EveryDay()
    raise ValueError(f"unknown market-day rule kind {kind!r}")
