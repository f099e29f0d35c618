"""Unit tests for shared.text: diacritic-free folding and matching."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.text import fold, matches


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hoà Bình", "hoa binh"),  # old tone placement
        ("Hòa Bình", "hoa binh"),  # new tone placement
        ("HOA BINH", "hoa binh"),
        ("Đắk Lắk", "dak lak"),
        ("ĐỒNG VĂN", "dong van"),
        ("Hà Giang", "ha giang"),
        ("  Thành   phố\tHồ Chí Minh\n", "thanh pho ho chi minh"),
        ("Ðà Nẵng", "da nang"),  # Ð U+00D0, the look-alike of Đ
        ("Quốc Tử Giám", "quoc tu giam"),
        ("", ""),
    ],
)
def test_fold_golden(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_ignores_normal_form() -> None:
    nfc = unicodedata.normalize("NFC", "Lũng Cú")
    nfd = unicodedata.normalize("NFD", "Lũng Cú")
    assert nfc != nfd
    assert fold(nfc) == fold(nfd) == "lung cu"


def test_every_vietnamese_letter_folds_to_ascii() -> None:
    letters = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    folded = fold(letters + letters.upper())
    assert folded.isascii()
    assert set(folded) == set("aeiouyd")


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_fold_has_no_combining_marks_or_stray_whitespace(text: str) -> None:
    folded = fold(text)
    assert not any(unicodedata.combining(ch) for ch in folded)
    assert folded == " ".join(folded.split())


VIETNAMESE = "abcdeghiklmnopqrstuvxyàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ "


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper()))
def test_fold_ignores_case_of_vietnamese(text: str) -> None:
    assert fold(text.upper()) == fold(text.lower()) == fold(text)
    assert fold(text).isascii()


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("ha giang", "Hà Giang"),
        ("dak lak", "Tỉnh Đắk Lắk"),
        ("Hoà", "Hòa Bình"),
        ("giang ha", "Hà Giang"),  # word order is free
        ("lung", "Xã Lũng Cú"),
        ("", "anything"),
    ],
)
def test_matches(query: str, text: str) -> None:
    assert matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("ha noi", "Hà Giang"),
        ("dak nong", "Đắk Lắk"),
        ("hoa binh x", "Hòa Bình"),
    ],
)
def test_does_not_match(query: str, text: str) -> None:
    assert not matches(query, text)


@given(st.text(), st.text())
def test_text_matches_itself_and_its_parts(a: str, b: str) -> None:
    assert matches(a, a)
    assert matches(a, f"{a} {b}")
