"""Subsidy programme terms: validity, eligibility, a booth's share (rounded down, capped), overlaps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.programme_terms import (
    Level,
    ProgrammeTerms,
    Recipient,
    SupportBase,
    TermsInvalid,
    first_overlap,
)
from services.billing.domain.vat import KCT, VAT_8, VAT_10

LOCAL = ProgrammeTerms(level=Level.LOCAL, funder="Sở Công Thương Tuyên Quang", funding_province_code="08",
                       valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), support_percent=50,
                       cap_per_booth_vnd=2_000_000, max_booths_per_exhibitor=2, cscnnt_only=True,
                       eligible_provinces=frozenset({"08"}))
HOUSEHOLD = Recipient(kind="household", is_cscnnt=True, province_code="08")


class TestCheck:
    def test_good_terms_pass(self):
        LOCAL.check()

    @pytest.mark.parametrize(("change", "field"), [
        ({"valid_to": date(2025, 12, 31)}, "valid_to"),
        ({"support_percent": 0}, "support_percent"),
        ({"support_percent": 101}, "support_percent"),
        ({"funding_province_code": None}, "funding_province_code"),
    ])
    def test_bad_terms_name_their_field(self, change, field):
        with pytest.raises(TermsInvalid) as bad:
            replace(LOCAL, **change).check()
        assert bad.value.field == field

    def test_a_national_programme_has_no_funding_province(self):
        with pytest.raises(TermsInvalid):
            replace(LOCAL, level=Level.NATIONAL).check()


class TestEligibility:
    def test_a_cscnnt_household_of_the_province_is_eligible(self):
        assert LOCAL.refusal(HOUSEHOLD) is None

    def test_an_enterprise_that_is_not_cscnnt_is_not(self):
        assert "CSCNNT" in LOCAL.refusal(Recipient(kind="enterprise", is_cscnnt=False, province_code="08"))

    def test_another_province_is_not(self):
        assert LOCAL.refusal(replace(HOUSEHOLD, province_code="01")) is not None

    def test_kinds_and_communes_restrict_when_listed(self):
        terms = replace(LOCAL, eligible_kinds=frozenset({"cooperative"}), eligible_communes=frozenset({"02236"}))
        assert "kind" in terms.refusal(HOUSEHOLD)
        coop = replace(HOUSEHOLD, kind="cooperative")
        assert "commune" in terms.refusal(coop)
        assert terms.refusal(replace(coop, commune_code="02236")) is None

    def test_fairs_in_scope_start_within_the_validity(self):
        assert LOCAL.applies_to_fair("any", date(2026, 6, 1))
        assert not LOCAL.applies_to_fair("any", date(2027, 1, 20))
        listed = replace(LOCAL, fair_ids=frozenset({"f1"}))
        assert listed.applies_to_fair("f1", date(2026, 6, 1)) and not listed.applies_to_fair("f2", date(2026, 6, 1))


class TestShare:
    def test_half_of_the_gross_price_capped_per_booth(self):
        # 5 000 000 + 8% = 5 400 000; half is 2 700 000, capped at 2 000 000.
        assert LOCAL.share_per_booth(5_000_000, VAT_8) == 2_000_000

    def test_below_the_cap_the_percentage_is_paid(self):
        assert LOCAL.share_per_booth(3_000_000, VAT_8) == 1_620_000

    def test_on_a_net_base_vat_is_not_supported(self):
        assert replace(LOCAL, base=SupportBase.NET, cap_per_booth_vnd=None).share_per_booth(3_000_000, VAT_10) == (
            1_500_000)

    def test_a_kct_booth_has_no_vat_in_its_base(self):
        assert replace(LOCAL, cap_per_booth_vnd=None).share_per_booth(3_000_001, KCT) == 1_500_000

    def test_the_share_is_rounded_down_to_the_dong(self):
        # 33% of 1 000 001 = 330 000,33 → 330 000: the programme never pays above its percentage.
        terms = replace(LOCAL, base=SupportBase.NET, support_percent=33, cap_per_booth_vnd=None)
        assert terms.share_per_booth(1_000_001, VAT_8) == 330_000

    @given(st.integers(min_value=0, max_value=10**11), st.integers(min_value=1, max_value=100),
           st.one_of(st.none(), st.integers(min_value=0, max_value=10**10)))
    def test_the_share_never_exceeds_the_percentage_nor_the_cap(self, price, percent, cap):
        terms = replace(LOCAL, base=SupportBase.NET, support_percent=percent, cap_per_booth_vnd=cap)
        share = terms.share_per_booth(price, VAT_8)
        assert 0 <= share <= price * percent / 100
        assert cap is None or share <= cap


class TestOverlap:
    def test_the_same_funder_with_meeting_dates_overlaps(self):
        later = replace(LOCAL, valid_from=date(2026, 12, 1), valid_to=date(2027, 6, 30))
        assert LOCAL.overlaps(later) and later.overlaps(LOCAL)

    def test_back_to_back_periods_do_not(self):
        assert not LOCAL.overlaps(replace(LOCAL, valid_from=date(2027, 1, 1), valid_to=date(2027, 12, 31)))

    def test_another_funder_does_not(self):
        other = replace(LOCAL, funder="Sở Công Thương Lào Cai", funding_province_code="15")
        assert not LOCAL.overlaps(other)
        national = replace(LOCAL, level=Level.NATIONAL, funder="Bộ Công Thương", funding_province_code=None)
        assert not LOCAL.overlaps(national)

    def test_the_funder_name_is_compared_without_case_or_spaces_around(self):
        assert LOCAL.overlaps(replace(LOCAL, funder="  sở công thương tuyên quang "))

    def test_disjoint_fair_lists_do_not_but_all_fairs_meets_any_list(self):
        one, two = replace(LOCAL, fair_ids=frozenset({"f1"})), replace(LOCAL, fair_ids=frozenset({"f2"}))
        assert not one.overlaps(two)
        assert one.overlaps(LOCAL)
        assert first_overlap(two, [("p1", one), ("p0", LOCAL)]) == "p0"


class TestNotes:
    def test_the_support_note_names_percent_cap_and_booths(self):
        from services.billing.domain.programme_terms import support_note

        assert support_note(name="KCĐP", percent=50, cap=2_000_000, booths=2, amount="4.000.000 ₫") == (
            "Kinh phí KCĐP hỗ trợ 50% giá thuê gian hàng, tối đa 2.000.000 đồng/gian: 4.000.000 ₫ cho 2 gian.")
        assert "tối đa" not in support_note(name="KCQG", percent=100, cap=None, booths=1, amount="1 ₫")
