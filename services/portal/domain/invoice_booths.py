"""The booths an invoice names against the registration's booths now: an issued invoice is never edited, so after
a move its page shows the current booths apart from its lines and says that they were moved."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# billing's booth line: "Thuê gian hàng tiêu chuẩn 3m×3m – <fair> (A01, A02)" (services/billing/domain/invoices.py)
_CODES = re.compile(r"\(([^()]*)\)\s*$")


@dataclass(frozen=True)
class BoothsNow:
    """The registration's booths now and those its invoice names; `moved` when they differ."""

    current: tuple[str, ...]
    invoiced: tuple[str, ...]

    @property
    def moved(self) -> bool:
        return bool(self.invoiced) and set(self.current) != set(self.invoiced)


def invoiced_booths(invoice: dict[str, Any]) -> tuple[str, ...]:
    """The booth codes named on the invoice's booth lines, in their order, each once."""
    codes: list[str] = []
    for line in invoice.get("lines") or []:
        if not isinstance(line, dict) or line.get("kind") != "booth":
            continue
        found = _CODES.search(str(line.get("description") or ""))
        for code in (c.strip() for c in found.group(1).split(",")) if found else ():
            if code and code not in codes:
                codes.append(code)
    return tuple(codes)


def booths_now(invoice: dict[str, Any], current: Sequence[str]) -> BoothsNow:
    """The comparison shown on the invoice page."""
    return BoothsNow(tuple(str(c) for c in current), invoiced_booths(invoice))
