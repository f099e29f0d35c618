"""Vietnamese tax codes (mã số thuế): check-digit validation and normalisation.

Accepted forms: ten digits with a check digit, ten digits plus a three-digit branch suffix
(``0100233488-001``), and, for individuals and household businesses only, a twelve-digit
personal ID number, which has no check digit.
"""

from __future__ import annotations

import re

__all__ = [
    "CHECK_WEIGHTS",
    "REASON_BRANCH_ZERO",
    "REASON_CHECK_DIGIT",
    "REASON_EMPTY",
    "REASON_FORMAT",
    "REASON_NO_CHECK_DIGIT",
    "REASON_PERSONAL_ID",
    "InvalidTaxCode",
    "normalize_tax_code",
    "tax_code_check_digit",
]

CHECK_WEIGHTS: tuple[int, ...] = (31, 29, 23, 19, 17, 13, 7, 5, 3)

# [0-9] rather than \d: Python's \d also matches non-ASCII digits (e.g. Arabic-Indic).
_NINE_DIGITS = re.compile(r"[0-9]{9}")
_TEN_DIGITS = re.compile(r"[0-9]{10}")
_BRANCH = re.compile(r"([0-9]{10})-([0-9]{3})")
_PERSONAL_ID = re.compile(r"[0-9]{12}")
_WHITESPACE = re.compile(r"\s+")

REASON_EMPTY = "Mã số thuế trống / tax code is empty"
REASON_FORMAT = (
    "Mã số thuế phải gồm 10 chữ số hoặc 10 chữ số, dấu gạch ngang và 3 chữ số / "
    "tax code must be 10 digits or 10 digits, a hyphen and 3 digits"
)
REASON_CHECK_DIGIT = "Mã số thuế sai chữ số kiểm tra / tax code check digit is wrong"
REASON_NO_CHECK_DIGIT = (
    "Chín chữ số đầu của mã số thuế không cho chữ số kiểm tra hợp lệ / "
    "the first nine digits admit no valid check digit"
)
REASON_BRANCH_ZERO = "Mã chi nhánh phải từ 001 đến 999 / branch suffix must be 001 to 999"
REASON_PERSONAL_ID = (
    "Số định danh cá nhân 12 chữ số chỉ dùng cho cá nhân, hộ kinh doanh / "
    "a 12-digit personal ID is accepted only for individuals and household businesses"
)


class InvalidTaxCode(ValueError):
    """A tax code that fails validation; ``reason`` is Vietnamese first, English second."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(f"{reason}: {raw!r}")
        self.raw = raw
        self.reason = reason


def tax_code_check_digit(first9: str) -> int | None:
    """Return the check digit for nine ASCII digits, or None when the remainder is 0."""
    if not _NINE_DIGITS.fullmatch(first9):
        raise ValueError(f"expected exactly nine digits, got {first9!r}")
    remainder = sum(int(d) * w for d, w in zip(first9, CHECK_WEIGHTS, strict=True)) % 11
    if remainder == 0:
        return None
    # remainder 1..10 maps to check 9..0; remainder 0 would need a check of 10, which is no digit.
    return 10 - remainder


def _validate_ten(raw: str, ten: str) -> None:
    """Raise InvalidTaxCode unless the ten-digit code carries its check digit."""
    expected = tax_code_check_digit(ten[:9])
    if expected is None:
        raise InvalidTaxCode(raw, REASON_NO_CHECK_DIGIT)
    if int(ten[9]) != expected:
        raise InvalidTaxCode(raw, REASON_CHECK_DIGIT)


def normalize_tax_code(raw: str, *, allow_personal_id: bool = False) -> str:
    """Return the tax code without whitespace, or raise InvalidTaxCode."""
    code = _WHITESPACE.sub("", raw)
    if not code:
        raise InvalidTaxCode(raw, REASON_EMPTY)
    if _TEN_DIGITS.fullmatch(code):
        _validate_ten(raw, code)
        return code
    branch = _BRANCH.fullmatch(code)
    if branch:
        _validate_ten(raw, branch.group(1))
        # Branch (đơn vị phụ thuộc) suffixes are numbered from 001; 000 is never issued.
        if branch.group(2) == "000":
            raise InvalidTaxCode(raw, REASON_BRANCH_ZERO)
        return code
    if _PERSONAL_ID.fullmatch(code):
        if not allow_personal_id:
            raise InvalidTaxCode(raw, REASON_PERSONAL_ID)
        return code
    raise InvalidTaxCode(raw, REASON_FORMAT)
