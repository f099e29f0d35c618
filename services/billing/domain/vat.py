"""VAT rates by date and category, and the VAT amount on a net amount in whole đồng.

Rates change by law (temporary cuts from 10% to 8%), so an invoice line takes the rate in force on
its date from a table of dated rules rather than from a constant. ``DEFAULT_VAT_TABLE`` is the built-in
table; ``BILLING_VAT_RULES`` (see settings.py) replaces the rows of the categories it names, or adds
new categories, without a code change (``with_overrides``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

__all__ = [
    "DEFAULT_VAT_TABLE",
    "KCT",
    "VAT_0",
    "VAT_5",
    "VAT_8",
    "VAT_10",
    "VAT_CATEGORIES",
    "VatRate",
    "VatRule",
    "categories",
    "check_table",
    "rate_on",
    "rule_on",
    "vat_amount",
    "with_overrides",
]


@dataclass(frozen=True)
class VatRate:
    """A VAT rate as printed on an invoice; ``percent`` is None when the supply is not subject."""

    percent: int | None
    code: str

    def __post_init__(self) -> None:
        """Keep ``code`` consistent with ``percent`` so "0%" and "KCT" never get mixed up."""
        if self.percent is None:
            if not self.code or self.code.endswith("%"):
                raise ValueError(f"a rate without percent needs a non-percent code, got {self.code!r}")
            return
        if isinstance(self.percent, bool) or not 0 <= self.percent <= 100:
            raise ValueError(f"VAT percent must be 0..100, got {self.percent!r}")
        if self.code != f"{self.percent}%":
            raise ValueError(f"code {self.code!r} does not match percent {self.percent}")

    @classmethod
    def of_code(cls, code: str) -> VatRate:
        """The rate printed as ``code``: "8%", "0%" or "KCT" (not subject)."""
        if code == KCT.code:
            return KCT
        if not re.fullmatch(r"\d{1,3}%", code):
            raise ValueError(f'a VAT rate is "<percent>%" or "KCT", got {code!r}')
        return cls(int(code[:-1]), code)

    @property
    def subject(self) -> bool:
        """Whether the supply is subject to VAT at all (0% is subject, KCT is not)."""
        return self.percent is not None


VAT_0 = VatRate(0, "0%")
VAT_5 = VatRate(5, "5%")
VAT_8 = VatRate(8, "8%")
VAT_10 = VatRate(10, "10%")
# Không chịu thuế: not subject to VAT; printed as "KCT", distinct from a 0% export rate.
KCT = VatRate(None, "KCT")


@dataclass(frozen=True)
class VatRule:
    """The rate for one category over an inclusive date range; ``valid_to`` None is open-ended."""

    category: str
    valid_from: date
    valid_to: date | None
    rate: VatRate
    basis: str = ""

    def __post_init__(self) -> None:
        """Reject an empty range."""
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")

    def covers(self, day: date) -> bool:
        """Whether ``day`` falls inside this rule's inclusive range."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


# Booth rental is a service at the 10% standard rate, cut to 8% in the periods below. The 8% periods
# from 2024-07-01 were checked against published summaries of NĐ 180/2024 and NĐ 174/2025; earlier
# periods are not needed to invoice today and come from secondary knowledge, so verify them before
# back-dating an invoice.
DEFAULT_VAT_TABLE: tuple[VatRule, ...] = (
    VatRule("service", date.min, date(2022, 1, 31), VAT_10, "Luật Thuế GTGT"),
    VatRule("service", date(2022, 2, 1), date(2022, 12, 31), VAT_8, "NQ 43/2022/QH15, NĐ 15/2022/NĐ-CP"),
    VatRule("service", date(2023, 1, 1), date(2023, 6, 30), VAT_10, "Luật Thuế GTGT"),
    VatRule("service", date(2023, 7, 1), date(2023, 12, 31), VAT_8, "NQ 101/2023/QH15, NĐ 44/2023/NĐ-CP"),
    VatRule("service", date(2024, 1, 1), date(2024, 6, 30), VAT_8, "NQ 110/2023/QH15, NĐ 94/2023/NĐ-CP"),
    VatRule("service", date(2024, 7, 1), date(2024, 12, 31), VAT_8, "NQ 142/2024/QH15, NĐ 72/2024/NĐ-CP"),
    VatRule("service", date(2025, 1, 1), date(2025, 6, 30), VAT_8, "NQ 174/2024/QH15, NĐ 180/2024/NĐ-CP"),
    VatRule("service", date(2025, 7, 1), date(2026, 12, 31), VAT_8, "NQ 204/2025/QH15, NĐ 174/2025/NĐ-CP"),
    VatRule("service", date(2027, 1, 1), None, VAT_10, "Luật Thuế GTGT 2024"),
    # Supplies the organizer marks as outside the 8% cut, at 0%, or not subject at all (e.g. a deposit
    # passed on, a fee collected for the state): "not_subject" is printed KCT and never reads as 0%.
    VatRule("standard", date.min, None, VAT_10, "Luật Thuế GTGT 2024"),
    VatRule("zero_rated", date.min, None, VAT_0, "Luật Thuế GTGT 2024, Điều 9"),
    VatRule("not_subject", date.min, None, KCT, "Luật Thuế GTGT 2024, Điều 5"),
)



def categories(table: Sequence[VatRule]) -> frozenset[str]:
    """The categories a table has rules for (what a price list may choose)."""
    return frozenset(rule.category for rule in table)


VAT_CATEGORIES: frozenset[str] = categories(DEFAULT_VAT_TABLE)


def check_table(table: Sequence[VatRule]) -> None:
    """Raise ValueError when two rules of one category cover a common day (a date would get two rates)."""
    for category in categories(table):
        rules = sorted((r for r in table if r.category == category), key=lambda r: r.valid_from)
        for earlier, later in pairwise(rules):
            if earlier.valid_to is None or later.valid_from <= earlier.valid_to:
                raise ValueError(f"VAT rules of {category!r} overlap from {later.valid_from.isoformat()}")


def with_overrides(overrides: Sequence[VatRule], base: Sequence[VatRule] = DEFAULT_VAT_TABLE) -> tuple[VatRule, ...]:
    """``base`` with the rows of every category ``overrides`` names replaced by those rows (new ones added).

    Replacing a category whole keeps the result easy to read: the override is the full dated history
    of that category, never a patch layered over built-in rows. Categories it does not name keep theirs.
    """
    named = categories(overrides)
    table = (*(rule for rule in base if rule.category not in named), *overrides)
    check_table(table)
    return table


def rule_on(day: date, category: str = "service", table: Sequence[VatRule] = DEFAULT_VAT_TABLE) -> VatRule:
    """Return the one rule covering ``day`` for ``category``; LookupError if none, ValueError if several."""
    matches = [rule for rule in table if rule.category == category and rule.covers(day)]
    if not matches:
        raise LookupError(f"no VAT rule for category {category!r} on {day.isoformat()}")
    if len(matches) > 1:
        raise ValueError(f"overlapping VAT rules for category {category!r} on {day.isoformat()}")
    return matches[0]


def rate_on(day: date, category: str = "service", table: Sequence[VatRule] = DEFAULT_VAT_TABLE) -> VatRate:
    """Return the VAT rate in force on ``day`` for ``category``; LookupError if no rule covers it."""
    return rule_on(day, category, table).rate


def vat_amount(net: int, rate: VatRate) -> int:
    """VAT on a non-negative net: net × percent / 100 rounded half up to the whole đồng (0 for KCT)."""
    if isinstance(net, bool) or not isinstance(net, int):
        raise TypeError(f"net must be an int amount in đồng, got {net!r}")
    if net < 0:
        raise ValueError(f"net must not be negative, got {net}")
    if rate.percent is None:
        return 0
    # Integer half-up: adding half the divisor before flooring avoids float rounding entirely.
    return (net * rate.percent + 50) // 100
