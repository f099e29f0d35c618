"""Invoice arithmetic: line amounts and totals per VAT rate, in integer đồng.

VAT is computed once per rate group, on the sum of the nets of the lines at that rate, rounded half
up to the whole đồng; the invoice's per-rate summary and its total use these group amounts. A line's
own ``vat_amount`` is for display and may differ from its share of the group by rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from services.billing.domain.vat import VatRate, vat_amount

__all__ = ["InvoiceLine", "InvoiceTotals", "compute_totals"]


def _require_non_negative(name: str, value: int) -> None:
    """Raise unless ``value`` is a non-negative int (bool excluded)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice line: description, unit (e.g. "gian"), quantity, unit price in đồng, VAT rate."""

    description: str
    unit: str
    quantity: int
    unit_price: int
    vat: VatRate

    def __post_init__(self) -> None:
        """Reject negative or non-integer quantities and prices, and a blank description."""
        if not self.description.strip():
            raise ValueError("description must not be blank")
        _require_non_negative("quantity", self.quantity)
        _require_non_negative("unit_price", self.unit_price)

    @property
    def net(self) -> int:
        """Amount before VAT (thành tiền chưa thuế)."""
        return self.quantity * self.unit_price

    @property
    def vat_amount(self) -> int:
        """This line's VAT on its own net, rounded half up (display only; totals group by rate)."""
        return vat_amount(self.net, self.vat)


@dataclass(frozen=True)
class InvoiceTotals:
    """Invoice totals; per-rate mappings are keyed by rate code ("8%", "KCT"...) in line order."""

    net: int
    net_by_rate: Mapping[str, int]
    vat_by_rate: Mapping[str, int]
    total: int
    already_paid: int = 0
    payable: int = field(init=False)

    def __post_init__(self) -> None:
        """Derive ``payable`` and freeze the mappings."""
        object.__setattr__(self, "net_by_rate", MappingProxyType(dict(self.net_by_rate)))
        object.__setattr__(self, "vat_by_rate", MappingProxyType(dict(self.vat_by_rate)))
        object.__setattr__(self, "payable", self.total - self.already_paid)

    def __reduce__(self) -> tuple[type[InvoiceTotals], tuple[int, dict[str, int], dict[str, int], int, int]]:
        """Pickled with plain dicts (a mapping proxy does not pickle): the PDF is drawn in a worker process."""
        return (InvoiceTotals, (self.net, dict(self.net_by_rate), dict(self.vat_by_rate), self.total,
                                self.already_paid))

    @property
    def vat(self) -> int:
        """Sum of VAT over all rates (tổng tiền thuế)."""
        return sum(self.vat_by_rate.values())


def compute_totals(lines: Iterable[InvoiceLine], *, already_paid: int = 0) -> InvoiceTotals:
    """Totals of at least one line; ``payable`` is ``total`` less ``already_paid`` (e.g. a deposit)."""
    materialised = list(lines)
    if not materialised:
        raise ValueError("an invoice needs at least one line")
    _require_non_negative("already_paid", already_paid)
    rates: dict[str, VatRate] = {}
    net_by_rate: dict[str, int] = {}
    for line in materialised:
        # VatRate ties its code to its percent, so the code identifies the rate.
        rates.setdefault(line.vat.code, line.vat)
        net_by_rate[line.vat.code] = net_by_rate.get(line.vat.code, 0) + line.net
    vat_by_rate = {code: vat_amount(net, rates[code]) for code, net in net_by_rate.items()}
    net = sum(net_by_rate.values())
    total = net + sum(vat_by_rate.values())
    if already_paid > total:
        raise ValueError(f"already_paid {already_paid} exceeds the total {total}")
    return InvoiceTotals(
        net=net,
        net_by_rate=net_by_rate,
        vat_by_rate=vat_by_rate,
        total=total,
        already_paid=already_paid,
    )
