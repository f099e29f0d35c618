"""The registration form's products: the profile's choices in words and the names sent (pure rules)."""

from __future__ import annotations

from services.portal.domain.product_picks import ProductChoice, picked_names, product_choices, registered_products

PROFILE = {"products": [
    {"name": "Chè Shan tuyết", "recognition": {"level": "national", "year": 2024}},
    {"name": "chè shan tuyết", "recognition": None},  # the same product twice: offered once
    {"name": "Mật ong", "recognition": {"level": "unknown"}},
    {"name": "  ", "recognition": None},
]}


def test_choices_name_each_product_once_with_its_recognition_in_words() -> None:
    assert product_choices(PROFILE) == [
        ProductChoice("Chè Shan tuyết", "CNNT tiêu biểu cấp quốc gia 2024", "“CNNT tiêu biểu” product, national 2024"),
        ProductChoice("Mật ong")]
    assert product_choices(None) == []


def test_registered_products_take_the_profile_spelling_and_keep_others_once() -> None:
    choices = product_choices(PROFILE)
    assert registered_products(["Mật ong", "Không có"], ["CHE SHAN TUYET", "mat ong", "Rượu ngô", ""], choices) == [
        "Mật ong", "Chè Shan tuyết", "Rượu ngô"]


def test_picked_names_split_a_registration_into_ticks_and_typed_lines() -> None:
    assert picked_names(["che shan tuyet", "Rượu ngô", "Bánh"], product_choices(PROFILE)) == (
        ["Chè Shan tuyết"], "Rượu ngô\nBánh")
