"""The Vietnamese calendar, pure: lunar dates (UTC+7), day branches, Tết and the public holidays.

The lunar arithmetic comes from `vnlunar` (MIT), behind this one module so the rest of the service never
imports it. `vnlunar` looks dates up in Hồ Ngọc Đức's published tables (1800–2199), which follow the
calendar Vietnam actually issued: it differs from the Chinese calendar in 1985, 2007, 2030, 2053 (the
golden tests in tests/unit/test_lunar_calendar.py decide), and its tables beat its own astronomical
mode, which slips by a day in a few far-future months.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import vnlunar

from shared.text import fold

# Tý = 0 … Hợi = 11: a day's branch is (Julian day number + 1) mod 12.
BRANCHES = ("Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi")
# date.toordinal() of 1 January 2000 is 730120, its Julian day number 2451545.
_JDN_OFFSET = 1_721_425
_BRANCH_BY_NAME = {b.lower(): i for i, b in enumerate(BRANCHES)} | {"tí": 0, "tị": 5, "mẹo": 3}
# Without tone marks every name but Tý/Tỵ ("ty") is still unique.
_BRANCH_BY_FOLDED = {fold(b): i for i, b in enumerate(BRANCHES) if fold(b) != "ty"} | {"meo": 3}
FIRST_YEAR, LAST_YEAR = 1801, 2198  # the tables' years, with a year's margin on each side


class CalendarRangeError(ValueError):
    """A date outside the years the lunar tables cover."""


@dataclass(frozen=True, slots=True, order=True)
class LunarDate:
    """A day of the Vietnamese lunar calendar; `leap` marks a day of the leap month (tháng nhuận)."""

    year: int
    month: int
    day: int
    leap: bool = False


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarRangeError(f"the lunar calendar here covers {FIRST_YEAR}–{LAST_YEAR}, not {year}")


def julian_day_number(day: date) -> int:
    """The Julian day number of a (proleptic Gregorian) date."""
    return day.toordinal() + _JDN_OFFSET


def day_branch(day: date) -> int:
    """The earthly branch (địa chi) of a day, Tý = 0 … Hợi = 11."""
    return (julian_day_number(day) + 1) % 12


def branch_index(name_or_index: str | int) -> int:
    """A branch from its index or its Vietnamese name ("Dần"; "Tí", "Tị", "Mẹo" too; "dan" without marks).

    Tones matter: Tý (rat, 0) and Tỵ (snake, 5) differ only by theirs, so "ty"/"ti" without marks are refused.
    """
    if isinstance(name_or_index, int):
        if not 0 <= name_or_index < 12:
            raise ValueError(f"a branch index is 0 (Tý) to 11 (Hợi), not {name_or_index}")
        return name_or_index
    key = unicodedata.normalize("NFC", name_or_index.strip().lower())
    if key in _BRANCH_BY_NAME:
        return _BRANCH_BY_NAME[key]
    if fold(key) in _BRANCH_BY_FOLDED:
        return _BRANCH_BY_FOLDED[fold(key)]
    raise ValueError(f"unknown earthly branch {name_or_index!r}; one of {', '.join(BRANCHES)}"
                     + (" (write the tone: Tý or Tỵ)" if fold(key) in ("ty", "ti") else ""))


@functools.lru_cache(maxsize=8192)
def to_lunar(day: date) -> LunarDate:
    """The lunar date of a solar date, as Vietnam's calendar gives it."""
    _check_year(day.year)
    got = vnlunar.get_lunar_date(day.day, day.month, day.year)
    return LunarDate(int(got["year"]), int(got["month"]), int(got["day"]), bool(got["leap"]))


def from_lunar(year: int, month: int, day: int, *, leap: bool = False) -> date:
    """The solar date of a lunar date; ValueError if that day does not exist (a 30th in a 29-day month)."""
    _check_year(year)
    got = vnlunar.convert_lunar_to_solar(day, month, year, 1 if leap else 0)
    if got is None:
        raise ValueError(f"lunar {day}/{month}{' (leap)' if leap else ''}/{year} does not exist")
    return date(got[2], got[1], got[0])


def tet(year: int) -> date:
    """Tết Nguyên Đán, the first day of the lunar year that starts in solar year `year`."""
    return from_lunar(year, 1, 1)


@dataclass(frozen=True, slots=True)
class Holiday:
    """A public holiday (ngày nghỉ lễ, Tết) on one day."""

    day: date
    name: str


def public_holidays(year: int) -> list[Holiday]:
    """The public holidays in solar year `year`, by the Labour Code 2019 (art. 112), earliest first.

    Tết is five days, taken as the last day of the old lunar year and the first four of the new one, the
    usual choice (the government fixes the exact days each year: add a blackout for any extra day off).
    National Day is 2 September plus one adjacent day announced yearly; both 1 and 3 September are
    blocked, since planning around a day too many costs little and one too few sends a team to an
    empty market.
    """
    first_of_tet = tet(year)
    days = [Holiday(date(year, 1, 1), "Tết Dương lịch")]
    days += [Holiday(first_of_tet + timedelta(n), "Tết Nguyên Đán") for n in range(-1, 4)]
    days += [Holiday(from_lunar(year, 3, 10), "Giỗ Tổ Hùng Vương (10/3 âm lịch)"),
             Holiday(date(year, 4, 30), "Ngày Giải phóng miền Nam, thống nhất đất nước"),
             Holiday(date(year, 5, 1), "Ngày Quốc tế Lao động")]
    days += [Holiday(date(year, 9, d), "Quốc khánh") for d in (1, 2, 3)]
    return sorted({h.day: h for h in days}.values(), key=lambda h: h.day)
