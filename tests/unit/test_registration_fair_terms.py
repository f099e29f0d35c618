"""The pure sanity rules of a fair's dates and amounts (domain.fairs.check_fair_terms), at their boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.registration.domain.fairs import FairTerms, check_fair_terms
from shared.errors import Invalid

TODAY = date(2026, 12, 6)
FAIR = FairTerms(starts_on=date(2027, 1, 20), ends_on=date(2027, 1, 26),
                 closes_at=datetime(2027, 1, 19, 17, 0, tzinfo=UTC),  # 00:00 on 20 Jan in Vietnam
                 capacity_booths=70, max_booths_per_exhibitor=4, booth_price_vnd=5_000_000, is_free=False)


def refusal(terms: FairTerms, *, given: frozenset[str] = frozenset(), creating: bool = True,
            max_days: int = 30) -> tuple[str | None, str]:
    with pytest.raises(Invalid) as caught:
        check_fair_terms(terms, today=TODAY, max_days=max_days, given=given, creating=creating)
    return caught.value.field, caught.value.code


class TestCheckFairTerms:
    def test_accepts_a_sane_fair_at_every_boundary(self):
        check_fair_terms(replace(FAIR, ends_on=date(2027, 2, 18), max_booths_per_exhibitor=70),
                         today=TODAY, max_days=30, given=frozenset(), creating=True)  # 30 days, max = capacity
        check_fair_terms(replace(FAIR, starts_on=TODAY, ends_on=TODAY, closes_at=datetime(2026, 12, 5, 17, tzinfo=UTC)),
                         today=TODAY, max_days=30, given=frozenset(), creating=True)  # ends today
        check_fair_terms(replace(FAIR, booth_price_vnd=0, is_free=True), today=TODAY, max_days=30,
                         given=frozenset(), creating=True)

    def test_refuses_each_rule_naming_its_field(self):
        assert refusal(replace(FAIR, ends_on=date(2027, 2, 19))) == ("ends_on", "fair-too-long")
        assert refusal(FAIR, max_days=6) == ("ends_on", "fair-too-long")
        assert refusal(replace(FAIR, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 5))) == (
            "ends_on", "fair-in-the-past")
        assert refusal(replace(FAIR, closes_at=datetime(2027, 1, 19, 17, 0, 1, tzinfo=UTC))) == (
            "registration_closes_at", "window-after-start")
        assert refusal(replace(FAIR, max_booths_per_exhibitor=71)) == ("max_booths_per_exhibitor",
                                                                       "max-above-capacity")
        assert refusal(replace(FAIR, booth_price_vnd=0)) == ("booth_price_vnd", "price-zero-not-free")
        assert refusal(replace(FAIR, is_free=True)) == ("booth_price_vnd", "free-fair-priced")

    def test_names_the_field_the_change_set_when_it_set_only_the_other_one(self):
        assert refusal(replace(FAIR, capacity_booths=3), given=frozenset({"capacity_booths"}),
                       creating=False)[0] == "capacity_booths"
        assert refusal(replace(FAIR, is_free=True), given=frozenset({"is_free"}), creating=False)[0] == "is_free"
        assert refusal(replace(FAIR, starts_on=date(2027, 1, 10), ends_on=date(2027, 1, 12)),
                       given=frozenset({"starts_on", "ends_on"}), creating=False)[0] == "starts_on"

    def test_the_past_matters_only_when_the_fair_is_created_or_its_days_change(self):
        gone = replace(FAIR, starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 5),
                       closes_at=datetime(2026, 11, 30, tzinfo=UTC))
        check_fair_terms(gone, today=TODAY, max_days=30, given=frozenset({"name"}), creating=False)
        assert refusal(gone, given=frozenset({"ends_on"}), creating=False) == ("ends_on", "fair-in-the-past")
