"""What the planner draws: a proposal as month calendars, and a programme's sessions per month as SVG bars."""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

MONTHS_VI = ("Tháng 1", "Tháng 2", "Tháng 3", "Tháng 4", "Tháng 5", "Tháng 6", "Tháng 7", "Tháng 8", "Tháng 9",
             "Tháng 10", "Tháng 11", "Tháng 12")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
# Which lines a calendar shows: a line to cancel has no days any more.
SHOWN_ACTIONS = ("new", "keep", "move")


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


@dataclass
class Mark:
    """A session on one day of the calendar."""

    item: dict[str, Any]
    first: bool


@dataclass
class Cell:
    """One day of a month grid (None outside the month)."""

    day: date | None
    marks: list[Mark] = field(default_factory=list)
    forbidden: bool = False


@dataclass
class Month:
    """A month as weeks of seven cells, Monday first."""

    year: int
    month: int
    weeks: list[list[Cell]]

    @property
    def name_vi(self) -> str:
        return f"{MONTHS_VI[self.month - 1]}/{self.year}"

    @property
    def name_en(self) -> str:
        return f"{MONTHS_EN[self.month - 1]} {self.year}"


def month_grid(items: list[dict[str, Any]], forbidden: list[Any]) -> list[Month]:
    """The months from the first to the last shown line (or forbidden date), each as a Monday-first grid."""
    by_day: dict[date, list[Mark]] = {}
    for item in items:
        if item.get("action") not in SHOWN_ACTIONS:
            continue
        starts, ends = _day(item.get("starts_on")), _day(item.get("ends_on"))
        if starts is None or ends is None or ends < starts or (ends - starts).days > 31:
            continue
        d = starts
        while d <= ends:
            by_day.setdefault(d, []).append(Mark(item, first=d == starts))
            d += timedelta(days=1)
    banned = {d for d in (_day(x) for x in forbidden) if d is not None}
    days = sorted(set(by_day) | banned)
    if not days:
        return []
    months = []
    year, month = days[0].year, days[0].month
    while (year, month) <= (days[-1].year, days[-1].month):
        weeks = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            weeks.append([Cell(d, by_day.get(d, []), d in banned) if d.month == month else Cell(None)
                          for d in week])
        months.append(Month(year, month, weeks))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass(frozen=True)
class Bar:
    """One month's bars in the chart: scheduled sessions (held ones darker) and cancelled ones."""

    month: int
    x: float
    width: float
    scheduled: int
    held: int
    cancelled: int
    y_scheduled: float
    h_scheduled: float
    y_held: float
    h_held: float
    y_cancelled: float
    h_cancelled: float
    label_y: float


@dataclass(frozen=True)
class Chart:
    """The geometry of the sessions-per-month chart (the template draws it)."""

    width: int
    height: int
    top: int
    base: float
    peak: int
    bars: list[Bar]
    ticks: list[tuple[int, float]]


def month_chart(sessions: list[dict[str, Any]], held_ids: set[str], year: int) -> Chart:
    """Sessions per month of the programme's year, stacked: held, scheduled, cancelled."""
    scheduled: Counter[int] = Counter()
    held: Counter[int] = Counter()
    cancelled: Counter[int] = Counter()
    for s in sessions:
        starts = _day(s.get("starts_on"))
        if starts is None or starts.year != year:
            continue
        if s.get("status") == "cancelled":
            cancelled[starts.month] += 1
        else:
            scheduled[starts.month] += 1
            if s.get("id") in held_ids:
                held[starts.month] += 1
    width, height, top, left, bottom = 640, 220, 16, 36, 28
    base = height - bottom
    peak = max([scheduled[m] + cancelled[m] for m in range(1, 13)] + [1])
    unit = (base - top) / peak
    step = (width - left - 8) / 12
    bars = []
    for m in range(1, 13):
        n, h, c = scheduled[m], held[m], cancelled[m]
        x = left + (m - 1) * step + step * 0.15
        y_s = base - n * unit
        bars.append(Bar(month=m, x=round(x, 1), width=round(step * 0.7, 1), scheduled=n, held=h, cancelled=c,
                        y_scheduled=round(y_s, 1), h_scheduled=round(n * unit, 1),
                        y_held=round(base - h * unit, 1), h_held=round(h * unit, 1),
                        y_cancelled=round(y_s - c * unit, 1), h_cancelled=round(c * unit, 1),
                        label_y=round(y_s - c * unit - 4, 1)))
    every = max(1, (peak + 4) // 5)
    ticks = [(n, round(base - n * unit, 1)) for n in range(0, peak + 1, every)]
    return Chart(width=width, height=height, top=top, base=base, peak=peak, bars=bars, ticks=ticks)
