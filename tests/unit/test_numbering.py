"""Unit tests for services.billing.domain.numbering."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.numbering import (
    TYPE_LETTERS,
    InvoiceSymbol,
    format_invoice_number,
)


def test_parse_golden() -> None:
    symbol = InvoiceSymbol.parse("C26TAA")
    assert symbol == InvoiceSymbol(with_tax_authority_code=True, year=2026, type_letter="T", series="AA")
    assert symbol.form == "1"
    assert str(symbol) == "C26TAA"
    assert symbol.with_form == "1C26TAA"


def test_parse_without_code_and_with_form() -> None:
    symbol = InvoiceSymbol.parse("2K27MBC")
    assert not symbol.with_tax_authority_code
    assert symbol.year == 2027
    assert symbol.type_letter == "M"
    assert symbol.series == "BC"
    assert symbol.form == "2"
    assert str(symbol) == "K27MBC"


def test_for_year_keeps_pattern() -> None:
    symbol = InvoiceSymbol.parse("C26TAA")
    next_year = symbol.for_year(2027)
    assert str(next_year) == "C27TAA"
    assert next_year.form == symbol.form
    assert str(symbol) == "C26TAA"  # the original is untouched


def test_year_printed_with_two_digits() -> None:
    assert str(InvoiceSymbol(True, 2005)) == "C05TAA"
    assert InvoiceSymbol.parse("C00TAA").year == 2000


def test_frozen() -> None:
    symbol = InvoiceSymbol.parse("C26TAA")
    with pytest.raises(dataclasses.FrozenInstanceError):
        symbol.series = "AB"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "C26TA",
        "C26TAAA",
        "X26TAA",
        "C2TAAA",
        "C26XAA",  # X is not a type letter
        "C26TA1",
        "c26taa",
        "C26 TAA",
        "0C26TAA",  # form 0 does not exist
        "12C26TAA",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        InvoiceSymbol.parse(text)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"year": 1999},
        {"year": 2100},
        {"year": 26},
        {"type_letter": "Z"},
        {"type_letter": "TT"},
        {"series": "A"},
        {"series": "aa"},
        {"series": "Ă1"},
        {"form": "0"},
        {"form": "10"},
    ],
)
def test_constructor_validates(kwargs: dict[str, object]) -> None:
    base: dict[str, object] = {"with_tax_authority_code": True, "year": 2026}
    with pytest.raises(ValueError):
        InvoiceSymbol(**{**base, **kwargs})  # type: ignore[arg-type]


def test_for_year_validates() -> None:
    with pytest.raises(ValueError):
        InvoiceSymbol.parse("C26TAA").for_year(27)


def test_type_letters() -> None:
    assert frozenset("TDLMNBGH") == TYPE_LETTERS


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "00000001"), (42, "00000042"), (12_345_678, "12345678"), (99_999_999, "99999999")],
)
def test_format_invoice_number(n: int, expected: str) -> None:
    assert format_invoice_number(n) == expected


@pytest.mark.parametrize("n", [0, -1, 100_000_000])
def test_format_invoice_number_range(n: int) -> None:
    with pytest.raises(ValueError):
        format_invoice_number(n)


@pytest.mark.parametrize("n", [True, 1.0, "1"])
def test_format_invoice_number_type(n: object) -> None:
    with pytest.raises(TypeError):
        format_invoice_number(n)  # type: ignore[arg-type]


symbols = st.builds(
    InvoiceSymbol,
    with_tax_authority_code=st.booleans(),
    year=st.integers(min_value=2000, max_value=2099),
    type_letter=st.sampled_from(sorted(TYPE_LETTERS)),
    series=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    form=st.sampled_from(list("123456789")),
)


@given(symbols)
def test_parse_round_trip(symbol: InvoiceSymbol) -> None:
    assert len(str(symbol)) == 6
    assert InvoiceSymbol.parse(symbol.with_form) == symbol
    if symbol.form == "1":
        assert InvoiceSymbol.parse(str(symbol)) == symbol


@given(st.integers(min_value=1, max_value=99_999_999))
def test_number_round_trip(n: int) -> None:
    text = format_invoice_number(n)
    assert len(text) == 8
    assert int(text) == n
