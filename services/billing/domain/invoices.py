"""Billing rules, pure: an invoice's lines and dates, the programme's share, the payable amount, voiding.

No I/O and no framework; prices live in ``pricing``, programme rules in ``subsidy``, the arithmetic in
``invoice_lines``, the words in ``amounts``, the rates in ``vat`` and the symbol in ``numbering``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.billing.domain.amounts import amount_in_words
from services.billing.domain.invoice_lines import InvoiceLine, InvoiceTotals, compute_totals
from services.billing.domain.numbering import InvoiceSymbol, format_invoice_number
from services.billing.domain.pricing import Extra, LineKind, PriceList
from services.billing.domain.vat import DEFAULT_VAT_TABLE, VatRule, rule_on
from shared.states import Transitions

# The invoice date is the seller's calendar day, not UTC's: 00:30 on 1 Jan in Hà Nội is still
# 31 Dec in UTC, and that day decides both the VAT rate and the symbol's year.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DUE_IN_DAYS = 15


class InvoiceStatus(StrEnum):
    """Where an invoice is in its life; a voided invoice keeps its number forever."""

    ISSUED = "issued"
    OVERDUE = "overdue"
    PAID = "paid"
    VOIDED = "voided"


# Overdue the day after its due date; paid once the exhibitor's share is settled (at once when a programme pays
# it all); voided by a cancellation document while not paid in full. Voided is final; a paid invoice is issued
# again (owing) only when an organizer reverses a mistaken payment — the overdue check then applies as before.
INVOICE_TRANSITIONS: Transitions[InvoiceStatus] = Transitions(("hóa đơn", "invoice"), {
    InvoiceStatus.ISSUED: {InvoiceStatus.OVERDUE, InvoiceStatus.PAID, InvoiceStatus.VOIDED},
    InvoiceStatus.OVERDUE: {InvoiceStatus.PAID, InvoiceStatus.VOIDED},
    InvoiceStatus.PAID: {InvoiceStatus.ISSUED},
    InvoiceStatus.VOIDED: set(),
})

# Only money not yet received in full may be cancelled by a void; a paid invoice needs a refund instead.
VOIDABLE: frozenset[InvoiceStatus] = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE})
PAYABLE: frozenset[InvoiceStatus] = VOIDABLE


class InconsistentAssignment(ValueError):
    """A booths.assigned event that contradicts what billing knows (bad upstream data)."""


def issue_date(now: datetime) -> date:
    """The invoice date: ``now`` (timezone-aware) as a calendar day in Asia/Ho_Chi_Minh."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(LOCAL_TZ).date()


def due_date(issued_on: date, *, days: int = DUE_IN_DAYS) -> date:
    """The payment due date: the issue date plus ``days`` calendar days."""
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    return issued_on + timedelta(days=days)


def is_overdue(*, due_on: date, today: date) -> bool:
    """An invoice is overdue the day after its due date (the due date itself is the last day to pay)."""
    return today > due_on


def default_symbol(year: int) -> InvoiceSymbol:
    """The symbol until centres configure their own: with tax-authority code, type T, series AA."""
    return InvoiceSymbol(with_tax_authority_code=True, year=year, type_letter="T", series="AA")


def booth_description(fair_name: str, booth_codes: Sequence[str]) -> str:
    """The line text, e.g. "Thuê gian hàng tiêu chuẩn 3m×3m – Hội chợ X (A01, A02)"."""
    return f"Thuê gian hàng tiêu chuẩn 3m×3m – {fair_name.strip()} ({', '.join(booth_codes)})"


@dataclass(frozen=True)
class ChargedLine:
    """An invoice line with what it charges for and the legal basis of its VAT rate."""

    kind: str
    line: InvoiceLine
    vat_basis: str


@dataclass(frozen=True)
class Order:
    """What an invoice charges: the booths (none for an invoice of extras) and the extras ordered."""

    fair_name: str
    booth_codes: tuple[str, ...] = ()
    corner_count: int = 0
    exhibitor_kind: str | None = None
    extras: tuple[tuple[Extra, int], ...] = ()


def _check_booths(booth_codes: Sequence[str]) -> None:
    if len(set(booth_codes)) != len(booth_codes):
        raise InconsistentAssignment(f"booth assigned twice in {list(booth_codes)}")


def charged_lines(order: Order, prices: PriceList, issued_on: date,
                  vat_table: Sequence[VatRule] = DEFAULT_VAT_TABLE) -> list[ChargedLine]:
    """Booth rent and surcharges, per-booth extras, then ordered extras, at the VAT rates of ``issued_on``.

    Surcharges are part of the booth's rent, so they take the booth's VAT category (the price list's).
    """
    _check_booths(order.booth_codes)
    booth_rule = rule_on(issued_on, prices.booth_vat_category, vat_table)
    charged: list[ChargedLine] = []
    if order.booth_codes:
        for kind, line in prices.booth_lines(
                description=booth_description(order.fair_name, order.booth_codes), booth_codes=order.booth_codes,
                corner_count=order.corner_count, kind=order.exhibitor_kind, vat=booth_rule.rate):
            charged.append(ChargedLine(kind, line, booth_rule.basis))
        wanted = [(extra, len(order.booth_codes)) for extra in prices.per_booth_extras()]
    else:
        wanted = []
    for extra, quantity in [*wanted, *order.extras]:
        if quantity <= 0:
            continue
        rule = rule_on(issued_on, extra.vat_category, vat_table)
        charged.append(ChargedLine(LineKind.EXTRA, InvoiceLine(extra.name, extra.unit, quantity,
                                                               extra.unit_price_vnd, rule.rate), rule.basis))
    if not charged:
        raise InconsistentAssignment("an invoice needs at least one booth or extra")
    return charged


@dataclass(frozen=True)
class SubsidySplit:
    """The programme's share of an invoice and why it is what it is (printed on the invoice)."""

    programme_id: str
    programme_name: str
    booths: int
    per_booth_vnd: int
    requested_vnd: int
    amount_vnd: int
    note: str

    @property
    def short(self) -> bool:
        """Whether the budget could not cover the share in full (the exhibitor pays the rest)."""
        return self.amount_vnd < self.requested_vnd


@dataclass(frozen=True)
class InvoiceDraft:
    """Everything printed on an invoice except its number, which the series hands out on saving."""

    symbol: InvoiceSymbol
    issued_on: date
    due_on: date
    lines: tuple[ChargedLine, ...]
    totals: InvoiceTotals
    subsidy: SubsidySplit | None
    # The words of the invoice's total payable (totals.total), never of one payer's share of it.
    amount_in_words: str

    @property
    def payable(self) -> int:
        """What the exhibitor pays: the total less the programme's share."""
        return self.totals.total - (self.subsidy.amount_vnd if self.subsidy else 0)

    def booth_line(self) -> InvoiceLine | None:
        """The booth-rent line (what a programme's percentage applies to), if the invoice has one."""
        return next((c.line for c in self.lines if c.kind == LineKind.BOOTH), None)

    def with_subsidy(self, subsidy: SubsidySplit | None) -> InvoiceDraft:
        """The same invoice with the programme's share deducted from what the exhibitor pays.

        The invoice itself is unchanged: its total payable and the words of that total stay, and the
        share is a settlement of part of it by a second payer (docs/billing.md, "Two payers").
        """
        if subsidy is not None and not 0 <= subsidy.amount_vnd <= self.totals.total:
            raise ValueError(f"subsidy {subsidy.amount_vnd} outside 0..{self.totals.total}")
        return replace(self, subsidy=subsidy)


def draft_invoice(*, order: Order, prices: PriceList, now: datetime, symbol: InvoiceSymbol | None = None,
                  due_in_days: int = DUE_IN_DAYS, vat_table: Sequence[VatRule] = DEFAULT_VAT_TABLE) -> InvoiceDraft:
    """The invoice as of ``now``: lines at the VAT of the local issue day (from ``vat_table``), totals, words."""
    issued_on = issue_date(now)
    lines = charged_lines(order, prices, issued_on, vat_table)
    totals = compute_totals(c.line for c in lines)
    chosen = (symbol or default_symbol(issued_on.year)).for_year(issued_on.year)
    return InvoiceDraft(symbol=chosen, issued_on=issued_on, due_on=due_date(issued_on, days=due_in_days),
                        lines=tuple(lines), totals=totals, subsidy=None, amount_in_words=amount_in_words(totals.total))


@dataclass(frozen=True)
class PaymentOutcome:
    """How a payment lands: the part that pays the invoice, the excess kept as a credit."""

    applied_vnd: int
    credit_vnd: int
    paid_in_full: bool


class PaymentRefused(ValueError):
    """A payment that cannot be recorded; ``field`` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def apply_payment(*, status: InvoiceStatus, payable: int, paid: int, amount: int) -> PaymentOutcome:
    """Apply ``amount`` to an invoice that still owes ``payable - paid``; the excess becomes a credit."""
    if amount <= 0:
        raise PaymentRefused(f"amount must be positive, got {amount}", field="amount_vnd")
    if status not in PAYABLE:
        raise PaymentRefused(f"an invoice that is {status.value} takes no payment")
    applied = min(amount, max(payable - paid, 0))
    return PaymentOutcome(applied_vnd=applied, credit_vnd=amount - applied, paid_in_full=paid + applied >= payable)


@dataclass(frozen=True)
class ReversalOutcome:
    """How taking a payment back lands: what the invoice no longer counts as paid, the credit taken back,
    and the invoice's status afterwards."""

    applied_vnd: int
    credit_vnd: int
    status: InvoiceStatus


def reverse_payment(*, status: InvoiceStatus, payable: int, paid: int, amount: int,
                    applied: int) -> ReversalOutcome:
    """Take back a payment of ``amount`` of which ``applied`` paid the invoice (the rest became a credit).

    The applied part no longer counts as paid: a paid invoice that now owes something is issued again. On a
    voided invoice the money paid was moved to a credit by the void, so the whole amount comes off the credit.
    """
    if not 0 <= applied <= amount:
        raise ValueError(f"applied {applied} outside 0..{amount}")
    if status is InvoiceStatus.VOIDED:
        return ReversalOutcome(applied_vnd=min(applied, paid), credit_vnd=amount, status=status)
    applied = min(applied, paid)
    after = status
    if status is InvoiceStatus.PAID and paid - applied < payable:
        after = InvoiceStatus.ISSUED
    return ReversalOutcome(applied_vnd=applied, credit_vnd=amount - applied, status=after)


def still_owed(*, status: InvoiceStatus | str, payable: int, paid: int) -> int:
    """What the exhibitor still owes: nothing on a paid or voided invoice, else its share less what it paid."""
    if status in (InvoiceStatus.PAID, InvoiceStatus.VOIDED):
        return 0
    return max(payable - paid, 0)


def is_voidable(status: InvoiceStatus) -> bool:
    """Whether a cancellation may void the invoice (not fully paid, not already voided)."""
    return status in VOIDABLE


# Why a registration ended (registration.cancelled's reason), as a cancellation document states it.
CANCELLATION_REASONS: dict[str, str] = {
    "exhibitor": "Đơn vị tham gia hủy đăng ký / the exhibitor withdrew",
    "organizer": "Ban tổ chức hủy đăng ký / cancelled by the organizer",
    "unpaid": "Quá hạn thanh toán / not paid by the due date",
    "fair_cancelled": "Hội chợ bị hủy / the fair was cancelled",
}


def cancellation_reason(reason: str) -> str:
    """The reason in words (Vietnamese first); an unknown code is shown as it is."""
    return CANCELLATION_REASONS.get(reason, reason)


def cancellation_number(symbol: str, number: int) -> str:
    """The cancellation document's reference, derived from the invoice it cancels: "HUY-C26TAA-00000001".

    Unique per seller, like the invoice number it repeats; another centre may have the same one.
    """
    return f"HUY-{symbol}-{format_invoice_number(number)}"
