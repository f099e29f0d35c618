"""The VAT table as data: overrides replace a category's dated rows, settings read them from BILLING_VAT_RULES,
and a price list's booth category decides the rate of booth rent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from services.billing.domain import invoices as domain
from services.billing.domain.invoices import Order
from services.billing.domain.pricing import PriceList, Surcharge
from services.billing.domain.vat import (
    DEFAULT_VAT_TABLE,
    KCT,
    VAT_8,
    VAT_10,
    VatRate,
    VatRule,
    categories,
    check_table,
    rate_on,
    with_overrides,
)
from services.billing.settings import BillingSettings

EXTENDED = [VatRule("service", date.min, date(2027, 12, 31), VAT_8, "gia hạn"),
            VatRule("service", date(2028, 1, 1), None, VAT_10, "hết gia hạn")]


class TestOverrides:
    def test_the_rows_of_a_named_category_are_replaced_whole(self):
        table = with_overrides(EXTENDED)
        assert [rate_on(date(y, 6, 1), table=table) for y in (2021, 2027, 2028)] == [VAT_8, VAT_8, VAT_10]
        assert [r for r in table if r.category == "service"] == EXTENDED

    def test_other_categories_keep_their_built_in_rows_and_new_ones_are_added(self):
        table = with_overrides([VatRule("state_fee", date.min, None, KCT)])
        assert categories(table) == categories(DEFAULT_VAT_TABLE) | {"state_fee"}
        assert rate_on(date(2027, 3, 1), table=table) == VAT_10
        assert rate_on(date(2027, 3, 1), "state_fee", table) is KCT

    def test_overlapping_rows_are_refused(self):
        with pytest.raises(ValueError, match="overlap from 2027-01-01"):
            with_overrides([VatRule("service", date.min, None, VAT_10),
                            VatRule("service", date(2027, 1, 1), None, VAT_8)])
        check_table(DEFAULT_VAT_TABLE)  # the built-in table passes its own check

    def test_a_rate_is_read_from_its_printed_code(self):
        assert (VatRate.of_code("8%"), VatRate.of_code("0%").percent, VatRate.of_code("KCT")) == (VAT_8, 0, KCT)
        for bad in ("8", "8.5%", "kct", "101%"):
            with pytest.raises(ValueError):
                VatRate.of_code(bad)


class TestSettings:
    def test_rules_come_from_the_environment_as_json(self, monkeypatch):
        monkeypatch.setenv("BILLING_VAT_RULES", '[{"category": "service", "valid_to": "2027-12-31", "rate": "8%",'
                                                ' "basis": "gia hạn"}, {"category": "service",'
                                                ' "valid_from": "2028-01-01", "rate": "10%"}]')
        table = BillingSettings().vat_table()
        assert rate_on(date(2027, 6, 1), table=table) == VAT_8
        assert rate_on(date(2028, 1, 1), table=table) == VAT_10

    def test_no_rules_is_the_built_in_table(self, monkeypatch):
        monkeypatch.delenv("BILLING_VAT_RULES", raising=False)
        assert BillingSettings().vat_table() == DEFAULT_VAT_TABLE

    @pytest.mark.parametrize("rows", [
        [{"category": "service", "rate": "10%"}, {"category": "service", "valid_from": "2027-01-01", "rate": "8%"}],
        [{"category": "service", "valid_from": "2027-01-01", "valid_to": "2026-01-01", "rate": "8%"}],
        [{"category": "service", "rate": "eight"}],
        [{"category": "Service!", "rate": "8%"}],
        [{"category": "service", "rate": "8%", "typo": 1}],
    ])
    def test_a_table_that_cannot_work_stops_the_service_at_start(self, rows):
        with pytest.raises(ValidationError):
            BillingSettings(vat_rules=rows)


class TestBoothCategory:
    def draft(self, prices: PriceList, table=DEFAULT_VAT_TABLE):
        return domain.draft_invoice(order=Order(fair_name="Hội chợ", booth_codes=("A01",), corner_count=1),
                                    prices=prices, now=datetime(2026, 5, 10, 3, tzinfo=UTC), vat_table=table)

    def test_booth_rent_and_its_surcharges_follow_the_price_lists_category(self):
        prices = PriceList(booth_price_vnd=5_000_000, corner=Surcharge(amount_vnd=500_000),
                           booth_vat_category="standard")
        assert [(c.kind, c.line.vat.code) for c in self.draft(prices).lines] == [("booth", "10%"),
                                                                                 ("surcharge", "10%")]

    def test_by_default_booth_rent_is_a_service_at_the_reduced_rate(self):
        lines = self.draft(PriceList(booth_price_vnd=5_000_000)).lines
        assert [(c.line.vat.code, c.vat_basis) for c in lines] == [("8%", "NQ 204/2025/QH15, NĐ 174/2025/NĐ-CP")]

    def test_the_table_passed_in_decides_the_rate(self):
        table = with_overrides([VatRule("service", date.min, None, VAT_10, "x")])
        assert self.draft(PriceList(booth_price_vnd=5_000_000), table).totals.vat == 500_000
