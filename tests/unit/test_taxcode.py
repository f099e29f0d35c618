"""Unit tests for shared.taxcode, the one tax-code rule every service uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.reference import geo
from shared.taxcode import (
    PERSONAL_ID_PROVINCES,
    REASON_BRANCH_ZERO,
    REASON_CHECK_DIGIT,
    REASON_EMPTY,
    REASON_FORMAT,
    REASON_NO_CHECK_DIGIT,
    REASON_PERSONAL_ID,
    REASON_PERSONAL_ID_CENTURY,
    REASON_PERSONAL_ID_PROVINCE,
    InvalidTaxCode,
    is_personal_id,
    normalize_tax_code,
    tax_code_check_digit,
)

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


def test_golden_valid() -> None:
    assert normalize_tax_code("0100233488") == "0100233488"


def test_golden_invalid_check_digit() -> None:
    with pytest.raises(InvalidTaxCode) as info:
        normalize_tax_code("0100233480")
    assert info.value.reason == REASON_CHECK_DIGIT
    assert "chữ số kiểm tra" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_check_digit_golden() -> None:
    # 0*31 + 1*29 + 0*23 + 0*19 + 2*17 + 3*13 + 3*7 + 4*5 + 8*3 = 167; 167 mod 11 = 2; 10 - 2 = 8
    assert tax_code_check_digit("010023348") == 8


def test_check_digit_remainder_one_gives_nine() -> None:
    # 4*3 = 12, 12 mod 11 = 1, check = 10 - 1 = 9
    assert tax_code_check_digit("000000004") == 9


def test_check_digit_remainder_ten_gives_zero() -> None:
    # 2*5 = 10, 10 mod 11 = 10, check = 10 - 10 = 0
    assert tax_code_check_digit("000000020") == 0
    assert normalize_tax_code("0000000200") == "0000000200"


def test_remainder_zero_is_invalid() -> None:
    # 1*5 + 2*3 = 11, 11 mod 11 = 0: no digit can be the check
    assert tax_code_check_digit("000000000") is None
    assert tax_code_check_digit("000000012") is None
    for last in "0123456789":
        with pytest.raises(InvalidTaxCode) as info:
            normalize_tax_code("000000012" + last)
        assert info.value.reason == REASON_NO_CHECK_DIGIT


@pytest.mark.parametrize("bad", ["", "12345678", "0123456789a", "١٢٣٤٥٦٧٨٩٠"])
def test_check_digit_rejects_malformed_prefix(bad: str) -> None:
    with pytest.raises(ValueError):
        tax_code_check_digit(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 0100233488 ", "0100233488"),
        ("0100 233 488", "0100233488"),
        ("0100233488-001", "0100233488-001"),
        ("0100233488 - 012", "0100233488-012"),
        ("\t0100233488-999\n", "0100233488-999"),
        ("0100233488001", "0100233488-001"),
        ("0100233488 001", "0100233488-001"),
    ],
)
def test_normalizes_whitespace_and_branches(raw: str, expected: str) -> None:
    assert normalize_tax_code(raw) == expected


def test_branch_needs_valid_parent() -> None:
    with pytest.raises(InvalidTaxCode) as info:
        normalize_tax_code("0100233480-001")
    assert info.value.reason == REASON_CHECK_DIGIT


def test_branch_suffix_000_rejected() -> None:
    with pytest.raises(InvalidTaxCode) as info:
        normalize_tax_code("0100233488-000")
    assert info.value.reason == REASON_BRANCH_ZERO


def test_personal_id_only_when_allowed() -> None:
    with pytest.raises(InvalidTaxCode) as info:
        normalize_tax_code("001203004567")
    assert info.value.reason == REASON_PERSONAL_ID
    assert normalize_tax_code("001 203 004 567", allow_personal_id=True) == "001203004567"


def test_allow_personal_id_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        normalize_tax_code("001203004567", True)  # type: ignore[call-arg]


def test_empty() -> None:
    with pytest.raises(InvalidTaxCode) as info:
        normalize_tax_code("   ")
    assert info.value.reason == REASON_EMPTY


@pytest.mark.parametrize(
    "raw",
    [
        "010023348",  # 9 digits
        "01002334888",  # 11 digits
        "0100233488-01",
        "0100233488-0001",
        "0100233488_001",
        "01002334８8",  # full-width digit
        "١٠٠٢٣٣٤٨٨٠",  # Arabic-Indic digits match \d but are not tax codes
        "MST0100233488",
        "0100233488-001-002",
        "0100233488--001",
        "00120300456789",  # 14 digits
    ],
)
def test_bad_format(raw: str) -> None:
    with pytest.raises(InvalidTaxCode) as info:
        normalize_tax_code(raw, allow_personal_id=True)
    assert info.value.reason == REASON_FORMAT


@given(nine_digits)
def test_only_the_check_digit_validates(first9: str) -> None:
    check = tax_code_check_digit(first9)
    if check is None:
        for last in "0123456789":
            with pytest.raises(InvalidTaxCode):
                normalize_tax_code(first9 + last)
        return
    assert normalize_tax_code(first9 + str(check)) == first9 + str(check)
    for last in "0123456789":
        if int(last) != check:
            with pytest.raises(InvalidTaxCode):
                normalize_tax_code(first9 + last)


@given(nine_digits, st.integers(min_value=1, max_value=999))
def test_branch_follows_parent(first9: str, branch: int) -> None:
    check = tax_code_check_digit(first9)
    if check is None:
        return
    code = f"{first9}{check}-{branch:03d}"
    assert normalize_tax_code(code) == code


def test_branch_without_hyphen_needs_valid_parent_and_suffix() -> None:
    with pytest.raises(InvalidTaxCode) as info:
        normalize_tax_code("0100233480001")
    assert info.value.reason == REASON_CHECK_DIGIT
    with pytest.raises(InvalidTaxCode) as info:
        normalize_tax_code("0100233488000")
    assert info.value.reason == REASON_BRANCH_ZERO


def test_the_code_market_suppliers_used_to_accept_is_refused() -> None:
    # 0100109106 is valid; the 201 of issue 15 was for the same nine digits with another last digit.
    assert tax_code_check_digit("010010910") == 6
    with pytest.raises(InvalidTaxCode) as info:
        normalize_tax_code("0100109107")
    assert info.value.reason == REASON_CHECK_DIGIT


class TestPersonalId:
    @pytest.mark.parametrize("code", ["001203004567", "002085001234", "096199000001", "008300123456",
                                      "079012345678"])
    def test_accepts_a_well_shaped_number(self, code: str) -> None:
        assert is_personal_id(code)
        assert normalize_tax_code(code, allow_personal_id=True) == code

    @pytest.mark.parametrize("code", ["000000000000", "000203004567", "003203004567", "097203004567",
                                      "999203004567", "100203004567"])
    def test_refuses_a_number_without_a_province_code(self, code: str) -> None:
        with pytest.raises(InvalidTaxCode) as info:
            normalize_tax_code(code, allow_personal_id=True)
        assert info.value.reason == REASON_PERSONAL_ID_PROVINCE

    @pytest.mark.parametrize("digit", "456789")
    def test_refuses_a_century_not_yet_begun(self, digit: str) -> None:
        with pytest.raises(InvalidTaxCode) as info:
            normalize_tax_code(f"001{digit}03004567", allow_personal_id=True)
        assert info.value.reason == REASON_PERSONAL_ID_CENTURY

    def test_the_shape_is_checked_only_when_personal_ids_are_allowed(self) -> None:
        with pytest.raises(InvalidTaxCode) as info:
            normalize_tax_code("999903004567")
        assert info.value.reason == REASON_PERSONAL_ID

    def test_every_current_province_has_its_code(self) -> None:
        # The merger of 2025 kept one of the old codes for each of the 34 provinces.
        assert {f"0{p.code}" for p in geo.provinces()} <= PERSONAL_ID_PROVINCES

    def test_ten_digit_codes_are_not_personal_ids(self) -> None:
        assert not is_personal_id("0100233488")
        assert not is_personal_id("0100233488-001")


@given(st.sampled_from("0123"), st.integers(min_value=0, max_value=99),
       st.integers(min_value=0, max_value=999_999), st.integers(min_value=0, max_value=999))
def test_personal_id_accepted_exactly_for_the_scheme_provinces(century: str, year: int, serial: int,
                                                                province: int) -> None:
    code = f"{province:03d}{century}{year:02d}{serial:06d}"
    if f"{province:03d}" in PERSONAL_ID_PROVINCES:
        assert normalize_tax_code(code, allow_personal_id=True) == code
    else:
        with pytest.raises(InvalidTaxCode):
            normalize_tax_code(code, allow_personal_id=True)


@given(nine_digits, st.integers(min_value=1, max_value=999))
def test_branch_with_or_without_hyphen_is_one_code(first9: str, branch: int) -> None:
    check = tax_code_check_digit(first9)
    if check is None:
        return
    assert normalize_tax_code(f"{first9}{check}{branch:03d}") == normalize_tax_code(f"{first9}{check}-{branch:03d}")
