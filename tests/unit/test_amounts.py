"""Unit tests for services.billing.domain.amounts.

The expected words were written by hand from Vietnamese reading rules (linh for a zero tens after
hundreds, mốt/tư only after a tens digit of 2-9, lăm after any tens digit, "không trăm" / "không
nghìn" for an inner zero group), not copied from the library's output.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.amounts import amount_in_words, format_vnd

GOLDEN_WORDS = [
    (0, "Không đồng"),
    (11, "Mười một đồng"),
    (14, "Mười bốn đồng"),
    (15, "Mười lăm đồng"),
    (21, "Hai mươi mốt đồng"),
    (24, "Hai mươi tư đồng"),
    (25, "Hai mươi lăm đồng"),
    (65, "Sáu mươi lăm đồng"),
    (105, "Một trăm linh năm đồng"),
    (1005, "Một nghìn không trăm linh năm đồng"),
    (1015, "Một nghìn không trăm mười lăm đồng"),
    (10050, "Mười nghìn không trăm năm mươi đồng"),
    (2001000, "Hai triệu không trăm linh một nghìn đồng"),
    (1000005, "Một triệu không nghìn không trăm linh năm đồng"),
    (1765000000, "Một tỷ bảy trăm sáu mươi lăm triệu đồng"),
    (
        181946900000,
        "Một trăm tám mươi mốt tỷ chín trăm bốn mươi sáu triệu chín trăm nghìn đồng",
    ),
    # the invoice scenario: 3 booths x 5,000,000 + 8% VAT
    (16200000, "Mười sáu triệu hai trăm nghìn đồng"),
    (1000000, "Một triệu đồng"),
]


@pytest.mark.parametrize(("vnd", "expected"), GOLDEN_WORDS)
def test_amount_in_words_goldens(vnd: int, expected: str) -> None:
    assert amount_in_words(vnd) == expected


def test_negative_amount_in_words_rejected() -> None:
    with pytest.raises(ValueError):
        amount_in_words(-1)


@pytest.mark.parametrize("bad", [True, 1.0, "15"])
def test_non_int_rejected(bad: object) -> None:
    with pytest.raises(TypeError):
        amount_in_words(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_vnd(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("vnd", "expected"),
    [
        (181946900000, "181.946.900.000 ₫"),
        (0, "0 ₫"),
        (999, "999 ₫"),
        (1000, "1.000 ₫"),
        (16200000, "16.200.000 ₫"),
        (-5000, "-5.000 ₫"),
    ],
)
def test_format_vnd(vnd: int, expected: str) -> None:
    assert format_vnd(vnd) == expected


def test_format_vnd_nbsp() -> None:
    assert format_vnd(1000, nbsp=True) == "1.000\u00a0₫"


@given(st.integers(min_value=0, max_value=2**53 - 1))
def test_words_shape(vnd: int) -> None:
    text = amount_in_words(vnd)
    assert text[0].isupper()
    assert text.endswith(" đồng")
    assert text[1:] == text[1:].lower()
    assert "  " not in text
