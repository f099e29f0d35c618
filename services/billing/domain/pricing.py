"""A fair's price list, pure: the standard booth price, surcharges, extras, prices per exhibitor kind.

The standard price comes from the fair (``fair.published`` / ``fair.updated``); the organizer adds the
rest. Every amount is a whole number of đồng; the one computed amount, a surcharge given as a
percentage, is rounded half up to the đồng (see docs/billing.md, "Rounding").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from services.billing.domain.invoice_lines import InvoiceLine
from services.billing.domain.vat import VatRate
from shared.contracts.registration import EXHIBITOR_KINDS

__all__ = ["BOOTH_UNIT", "Extra", "LineKind", "PriceList", "Surcharge", "percent_half_up", "price_list_of_config"]

BOOTH_UNIT = "gian"


class LineKind:
    """What a line charges for; only ``BOOTH`` lines are booth rent a programme may support."""

    BOOTH = "booth"
    SURCHARGE = "surcharge"
    EXTRA = "extra"


def percent_half_up(amount: int, percent: int) -> int:
    """``amount`` × ``percent`` / 100 in whole đồng, half up (integer arithmetic, no floats)."""
    return (amount * percent + 50) // 100


def _require_vnd(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative int of đồng, got {value!r}")


@dataclass(frozen=True)
class Surcharge:
    """A surcharge per booth: a fixed amount, a percentage of the booth's price, or both added."""

    amount_vnd: int = 0
    percent: int = 0

    def __post_init__(self) -> None:
        """Refuse negative amounts and percentages outside 0..100."""
        _require_vnd("amount_vnd", self.amount_vnd)
        if isinstance(self.percent, bool) or not 0 <= self.percent <= 100:
            raise ValueError(f"percent must be 0..100, got {self.percent!r}")

    def on(self, booth_price: int) -> int:
        """The surcharge on one booth of ``booth_price`` đồng."""
        return self.amount_vnd + percent_half_up(booth_price, self.percent)


@dataclass(frozen=True)
class Extra:
    """An optional extra (electricity, an extra table); ``per_booth`` ones are charged for every booth."""

    code: str
    name: str
    unit: str
    unit_price_vnd: int
    vat_category: str = "service"
    per_booth: bool = False

    def __post_init__(self) -> None:
        """Refuse a blank code, name or unit and a negative price."""
        if not (self.code.strip() and self.name.strip() and self.unit.strip()):
            raise ValueError("an extra needs a code, a name and a unit")
        _require_vnd("unit_price_vnd", self.unit_price_vnd)


@dataclass(frozen=True)
class PriceList:
    """What a fair charges: the standard booth price, its variants per exhibitor kind, surcharges, extras."""

    booth_price_vnd: int
    price_by_kind: Mapping[str, int] = field(default_factory=dict)
    corner: Surcharge = Surcharge()
    premium: Surcharge = Surcharge()
    premium_booths: frozenset[str] = frozenset()
    extras: tuple[Extra, ...] = ()
    # The VAT category of booth rent and its surcharges (a row set of the VAT table), "service" by default.
    booth_vat_category: str = "service"

    def __post_init__(self) -> None:
        """Check every price and kind, and that extra codes are unique; freeze the mapping."""
        _require_vnd("booth_price_vnd", self.booth_price_vnd)
        for kind, price in self.price_by_kind.items():
            if kind not in EXHIBITOR_KINDS:
                raise ValueError(f"unknown exhibitor kind {kind!r}")
            _require_vnd(f"price_by_kind[{kind}]", price)
        codes = [extra.code for extra in self.extras]
        if len(set(codes)) != len(codes):
            raise ValueError(f"extra codes must be unique, got {codes}")
        object.__setattr__(self, "price_by_kind", MappingProxyType(dict(self.price_by_kind)))

    def booth_price(self, kind: str | None) -> int:
        """The booth price for an exhibitor of ``kind``: its own price if set, else the standard one."""
        return self.price_by_kind.get(kind or "", self.booth_price_vnd)

    def extra_of(self, code: str) -> Extra:
        """The extra of ``code``; KeyError if the fair offers none."""
        for extra in self.extras:
            if extra.code == code:
                return extra
        raise KeyError(code)

    def booth_lines(self, *, description: str, booth_codes: Sequence[str], corner_count: int, kind: str | None,
                    vat: VatRate) -> list[tuple[str, InvoiceLine]]:
        """Booth rent, then corner and premium surcharges, each a line tagged with its ``LineKind``."""
        price = self.booth_price(kind)
        lines = [(LineKind.BOOTH, InvoiceLine(description, BOOTH_UNIT, len(booth_codes), price, vat))]
        corners = min(max(corner_count, 0), len(booth_codes))
        if corners and self.corner.on(price):
            lines.append((LineKind.SURCHARGE, InvoiceLine(
                "Phụ thu gian góc (mở hai mặt)", BOOTH_UNIT, corners, self.corner.on(price), vat)))
        premium = [code for code in booth_codes if code in self.premium_booths]
        if premium and self.premium.on(price):
            lines.append((LineKind.SURCHARGE, InvoiceLine(
                f"Phụ thu vị trí ưu tiên ({', '.join(premium)})", BOOTH_UNIT, len(premium), self.premium.on(price),
                vat)))
        return lines

    def per_booth_extras(self) -> tuple[Extra, ...]:
        """Extras charged for every booth whether ordered or not (e.g. lighting)."""
        return tuple(extra for extra in self.extras if extra.per_booth)


def price_list_of_config(config: Mapping[str, Any], booth_price_vnd: int) -> PriceList:
    """The price list kept for a fair: the organizer's part as stored (``{}`` until set: the standard price alone,
    no surcharges, no extras) with the fair's standard booth price. Each part is checked again on the way in."""
    def surcharge(stored: Mapping[str, Any] | None) -> Surcharge:
        stored = stored or {}
        return Surcharge(amount_vnd=stored.get("amount_vnd", 0), percent=stored.get("percent", 0))

    return PriceList(
        booth_price_vnd=booth_price_vnd,
        price_by_kind={str(kind): price for kind, price in (config.get("price_by_kind") or {}).items()},
        corner=surcharge(config.get("corner_surcharge")), premium=surcharge(config.get("premium_surcharge")),
        premium_booths=frozenset(config.get("premium_booth_codes") or ()),
        extras=tuple(Extra(code=extra["code"], name=extra["name"], unit=extra["unit"],
                           unit_price_vnd=extra["unit_price_vnd"], vat_category=extra.get("vat_category", "service"),
                           per_booth=extra.get("per_booth", False))
                     for extra in config.get("extras") or ()),
        booth_vat_category=config.get("booth_vat_category", "service"))
