"""E-invoice form number, symbol (ký hiệu) and invoice number formats.

A symbol such as ``C26TAA`` reads: ``C`` issued with a tax-authority code (``K`` without), ``26`` the
year, ``T`` the issuer type, ``AA`` the seller's series. The form number (``1`` = VAT invoice) is
printed in front of it, e.g. ``1C26TAA``. The letter sets are data because the invoicing rules were
replaced on 2026-07-01 and may be again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = [
    "FORM_NUMBERS",
    "MAX_INVOICE_NUMBER",
    "TYPE_LETTERS",
    "VAT_INVOICE_FORM",
    "InvoiceSymbol",
    "format_invoice_number",
]

VAT_INVOICE_FORM = "1"
# 1 VAT invoice, 2 sales invoice, 3 public-asset sale, 4 national-reserve sale, 5 other (stamps,
# tickets...), 6 delivery notes; later rules added more single digits, so accept any 1-9.
FORM_NUMBERS: frozenset[str] = frozenset("123456789")

# T registered by an enterprise / organisation / household, D special-purpose (public assets,
# national reserve...), L issued per occurrence by the tax authority, M generated from a cash
# register, N internal-transport delivery note, B delivery note for agency sales, G and H stamps,
# tickets and cards as VAT / sales invoices.
TYPE_LETTERS: frozenset[str] = frozenset("TDLMNBGH")

MAX_INVOICE_NUMBER = 99_999_999

_SYMBOL = re.compile(r"(?P<form>[0-9])?(?P<kind>[CK])(?P<yy>[0-9]{2})(?P<type>[A-Z])(?P<series>[A-Z]{2})")
_SERIES = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class InvoiceSymbol:
    """An invoice symbol; ``year`` is the full year (2000-2099), printed as its last two digits."""

    with_tax_authority_code: bool
    year: int
    type_letter: str = "T"
    series: str = "AA"
    form: str = VAT_INVOICE_FORM

    def __post_init__(self) -> None:
        """Validate every part so that ``str(symbol)`` is always a well-formed symbol."""
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 2000 <= self.year <= 2099:
            raise ValueError(f"year must be a full year 2000-2099, got {self.year!r}")
        if self.type_letter not in TYPE_LETTERS:
            raise ValueError(f"unknown invoice type letter {self.type_letter!r}")
        if not _SERIES.fullmatch(self.series):
            raise ValueError(f"series must be two uppercase letters A-Z, got {self.series!r}")
        if self.form not in FORM_NUMBERS:
            raise ValueError(f"unknown form number {self.form!r}")

    @classmethod
    def parse(cls, text: str) -> InvoiceSymbol:
        """Parse ``C26TAA`` (form defaults to 1) or ``1C26TAA``; ValueError if malformed."""
        match = _SYMBOL.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"not an invoice symbol: {text!r}")
        return cls(
            with_tax_authority_code=match["kind"] == "C",
            year=2000 + int(match["yy"]),
            type_letter=match["type"],
            series=match["series"],
            form=match["form"] or VAT_INVOICE_FORM,
        )

    def __str__(self) -> str:
        """The six-character symbol, e.g. ``C26TAA``."""
        kind = "C" if self.with_tax_authority_code else "K"
        return f"{kind}{self.year % 100:02d}{self.type_letter}{self.series}"

    @property
    def with_form(self) -> str:
        """Form number and symbol as printed together, e.g. ``1C26TAA``."""
        return f"{self.form}{self}"

    def for_year(self, year: int) -> InvoiceSymbol:
        """The same symbol for another full year; numbering restarts under it."""
        return replace(self, year=year)


def format_invoice_number(n: int) -> str:
    """Zero-pad an invoice number to 8 digits; ValueError outside 1..99,999,999."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"invoice number must be an int, got {n!r}")
    if not 1 <= n <= MAX_INVOICE_NUMBER:
        raise ValueError(f"invoice number must be 1..{MAX_INVOICE_NUMBER}, got {n}")
    return f"{n:08d}"
