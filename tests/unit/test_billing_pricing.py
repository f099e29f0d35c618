"""A fair's price list: prices per exhibitor kind, corner and premium surcharges, extras, rounding."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.pricing import Extra, LineKind, PriceList, Surcharge, percent_half_up, price_list_of_config
from services.billing.domain.vat import VAT_8
from services.billing.schemas.price_lists import PriceListBody

DESCRIPTION = "Thuê gian hàng tiêu chuẩn 3m×3m – Hội chợ (A01, A02, A03)"


def lines(prices: PriceList, codes=("A01", "A02", "A03"), corners=0, kind=None):
    return prices.booth_lines(description=DESCRIPTION, booth_codes=codes, corner_count=corners, kind=kind, vat=VAT_8)


class TestBoothPrice:
    def test_the_standard_price_unless_the_kind_has_its_own(self):
        prices = PriceList(booth_price_vnd=5_000_000, price_by_kind={"household": 3_500_000})
        assert prices.booth_price("household") == 3_500_000
        assert prices.booth_price("enterprise") == 5_000_000
        assert prices.booth_price(None) == 5_000_000

    def test_refuses_an_unknown_kind_or_a_negative_price(self):
        with pytest.raises(ValueError):
            PriceList(booth_price_vnd=1, price_by_kind={"ngo": 1})
        with pytest.raises(ValueError):
            PriceList(booth_price_vnd=-1)

    def test_refuses_two_extras_with_one_code(self):
        extra = Extra("light", "Điện", "gian", 1)
        with pytest.raises(ValueError):
            PriceList(booth_price_vnd=1, extras=(extra, extra))


class TestSurcharges:
    def test_corner_booths_pay_the_corner_surcharge_on_their_own_line(self):
        prices = PriceList(booth_price_vnd=5_000_000, corner=Surcharge(amount_vnd=500_000))
        result = lines(prices, corners=1)
        assert [(kind, line.quantity, line.unit_price) for kind, line in result] == [
            (LineKind.BOOTH, 3, 5_000_000), (LineKind.SURCHARGE, 1, 500_000)]
        assert result[1][1].description == "Phụ thu gian góc (mở hai mặt)"

    def test_premium_booths_are_named_on_their_line(self):
        prices = PriceList(booth_price_vnd=5_000_000, premium=Surcharge(percent=20), premium_booths=frozenset({"A02"}))
        [_, (kind, line)] = lines(prices)
        assert (kind, line.description, line.quantity, line.unit_price) == (
            LineKind.SURCHARGE, "Phụ thu vị trí ưu tiên (A02)", 1, 1_000_000)

    def test_a_percentage_surcharge_applies_to_the_kinds_price(self):
        prices = PriceList(booth_price_vnd=5_000_000, price_by_kind={"household": 3_000_000},
                           corner=Surcharge(percent=10))
        assert lines(prices, corners=2, kind="household")[1][1].unit_price == 300_000

    def test_no_surcharge_line_when_nothing_is_charged(self):
        assert len(lines(PriceList(booth_price_vnd=5_000_000), corners=2)) == 1

    def test_corner_count_is_bounded_by_the_booths(self):
        prices = PriceList(booth_price_vnd=1_000, corner=Surcharge(amount_vnd=100))
        assert lines(prices, codes=("A01",), corners=5)[1][1].quantity == 1

    def test_refuses_a_percent_above_100_or_a_negative_amount(self):
        with pytest.raises(ValueError):
            Surcharge(percent=101)
        with pytest.raises(ValueError):
            Surcharge(amount_vnd=-1)


class TestRounding:
    @pytest.mark.parametrize(("amount", "percent", "expected"), [
        (1_234_567, 10, 123_457),  # 123 456,7 → up
        (1_234_565, 10, 123_457),  # 123 456,5 → half up
        (1_234_564, 10, 123_456),  # 123 456,4 → down
        (5_000_000, 15, 750_000),
        (0, 50, 0),
    ])
    def test_a_percentage_is_rounded_half_up_to_the_dong(self, amount, percent, expected):
        assert percent_half_up(amount, percent) == expected

    @given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=100))
    def test_half_up_is_never_more_than_half_a_dong_off(self, amount, percent):
        exact = amount * percent / 100
        assert abs(percent_half_up(amount, percent) - exact) <= 0.5


class TestStoredPriceList:
    """The price list kept for a fair is read back by the domain, never by the request body that set it."""

    def test_nothing_set_is_the_standard_price_alone(self):
        assert price_list_of_config({}, 5_000_000) == PriceList(booth_price_vnd=5_000_000)

    def test_what_the_body_stored_reads_back_as_the_body_meant_it(self):
        body = PriceListBody.model_validate({
            "price_by_kind": {"household": 3_500_000}, "corner_surcharge": {"amount_vnd": 500_000},
            "premium_surcharge": {"percent": 10}, "premium_booth_codes": ["A01", "B02"],
            "extras": [{"code": "power", "name": "Điện chiếu sáng", "unit": "bộ", "unit_price_vnd": 200_000,
                        "per_booth": True}, {"code": "table", "name": "Bàn", "unit": "cái", "unit_price_vnd": 50_000,
                                             "vat_category": "standard"}],
            "booth_vat_category": "standard"})
        stored = json.loads(body.model_dump_json())
        assert price_list_of_config(stored, 5_000_000) == body.to_price_list(5_000_000)

    def test_a_stored_list_breaking_a_rule_is_refused(self):
        with pytest.raises(ValueError):
            price_list_of_config({"price_by_kind": {"ngo": 1}}, 5_000_000)
