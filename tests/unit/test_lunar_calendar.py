"""Golden cases of the Vietnamese lunar calendar (UTC+7), where it parts from the Chinese one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import vnlunar
from hypothesis import given
from hypothesis import strategies as st

from services.markets.domain.calendar import (
    BRANCHES,
    CalendarRangeError,
    LunarDate,
    branch_index,
    day_branch,
    from_lunar,
    julian_day_number,
    public_holidays,
    tet,
    to_lunar,
)

D = date.fromisoformat


class TestTet:
    @pytest.mark.parametrize(("year", "vietnam", "china"), [
        (1985, "1985-01-21", "1985-02-20"),  # a whole month apart: the leap month falls differently
        (2007, "2007-02-17", "2007-02-18"),
        (2030, "2030-02-02", "2030-02-03"),
        (2053, "2053-02-18", "2053-02-19"),
    ])
    def test_follows_vietnam_where_china_differs(self, year: int, vietnam: str, china: str) -> None:
        assert tet(year) == D(vietnam)
        assert tet(year) != D(china)

    @pytest.mark.parametrize(("year", "day"), [
        (2024, "2024-02-10"), (2025, "2025-01-29"), (2026, "2026-02-17"), (2027, "2027-02-06"),
        (2028, "2028-01-26"),
    ])
    def test_recent_and_coming_years(self, year: int, day: str) -> None:
        assert tet(year) == D(day)

    def test_the_first_full_moon_of_2027(self) -> None:
        assert from_lunar(2027, 1, 15) == D("2027-02-20")
        assert to_lunar(D("2027-02-20")) == LunarDate(2027, 1, 15)

    @given(st.integers(1900, 2190))
    def test_always_falls_between_21_january_and_20_february(self, year: int) -> None:
        assert D(f"{year}-01-21") <= tet(year) <= D(f"{year}-02-20")
        assert to_lunar(tet(year) - timedelta(1)).year == year - 1


class TestConversion:
    @given(st.dates(D("1900-01-01"), D("2190-12-31")))
    def test_round_trips_every_day(self, day: date) -> None:
        lunar = to_lunar(day)
        assert from_lunar(lunar.year, lunar.month, lunar.day, leap=lunar.leap) == day

    def test_knows_the_leap_month(self) -> None:
        # 2023 had a leap second month (tháng 2 nhuận): 22 March to 19 April 2023.
        assert to_lunar(D("2023-03-22")) == LunarDate(2023, 2, 1, leap=True)
        assert from_lunar(2023, 2, 1, leap=True) == D("2023-03-22")
        assert from_lunar(2023, 2, 1) == D("2023-02-20")

    def test_refuses_a_day_that_does_not_exist(self) -> None:
        with pytest.raises(ValueError):
            from_lunar(2027, 1, 31)
        with pytest.raises(ValueError):
            from_lunar(2027, 3, 1, leap=True)  # 2027 has no leap third month

    def test_refuses_years_beyond_the_tables(self) -> None:
        with pytest.raises(CalendarRangeError):
            to_lunar(D("2250-01-01"))


class TestBranches:
    def test_1_january_2000_is_a_ngo_day(self) -> None:
        assert julian_day_number(D("2000-01-01")) == 2_451_545
        assert BRANCHES[day_branch(D("2000-01-01"))] == "Ngọ"

    @given(st.dates(D("1950-01-01"), D("2150-12-31")))
    def test_agrees_with_the_can_chi_of_vnlunar(self, day: date) -> None:
        can_chi = vnlunar.get_can_chi(vnlunar.get_lunar_date(day.day, day.month, day.year))["day"]
        assert can_chi.endswith(" " + BRANCHES[day_branch(day)])

    def test_branches_recur_every_twelve_days(self) -> None:
        day = D("2027-05-05")
        assert [day_branch(day + timedelta(n)) for n in range(13)] == [
            *(((day_branch(day) + n) % 12) for n in range(12)), day_branch(day)]

    @pytest.mark.parametrize(("name", "index"), [("Tý", 0), ("dần", 2), ("Tỵ", 5), ("Tị", 5), ("Mẹo", 3),
                                                 ("THÂN", 8), ("Hợi", 11), ("dan", 2), ("Tí", 0),
                                                 (6, 6)])
    def test_reads_a_branch_by_name_or_index(self, name: str | int, index: int) -> None:
        assert branch_index(name) == index

    @pytest.mark.parametrize("bad", ["Rồng", "", "ty", "ti", 12, -1])
    def test_refuses_an_unknown_branch(self, bad: str | int) -> None:
        with pytest.raises(ValueError):
            branch_index(bad)


class TestPublicHolidays:
    def test_2025_as_the_labour_code_gives_them(self) -> None:
        days = {h.day for h in public_holidays(2025)}
        # Tết Ất Tỵ: 29 Tết (28 Jan, month 12 had 29 days) to mùng 4 (1 Feb); Hùng Kings on 7 April.
        assert {D("2025-01-28"), D("2025-01-29"), D("2025-02-01"), D("2025-04-07")} <= days
        assert {D("2025-01-01"), D("2025-04-30"), D("2025-05-01"), D("2025-09-02")} <= days
        assert D("2025-02-02") not in days

    def test_tet_holidays_move_with_the_lunar_calendar(self) -> None:
        tet_days = [h.day for h in public_holidays(2027) if h.name == "Tết Nguyên Đán"]
        assert tet_days == [D("2027-02-05") + timedelta(n) for n in range(5)]

    def test_hung_kings_day_is_10_3_lunar(self) -> None:
        for year in (2024, 2026, 2027, 2030):
            hung = [h.day for h in public_holidays(year) if h.name.startswith("Giỗ Tổ")]
            assert hung == [from_lunar(year, 3, 10)]
        assert from_lunar(2024, 3, 10) == D("2024-04-18")

    def test_lists_each_day_once_in_order(self) -> None:
        days = [h.day for h in public_holidays(2027)]
        assert days == sorted(set(days))
        assert all(d.year == 2027 for d in days)
