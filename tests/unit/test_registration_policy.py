"""The priority policy: every point has a reason, and the organizer's settings change the points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.registration.domain.policy import Applicant, PriorityPolicy, Product, Recognition, score

OPENS = datetime(2026, 11, 1, tzinfo=UTC)
CLOSES = OPENS + timedelta(days=30)


def applicant(**overrides) -> Applicant:
    values = dict(kind="cooperative", is_cscnnt=False, province_code="08", commune_code=None, sector="",
                  products=(), registered_products=(), submitted_at=CLOSES)
    values.update(overrides)
    return Applicant(**values)


def scored(policy: PriorityPolicy | None = None, **overrides):
    return score(policy or PriorityPolicy(), applicant(**overrides), fair_province="08", opens_at=OPENS,
                 closes_at=CLOSES)


class TestScore:
    def test_nothing_to_prefer_scores_zero_with_no_reasons(self):
        result = scored()
        assert result.points == 0 and result.reasons == ()

    def test_the_best_recognition_counts_once_and_names_the_certificate(self):
        products = (Product("Chè Shan tuyết", "agro_food", Recognition("national", "123/QĐ-BCT", 2024)),
                    Product("Mật ong", "agro_food", Recognition("provincial", "9", 2022)))
        result = scored(products=products)
        assert [r.code for r in result.reasons] == ["cnnt_national"]
        assert result.points == 30
        assert "Chè Shan tuyết" in result.reasons[0].detail and "123/QĐ-BCT" in result.reasons[0].detail

    def test_only_the_registered_products_count_when_some_are_named(self):
        products = (Product("Chè", recognition=Recognition("national")), Product("Mật ong",
                                                                                 recognition=Recognition("regional")))
        result = scored(products=products, registered_products=["mat ong"])
        assert [(r.code, r.points) for r in result.reasons] == [("cnnt_regional", 20)]

    def test_adds_a_reason_per_criterion(self):
        policy = PriorityPolicy(difficult_communes=("00721",), priority_sectors=("Thủ công mỹ nghệ",), local_points=5)
        result = scored(policy, is_cscnnt=True, commune_code="00721", sector="thu cong my nghe", submitted_at=OPENS)
        assert {r.code: r.points for r in result.reasons} == {
            "cscnnt": 10, "difficult_commune": 15, "priority_sector": 10, "local": 5, "earliness": 10}
        assert result.points == 50

    def test_the_organizer_sets_the_points(self):
        policy = PriorityPolicy.from_dict({"cscnnt_points": 40, "recognition_points": {"national": 0}})
        result = scored(policy, is_cscnnt=True, products=(Product("Chè", recognition=Recognition("national")),))
        assert result.points == 40
        assert policy.recognition_points["regional"] == 20  # unnamed levels keep the default

    def test_earliness_falls_from_full_at_opening_to_none_at_closing(self):
        halfway = OPENS + (CLOSES - OPENS) / 2
        assert scored(submitted_at=OPENS).points == 10
        assert scored(submitted_at=halfway).points == 5
        assert scored(submitted_at=CLOSES).points == 0

    def test_round_trips_through_its_stored_form(self):
        policy = PriorityPolicy(difficult_communes=("00721", "00769"), priority_sectors=("Chè",))
        assert PriorityPolicy.from_dict(policy.to_dict()) == policy
        assert PriorityPolicy.from_dict({"unknown": 1}) == PriorityPolicy()

    @given(st.booleans(), st.sampled_from([None, "provincial", "regional", "national"]),
           st.floats(min_value=-0.5, max_value=1.5), st.booleans())
    def test_the_points_are_the_sum_of_the_reasons_and_never_negative(self, cscnnt, level, when, difficult):
        products = (Product("P", recognition=Recognition(level) if level else None),)
        policy = PriorityPolicy(difficult_communes=("00721",))
        result = scored(policy, is_cscnnt=cscnnt, products=products, commune_code="00721" if difficult else None,
                        submitted_at=OPENS + (CLOSES - OPENS) * when)
        assert result.points == sum(r.points for r in result.reasons) >= 0
        assert all(r.points > 0 and r.detail for r in result.reasons)
