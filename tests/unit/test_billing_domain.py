"""Billing rules, pure: lines, dates in Asia/Ho_Chi_Minh, the symbol, the programme share, payments, voiding."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.billing.domain import invoices as domain
from services.billing.domain.invoices import InconsistentAssignment, InvoiceStatus, Order, SubsidySplit
from services.billing.domain.numbering import InvoiceSymbol
from services.billing.domain.pricing import Extra, PriceList
from services.billing.domain.vat import KCT, VAT_8, VAT_10

FAIR = "Hội chợ Xuân Tuyên Quang 2027"


PRICES = PriceList(booth_price_vnd=5_000_000)
MAY_2026 = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)


def draft(booth_codes=("A01", "A02"), *, prices=PRICES, now=MAY_2026, **order):
    return domain.draft_invoice(order=Order(fair_name=FAIR, booth_codes=tuple(booth_codes), **order), prices=prices,
                                now=now)


class TestChargedLines:
    def test_one_line_of_n_booths_in_gian_at_the_fair_price(self):
        [charged] = draft().lines
        line = charged.line
        assert (charged.kind, line.unit, line.quantity, line.unit_price, line.vat) == ("booth", "gian", 2, 5_000_000,
                                                                                        VAT_8)
        assert line.net == 10_000_000

    def test_describes_the_booths_and_the_fair(self):
        text = domain.booth_description(FAIR, ["A01", "A02"])
        assert text == "Thuê gian hàng tiêu chuẩn 3m×3m – Hội chợ Xuân Tuyên Quang 2027 (A01, A02)"

    def test_refuses_nothing_to_charge(self):
        with pytest.raises(InconsistentAssignment):
            draft(())

    def test_refuses_a_booth_listed_twice(self):
        with pytest.raises(InconsistentAssignment):
            draft(("A01", "A01"))

    def test_per_booth_extras_follow_the_booths_and_ordered_ones_follow_them(self):
        light = Extra("light", "Điện chiếu sáng", "gian", 200_000, per_booth=True)
        table = Extra("table", "Bàn phụ", "cái", 150_000)
        prices = PriceList(booth_price_vnd=5_000_000, extras=(light, table))
        lines = draft(prices=prices, extras=((table, 3),)).lines
        assert [(c.kind, c.line.description, c.line.quantity) for c in lines] == [
            ("booth", domain.booth_description(FAIR, ["A01", "A02"]), 2), ("extra", "Điện chiếu sáng", 2),
            ("extra", "Bàn phụ", 3)]

    def test_an_invoice_of_extras_only_has_no_booth_line(self):
        table = Extra("table", "Bàn phụ", "cái", 150_000)
        result = draft((), prices=PriceList(booth_price_vnd=1, extras=(table,)), extras=((table, 2),))
        assert result.booth_line() is None
        assert result.totals.total == 324_000

    def test_an_extra_not_subject_to_vat_is_kct_not_zero(self):
        deposit = Extra("deposit", "Tiền thu hộ vệ sinh", "gian", 100_000, vat_category="not_subject")
        result = draft(prices=PriceList(booth_price_vnd=5_000_000, extras=(deposit,)), extras=((deposit, 1),))
        assert dict(result.totals.vat_by_rate) == {"8%": 800_000, "KCT": 0}
        assert result.lines[-1].line.vat == KCT
        assert result.lines[-1].vat_basis.startswith("Luật Thuế GTGT")


class TestDates:
    def test_the_issue_date_is_the_day_in_vietnam_not_in_utc(self):
        # 18:30 UTC on 31 Dec 2026 is 01:30 on 1 Jan 2027 in Hà Nội.
        assert domain.issue_date(datetime(2026, 12, 31, 18, 30, tzinfo=UTC)) == date(2027, 1, 1)
        assert domain.issue_date(datetime(2026, 12, 31, 16, 59, tzinfo=UTC)) == date(2026, 12, 31)

    def test_refuses_a_naive_datetime(self):
        with pytest.raises(ValueError):
            domain.issue_date(datetime(2026, 5, 1, 9, 0))

    def test_due_fifteen_days_after_issue_by_default(self):
        assert domain.DUE_IN_DAYS == 15
        assert domain.due_date(date(2026, 12, 20)) == date(2027, 1, 4)

    def test_due_date_days_are_configurable(self):
        assert domain.due_date(date(2026, 5, 1), days=30) == date(2026, 5, 31)
        with pytest.raises(ValueError):
            domain.due_date(date(2026, 5, 1), days=-1)


class TestSymbol:
    def test_defaults_to_c_yy_t_aa(self):
        assert str(domain.default_symbol(2026)) == "C26TAA"
        assert domain.default_symbol(2027).with_form == "1C27TAA"


class TestDraftInvoice:
    def test_golden_two_booths_in_2026_at_8_percent(self):
        result = draft()
        totals = result.totals
        assert (totals.net, totals.vat, totals.total, result.payable) == (10_000_000, 800_000, 10_800_000, 10_800_000)
        assert dict(totals.vat_by_rate) == {"8%": 800_000}
        assert result.amount_in_words == "Mười triệu tám trăm nghìn đồng"
        assert str(result.symbol) == "C26TAA"
        assert (result.issued_on, result.due_on) == (date(2026, 5, 10), date(2026, 5, 25))
        assert "NĐ 174/2025" in result.lines[0].vat_basis

    def test_from_2027_at_10_percent_under_a_new_symbol(self):
        result = draft(("B07", "B08"), now=datetime(2027, 3, 1, 2, 0, tzinfo=UTC))
        assert result.lines[0].line.vat == VAT_10
        assert result.totals.total == 11_000_000
        assert result.amount_in_words == "Mười một triệu đồng"
        assert str(result.symbol) == "C27TAA"

    def test_new_years_night_in_vietnam_takes_the_new_year_rate_and_symbol(self):
        now = datetime(2027, 1, 1, tzinfo=UTC) - timedelta(hours=2)  # 05:00 on 1 Jan 2027 in Hà Nội
        result = draft(("A01",), now=now)
        assert (str(result.symbol), result.lines[0].line.vat) == ("C27TAA", VAT_10)

    def test_a_configured_symbol_takes_the_issue_year(self):
        symbol = InvoiceSymbol(with_tax_authority_code=False, year=2020, type_letter="T", series="BK")
        result = domain.draft_invoice(order=Order(fair_name=FAIR, booth_codes=("A01",)), prices=PRICES,
                                      now=MAY_2026, symbol=symbol)
        assert result.symbol.with_form == "1K26TBK"

    def test_due_days_pass_through(self):
        result = domain.draft_invoice(order=Order(fair_name=FAIR, booth_codes=("A01",)), prices=PRICES,
                                      now=MAY_2026, due_in_days=7)
        assert result.due_on == date(2026, 5, 17)

    def test_the_programme_share_comes_off_what_the_exhibitor_pays_not_off_the_words_of_the_total(self):
        split = SubsidySplit("p1", "KCĐP", booths=2, per_booth_vnd=2_000_000, requested_vnd=4_000_000,
                             amount_vnd=4_000_000, note="")
        result = draft().with_subsidy(split)
        assert (result.totals.total, result.payable) == (10_800_000, 6_800_000)
        assert result.amount_in_words == "Mười triệu tám trăm nghìn đồng"
        assert not split.short

    def test_a_share_above_the_total_is_refused(self):
        split = SubsidySplit("p1", "KCĐP", 2, 6_000_000, 12_000_000, 12_000_000, "")
        with pytest.raises(ValueError):
            draft().with_subsidy(split)


class TestOverdue:
    def test_the_due_date_is_the_last_day_to_pay(self):
        assert not domain.is_overdue(due_on=date(2026, 5, 25), today=date(2026, 5, 25))
        assert domain.is_overdue(due_on=date(2026, 5, 25), today=date(2026, 5, 26))


class TestApplyPayment:
    def test_a_partial_payment_leaves_the_rest_owed(self):
        outcome = domain.apply_payment(status=InvoiceStatus.ISSUED, payable=1_000, paid=0, amount=400)
        assert outcome == domain.PaymentOutcome(applied_vnd=400, credit_vnd=0, paid_in_full=False)

    def test_the_payment_that_completes_it_pays_it(self):
        outcome = domain.apply_payment(status=InvoiceStatus.OVERDUE, payable=1_000, paid=400, amount=600)
        assert outcome.paid_in_full and outcome.credit_vnd == 0

    def test_an_overpayment_becomes_a_credit(self):
        outcome = domain.apply_payment(status=InvoiceStatus.ISSUED, payable=1_000, paid=400, amount=1_000)
        assert (outcome.applied_vnd, outcome.credit_vnd, outcome.paid_in_full) == (600, 400, True)

    @pytest.mark.parametrize("amount", [0, -1])
    def test_refuses_a_payment_that_is_not_positive(self, amount):
        with pytest.raises(domain.PaymentRefused) as refused:
            domain.apply_payment(status=InvoiceStatus.ISSUED, payable=1_000, paid=0, amount=amount)
        assert refused.value.field == "amount_vnd"

    @pytest.mark.parametrize("status", [InvoiceStatus.PAID, InvoiceStatus.VOIDED])
    def test_refuses_a_payment_on_a_paid_or_voided_invoice(self, status):
        with pytest.raises(domain.PaymentRefused):
            domain.apply_payment(status=status, payable=1_000, paid=0, amount=1)


class TestVoiding:
    @pytest.mark.parametrize("status", [InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE])
    def test_unpaid_invoices_may_be_voided(self, status):
        assert domain.is_voidable(status)

    @pytest.mark.parametrize("status", [InvoiceStatus.PAID, InvoiceStatus.VOIDED])
    def test_paid_or_voided_invoices_may_not(self, status):
        assert not domain.is_voidable(status)

    def test_the_cancellation_refers_to_the_original_number(self):
        assert domain.cancellation_number("C26TAA", 1) == "HUY-C26TAA-00000001"
