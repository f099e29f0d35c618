"""Unit tests for services.billing.domain.invoice_lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.invoice_lines import InvoiceLine, InvoiceTotals, compute_totals
from services.billing.domain.vat import KCT, VAT_0, VAT_5, VAT_8, VAT_10, VatRate


def booth(n: int, price: int = 5_000_000, rate: VatRate = VAT_8) -> InvoiceLine:
    """A booth-rental line."""
    return InvoiceLine("Thuê gian hàng tiêu chuẩn 3m x 3m", "gian", n, price, rate)


def test_three_booths_at_eight_percent() -> None:
    line = booth(3)
    assert line.net == 15_000_000
    assert line.vat_amount == 1_200_000
    totals = compute_totals([line])
    assert totals.net == 15_000_000
    assert dict(totals.vat_by_rate) == {"8%": 1_200_000}
    assert dict(totals.net_by_rate) == {"8%": 15_000_000}
    assert totals.vat == 1_200_000
    assert totals.total == 16_200_000
    assert totals.payable == 16_200_000


def test_vat_is_rounded_per_rate_group_not_per_line() -> None:
    # each line: 7 * 8% = 0.56 -> 1 on its own; the group: 21 * 8% = 1.68 -> 2
    lines = [booth(1, 7), booth(1, 7), booth(1, 7)]
    assert sum(line.vat_amount for line in lines) == 3
    totals = compute_totals(lines)
    assert dict(totals.vat_by_rate) == {"8%": 2}
    assert totals.total == 23


def test_mixed_rates_keep_line_order_and_kct() -> None:
    lines = [
        booth(2, 4_000_000, VAT_10),
        InvoiceLine("Tập huấn", "buổi", 1, 1_000_000, KCT),
        booth(1, 5_000_000, VAT_8),
        booth(1, 1_000_000, VAT_10),
        InvoiceLine("Xuất khẩu", "lô", 1, 2_000_000, VAT_0),
    ]
    totals = compute_totals(lines)
    assert list(totals.vat_by_rate) == ["10%", "KCT", "8%", "0%"]
    assert dict(totals.net_by_rate) == {"10%": 9_000_000, "KCT": 1_000_000, "8%": 5_000_000, "0%": 2_000_000}
    assert dict(totals.vat_by_rate) == {"10%": 900_000, "KCT": 0, "8%": 400_000, "0%": 0}
    assert totals.net == 17_000_000
    assert totals.total == 18_300_000


def test_already_paid_reduces_payable() -> None:
    totals = compute_totals([booth(3)], already_paid=5_000_000)
    assert totals.total == 16_200_000
    assert totals.payable == 11_200_000
    with pytest.raises(ValueError):
        compute_totals([booth(3)], already_paid=16_200_001)
    with pytest.raises(ValueError):
        compute_totals([booth(3)], already_paid=-1)


def test_totals_mappings_are_read_only() -> None:
    totals = compute_totals([booth(1)])
    with pytest.raises(TypeError):
        totals.vat_by_rate["8%"] = 0  # type: ignore[index]


def test_generator_input() -> None:
    assert compute_totals(booth(1) for _ in range(2)).net == 10_000_000


def test_empty_invoice_rejected() -> None:
    with pytest.raises(ValueError):
        compute_totals([])


@pytest.mark.parametrize(("quantity", "price"), [(-1, 5_000_000), (1, -5_000_000)])
def test_negative_rejected(quantity: int, price: int) -> None:
    with pytest.raises(ValueError):
        InvoiceLine("Gian hàng", "gian", quantity, price, VAT_8)


@pytest.mark.parametrize(("quantity", "price"), [(1.5, 5_000_000), (1, 5_000_000.0), (True, 1)])
def test_non_int_rejected(quantity: object, price: object) -> None:
    with pytest.raises(TypeError):
        InvoiceLine("Gian hàng", "gian", quantity, price, VAT_8)  # type: ignore[arg-type]


def test_blank_description_rejected() -> None:
    with pytest.raises(ValueError):
        InvoiceLine("  ", "gian", 1, 1, VAT_8)


def test_zero_quantity_line_allowed() -> None:
    assert compute_totals([booth(0)]).total == 0


lines_strategy = st.lists(
    st.builds(
        InvoiceLine,
        description=st.just("Gian hàng"),
        unit=st.just("gian"),
        quantity=st.integers(min_value=0, max_value=200),
        unit_price=st.integers(min_value=0, max_value=100_000_000),
        vat=st.sampled_from([VAT_0, VAT_5, VAT_8, VAT_10, KCT]),
    ),
    min_size=1,
    max_size=20,
)


@given(lines_strategy, st.data())
def test_total_is_net_plus_vat(lines: list[InvoiceLine], data: st.DataObject) -> None:
    paid = data.draw(st.integers(min_value=0, max_value=compute_totals(lines).total))
    totals: InvoiceTotals = compute_totals(lines, already_paid=paid)
    assert totals.total == totals.net + sum(totals.vat_by_rate.values())
    assert totals.net == sum(line.net for line in lines)
    assert sum(totals.net_by_rate.values()) == totals.net
    assert set(totals.vat_by_rate) == {line.vat.code for line in lines}
    assert totals.payable == totals.total - paid
    # group rounding stays within half a đồng per rate group of the exact VAT
    for code, vat in totals.vat_by_rate.items():
        percent = next(line.vat.percent for line in lines if line.vat.code == code) or 0
        assert abs(200 * vat - 2 * percent * totals.net_by_rate[code]) <= 100
