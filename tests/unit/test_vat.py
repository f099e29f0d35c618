"""Unit tests for services.billing.domain.vat."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.vat import (
    DEFAULT_VAT_TABLE,
    KCT,
    VAT_0,
    VAT_5,
    VAT_8,
    VAT_10,
    VatRate,
    VatRule,
    rate_on,
    rule_on,
    vat_amount,
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 7, 1), VAT_8),
        (date(2026, 7, 1), VAT_8),
        (date(2026, 12, 31), VAT_8),
        (date(2027, 1, 1), VAT_10),
        (date(2035, 6, 15), VAT_10),
        # NĐ 180/2024/NĐ-CP: 8% from 2025-01-01 to 2025-06-30, so the day before NQ 204 is 8% too.
        (date(2025, 6, 30), VAT_8),
        (date(2025, 1, 1), VAT_8),
        (date(2023, 6, 30), VAT_10),
        (date(2022, 1, 31), VAT_10),
        (date(2022, 2, 1), VAT_8),
        (date(2023, 1, 1), VAT_10),
        (date(2000, 1, 1), VAT_10),
    ],
)
def test_default_table(day: date, expected: VatRate) -> None:
    assert rate_on(day) == expected


def test_rule_carries_legal_basis() -> None:
    assert "204/2025" in rule_on(date(2026, 12, 31)).basis


def test_unknown_category_raises_lookup_error() -> None:
    with pytest.raises(LookupError):
        rate_on(date(2026, 1, 1), "goods")


def test_gap_in_custom_table_raises_lookup_error() -> None:
    table = [VatRule("service", date(2027, 1, 1), None, VAT_10)]
    assert rate_on(date(2027, 1, 1), table=table) == VAT_10
    with pytest.raises(LookupError):
        rate_on(date(2026, 12, 31), table=table)


def test_custom_table_with_kct_category() -> None:
    table = [*DEFAULT_VAT_TABLE, VatRule("training", date(2020, 1, 1), None, KCT)]
    assert rate_on(date(2026, 3, 1), "training", table) is KCT
    assert rate_on(date(2026, 3, 1), "service", table) == VAT_8


def test_overlapping_rules_are_an_error() -> None:
    table = [
        VatRule("service", date(2026, 1, 1), None, VAT_10),
        VatRule("service", date(2026, 6, 1), date(2026, 6, 30), VAT_8),
    ]
    with pytest.raises(ValueError):
        rate_on(date(2026, 6, 15), table=table)


def test_default_table_has_no_gaps_or_overlaps() -> None:
    rules = sorted((r for r in DEFAULT_VAT_TABLE if r.category == "service"), key=lambda r: r.valid_from)
    assert rules[0].valid_from == date.min
    assert rules[-1].valid_to is None
    for before, after in pairwise(rules):
        assert before.valid_to is not None
        assert before.valid_to + timedelta(days=1) == after.valid_from


def test_rule_rejects_inverted_range() -> None:
    with pytest.raises(ValueError):
        VatRule("service", date(2026, 1, 2), date(2026, 1, 1), VAT_10)


def test_kct_is_not_zero_percent() -> None:
    assert KCT != VAT_0
    assert not KCT.subject
    assert VAT_0.subject
    assert KCT.code == "KCT"
    assert VAT_0.code == "0%"


@pytest.mark.parametrize(
    ("percent", "code"),
    [(8, "10%"), (8, "8"), (None, "0%"), (None, ""), (101, "101%"), (-1, "-1%"), (True, "1%")],
)
def test_rate_rejects_inconsistent_code(percent: int | None, code: str) -> None:
    with pytest.raises(ValueError):
        VatRate(percent, code)


@pytest.mark.parametrize(
    ("net", "rate", "expected"),
    [
        (0, VAT_8, 0),
        (5_000_000, VAT_8, 400_000),
        (15_000_000, VAT_8, 1_200_000),
        (1_000_000, VAT_10, 100_000),
        (6, VAT_8, 0),  # 0.48 rounds down
        (7, VAT_8, 1),  # 0.56 rounds up
        (5, VAT_10, 1),  # exactly 0.5 rounds up
        (15, VAT_10, 2),  # 1.5 rounds up
        (25, VAT_10, 3),  # 2.5 rounds up (not to even)
        (4, VAT_10, 0),  # 0.4
        (10, VAT_5, 1),  # exactly 0.5 rounds up
        (12_345, VAT_8, 988),  # 987.6
        (12_343, VAT_8, 987),  # 987.44
        (999_999_999_999, VAT_8, 80_000_000_000),  # 79,999,999,999.92
        (123_456_789, VAT_0, 0),
        (123_456_789, KCT, 0),
    ],
)
def test_rounding_goldens(net: int, rate: VatRate, expected: int) -> None:
    assert vat_amount(net, rate) == expected


def test_negative_net_rejected() -> None:
    with pytest.raises(ValueError):
        vat_amount(-1, VAT_8)


@pytest.mark.parametrize("net", [1.0, True, "100"])
def test_non_int_net_rejected(net: object) -> None:
    with pytest.raises(TypeError):
        vat_amount(net, VAT_8)  # type: ignore[arg-type]


@given(
    st.integers(min_value=0, max_value=10**15),
    st.sampled_from([VAT_0, VAT_5, VAT_8, VAT_10, VatRate(7, "7%")]),
)
def test_vat_within_half_dong_of_exact(net: int, rate: VatRate) -> None:
    assert rate.percent is not None
    exact = Fraction(net * rate.percent, 100)
    got = vat_amount(net, rate)
    assert abs(got - exact) <= Fraction(1, 2)
    # half up: a tie goes to the larger whole đồng
    if exact - int(exact) == Fraction(1, 2):
        assert got == int(exact) + 1
