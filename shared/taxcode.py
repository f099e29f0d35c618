"""Vietnamese tax codes (mã số thuế): the one validator every service uses.

Accepted forms:
- ten digits whose last is the check digit (weights 31, 29, 23, 19, 17, 13, 7, 5, 3 on the first nine;
  check = 10 − (sum mod 11); remainder 0 admits no digit);
- a branch (đơn vị phụ thuộc): the parent's ten digits and a three-digit suffix 001–999, written with a
  hyphen or without (``0100233488-001``, ``0100233488001``); always returned with the hyphen;
- for individuals and household businesses only, the twelve-digit personal identification number
  (số định danh cá nhân), which has no check digit; its shape is checked instead: the 3-digit province
  code of birth registration, the century/gender digit, then the year of birth and a serial.

Reference rules only (no framework, no I/O): pure functions on strings.
"""

from __future__ import annotations

import re

__all__ = [
    "CHECK_WEIGHTS",
    "PERSONAL_ID_PROVINCES",
    "REASON_BRANCH_ZERO",
    "REASON_CHECK_DIGIT",
    "REASON_EMPTY",
    "REASON_FORMAT",
    "REASON_NO_CHECK_DIGIT",
    "REASON_PERSONAL_ID",
    "REASON_PERSONAL_ID_CENTURY",
    "REASON_PERSONAL_ID_PROVINCE",
    "InvalidTaxCode",
    "is_personal_id",
    "normalize_tax_code",
    "tax_code_check_digit",
]

CHECK_WEIGHTS: tuple[int, ...] = (31, 29, 23, 19, 17, 13, 7, 5, 3)

# Province codes of the personal identification number (Thông tư 07/2016/TT-BCA, kept by TT 59/2021/TT-BCA):
# "0" + the 2-digit code of the 63 provinces before July 2025. A person keeps the number issued at birth, so
# the merger of 2025 removes no code; the 34 current provinces all kept one of these (checked in the tests).
PERSONAL_ID_PROVINCES: frozenset[str] = frozenset(f"{code:03d}" for code in (
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38, 40, 42,
    44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80, 82, 83, 84, 86,
    87, 89, 91, 92, 93, 94, 95, 96))

# The 4th digit: century and gender, 0/1 = born 1900–1999 (male/female), 2/3 = 2000–2099; 4–9 stand for
# births from 2100 on, which cannot have been registered yet.
_CENTURY_DIGITS = frozenset("0123")

# [0-9] rather than \d: Python's \d also matches non-ASCII digits (e.g. Arabic-Indic).
_NINE_DIGITS = re.compile(r"[0-9]{9}")
_TEN_DIGITS = re.compile(r"[0-9]{10}")
_BRANCH = re.compile(r"([0-9]{10})-?([0-9]{3})")
_PERSONAL_ID = re.compile(r"[0-9]{12}")
_WHITESPACE = re.compile(r"\s+")

REASON_EMPTY = "Mã số thuế trống / tax code is empty"
REASON_FORMAT = (
    "Mã số thuế phải gồm 10 chữ số, hoặc 10 chữ số và 3 chữ số chi nhánh (có hoặc không có dấu gạch ngang), "
    "hoặc số định danh cá nhân 12 chữ số / tax code must be 10 digits, 10 digits and a 3-digit branch suffix "
    "(with or without a hyphen), or a 12-digit personal ID number"
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
REASON_PERSONAL_ID_PROVINCE = (
    "Ba chữ số đầu của số định danh cá nhân không phải mã tỉnh / "
    "the first three digits of the personal ID are not a province code"
)
REASON_PERSONAL_ID_CENTURY = (
    "Chữ số thứ tư của số định danh cá nhân (thế kỷ, giới tính) phải từ 0 đến 3 / "
    "the 4th digit of the personal ID (century and gender) must be 0 to 3"
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


def is_personal_id(code: str) -> bool:
    """True if `code` (already normalised) has the twelve digits of a personal ID rather than a tax code's."""
    return _PERSONAL_ID.fullmatch(code) is not None


def _validate_ten(raw: str, ten: str) -> None:
    """Raise InvalidTaxCode unless the ten-digit code carries its check digit."""
    expected = tax_code_check_digit(ten[:9])
    if expected is None:
        raise InvalidTaxCode(raw, REASON_NO_CHECK_DIGIT)
    if int(ten[9]) != expected:
        raise InvalidTaxCode(raw, REASON_CHECK_DIGIT)


def _validate_personal_id(raw: str, code: str) -> None:
    """Raise InvalidTaxCode unless the twelve digits have a personal ID's shape (this also refuses all zeros)."""
    if code[:3] not in PERSONAL_ID_PROVINCES:
        raise InvalidTaxCode(raw, REASON_PERSONAL_ID_PROVINCE)
    if code[3] not in _CENTURY_DIGITS:
        raise InvalidTaxCode(raw, REASON_PERSONAL_ID_CENTURY)


def normalize_tax_code(raw: str, *, allow_personal_id: bool = False) -> str:
    """Return the tax code without whitespace (a branch with its hyphen), or raise InvalidTaxCode."""
    code = _WHITESPACE.sub("", raw)
    if not code:
        raise InvalidTaxCode(raw, REASON_EMPTY)
    if _TEN_DIGITS.fullmatch(code):
        _validate_ten(raw, code)
        return code
    if _PERSONAL_ID.fullmatch(code):
        if not allow_personal_id:
            raise InvalidTaxCode(raw, REASON_PERSONAL_ID)
        _validate_personal_id(raw, code)
        return code
    branch = _BRANCH.fullmatch(code)
    if branch:
        _validate_ten(raw, branch.group(1))
        # Branch (đơn vị phụ thuộc) suffixes are numbered from 001; 000 is never issued.
        if branch.group(2) == "000":
            raise InvalidTaxCode(raw, REASON_BRANCH_ZERO)
        return f"{branch.group(1)}-{branch.group(2)}"
    raise InvalidTaxCode(raw, REASON_FORMAT)
