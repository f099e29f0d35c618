"""Subsidy programmes (khuyến công quốc gia / địa phương), pure: terms, eligibility, a booth's share.

Which programme rules apply differs by programme, province and date, so every rule is a field of the
programme (data), never a branch in the code. Budget accounting needs the database and lives in
``service/budget.py``; this module only says how much a programme would pay and whether two overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.billing.domain.vat import VatRate, vat_amount
from shared.states import Transitions

__all__ = ["COMMITMENT_TRANSITIONS", "CommitmentStatus", "Level", "ProgrammeTerms", "Recipient", "SettlementStatus",
           "SupportBase", "TermsInvalid", "empty_budget_note", "exhausted_note", "first_overlap", "settlement_status",
           "support_note"]


class Level(StrEnum):
    """Who funds it: the ministry's national programme (KCQG) or a province's (KCĐP)."""

    NATIONAL = "national"
    LOCAL = "local"


class SupportBase(StrEnum):
    """What the percentage applies to: the booth price with its VAT (gross) or without (net)."""

    GROSS = "gross"
    NET = "net"


class CommitmentStatus(StrEnum):
    """A programme's share of one invoice: held against the budget, or given back when the invoice was voided."""

    COMMITTED = "committed"
    RELEASED = "released"


COMMITMENT_TRANSITIONS: Transitions[CommitmentStatus] = Transitions(("cam kết hỗ trợ", "subsidy commitment"), {
    CommitmentStatus.COMMITTED: {CommitmentStatus.RELEASED},
    CommitmentStatus.RELEASED: set(),
})


class SettlementStatus(StrEnum):
    """A commitment as the settlement report counts it: held, delivered (its invoice is paid), or given back."""

    COMMITTED = "committed"
    PAID = "paid"
    RELEASED = "released"


def settlement_status(commitment: CommitmentStatus | str, *, invoice_paid: bool) -> SettlementStatus:
    """Released whatever its invoice did; else paid once the exhibitor paid its invoice; else committed."""
    if commitment == CommitmentStatus.RELEASED:
        return SettlementStatus.RELEASED
    return SettlementStatus.PAID if invoice_paid else SettlementStatus.COMMITTED


class TermsInvalid(ValueError):
    """Terms that contradict themselves; ``field`` names the input at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Recipient:
    """What eligibility looks at: the exhibitor's kind, CSCNNT status and place."""

    kind: str | None
    is_cscnnt: bool
    province_code: str | None
    commune_code: str | None = None


@dataclass(frozen=True)
class ProgrammeTerms:
    """A programme's rules; empty sets mean "any" (kinds, provinces, communes, fairs of the centre)."""

    level: Level
    funder: str
    funding_province_code: str | None
    valid_from: date
    valid_to: date
    support_percent: int
    cap_per_booth_vnd: int | None
    max_booths_per_exhibitor: int
    eligible_kinds: frozenset[str] = frozenset()
    cscnnt_only: bool = False
    eligible_provinces: frozenset[str] = frozenset()
    eligible_communes: frozenset[str] = frozenset()
    fair_ids: frozenset[str] = frozenset()
    base: SupportBase = SupportBase.GROSS

    def check(self) -> None:
        """Raise TermsInvalid naming the field when the terms cannot work."""
        if self.valid_to < self.valid_from:
            raise TermsInvalid("valid_to is before valid_from / hiệu lực đến trước hiệu lực từ", field="valid_to")
        if not 1 <= self.support_percent <= 100:
            raise TermsInvalid("support_percent must be 1..100", field="support_percent")
        if self.level is Level.LOCAL and not self.funding_province_code:
            raise TermsInvalid("a local programme names its funding province / KCĐP cần tỉnh cấp kinh phí",
                               field="funding_province_code")
        if self.level is Level.NATIONAL and self.funding_province_code:
            raise TermsInvalid("a national programme has no funding province", field="funding_province_code")

    def applies_to_fair(self, fair_id: str, starts_on: date) -> bool:
        """Whether a fair is in scope: listed (or any fair) and starting within the validity dates."""
        in_scope = not self.fair_ids or fair_id in self.fair_ids
        return in_scope and self.valid_from <= starts_on <= self.valid_to

    def refusal(self, who: Recipient) -> str | None:
        """Why ``who`` is not eligible, or None when it is."""
        if self.cscnnt_only and not who.is_cscnnt:
            return "not a rural industrial establishment (CSCNNT)"
        if self.eligible_kinds and who.kind not in self.eligible_kinds:
            return f"exhibitor kind {who.kind} not eligible"
        if self.eligible_provinces and who.province_code not in self.eligible_provinces:
            return f"province {who.province_code} not eligible"
        if self.eligible_communes and who.commune_code not in self.eligible_communes:
            return f"commune {who.commune_code} not eligible"
        return None

    def share_per_booth(self, booth_price: int, vat: VatRate) -> int:
        """The programme's share of one booth: percent of the base rounded down, then capped."""
        base = booth_price + (vat_amount(booth_price, vat) if self.base is SupportBase.GROSS else 0)
        # Rounded down: a programme never pays more than its stated percentage, even by one đồng.
        share = base * self.support_percent // 100
        return share if self.cap_per_booth_vnd is None else min(share, self.cap_per_booth_vnd)

    def funder_key(self) -> tuple[Level, str, str | None]:
        """Who pays: level, funder and funding province (what "the same funder" means for overlaps)."""
        return self.level, self.funder.strip().casefold(), self.funding_province_code

    def overlaps(self, other: ProgrammeTerms) -> bool:
        """Same funder, validity dates that meet and fair scopes that meet: one booth, two claims."""
        if self.funder_key() != other.funder_key():
            return False
        if self.valid_to < other.valid_from or other.valid_to < self.valid_from:
            return False
        return not self.fair_ids or not other.fair_ids or bool(self.fair_ids & other.fair_ids)


def support_note(*, name: str, percent: int, cap: int | None, booths: int, amount: str) -> str:
    """The line an invoice prints for the programme's share."""
    capped = f", tối đa {f'{cap:,}'.replace(',', '.')} đồng/gian" if cap is not None else ""
    return f"Kinh phí {name} hỗ trợ {percent}% giá thuê gian hàng{capped}: {amount} cho {booths} gian."


def exhausted_note(*, name: str, granted: str, requested: str) -> str:
    """What an invoice says when the programme's budget could not cover its share in full."""
    return (f"Kinh phí còn lại của {name} không đủ: chương trình hỗ trợ {granted} trên {requested}; "
            f"doanh nghiệp thanh toán phần còn lại. / {name} had only {granted} of {requested} left; "
            "the exhibitor pays the rest.")


def empty_budget_note(*, names: Sequence[str], another_pays: bool) -> str:
    """What an invoice says when programmes the exhibitor was eligible for had nothing left at all."""
    listed = ", ".join(names)
    if another_pays:
        return f"Chương trình {listed} đã hết kinh phí hỗ trợ. / {listed}: no support budget left."
    return (f"Chương trình {listed} đã hết kinh phí hỗ trợ; doanh nghiệp thanh toán toàn bộ. / "
            f"{listed}: no support budget left; the exhibitor pays in full.")


def first_overlap(terms: ProgrammeTerms, others: Sequence[tuple[str, ProgrammeTerms]]) -> str | None:
    """The id of the first other programme that ``terms`` overlaps, if any."""
    return next((pid for pid, other in others if terms.overlaps(other)), None)
