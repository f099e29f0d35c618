"""Who may register for a fair, pure: the fair's eligibility rules against an exhibitor's profile."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.contracts.registration import EXHIBITOR_KIND_LABELS
from shared.errors import Rejected


def kind_name(kind: str) -> str:
    """How a kind is named in a sentence (Vietnamese / English); a kind no list knows, as it is."""
    names = EXHIBITOR_KIND_LABELS.get(kind)
    return f"{names[0].lower()} / {names[1].lower()}" if names else kind


@dataclass(frozen=True)
class EligibilityRules:
    """A fair's rules; an empty set means "no restriction"."""

    kinds: frozenset[str] = frozenset()
    cscnnt_only: bool = False
    home_provinces: frozenset[str] = frozenset()

    @classmethod
    def of(cls, *, kinds: Iterable[str], cscnnt_only: bool, home_provinces: Iterable[str]) -> EligibilityRules:
        """Rules from a fair's stored lists."""
        return cls(frozenset(kinds), cscnnt_only, frozenset(home_provinces))


def ineligibility_reasons(rules: EligibilityRules, *, kind: str, is_cscnnt: bool, province_code: str) -> list[str]:
    """Every rule the exhibitor fails, as sentences (Vietnamese / English); empty when it may register."""
    reasons: list[str] = []
    if rules.kinds and kind not in rules.kinds:
        allowed = ", ".join(kind_name(k) for k in sorted(rules.kinds))
        reasons.append(f"loại hình không thuộc diện tham gia / kind {kind} not admitted (admitted: {allowed})")
    if rules.cscnnt_only and not is_cscnnt:
        reasons.append("chỉ dành cho cơ sở công nghiệp nông thôn / rural industrial establishments only")
    if rules.home_provinces and province_code not in rules.home_provinces:
        allowed = ", ".join(sorted(rules.home_provinces))
        reasons.append(f"tỉnh {province_code} không thuộc diện tham gia / province not admitted (admitted: {allowed})")
    return reasons


def check_eligible(rules: EligibilityRules, *, kind: str, is_cscnnt: bool, province_code: str) -> None:
    """Refuse an exhibitor the fair's rules exclude, saying every rule it fails."""
    reasons = ineligibility_reasons(rules, kind=kind, is_cscnnt=is_cscnnt, province_code=province_code)
    if reasons:
        raise Rejected("Doanh nghiệp không đủ điều kiện tham gia / not eligible for this fair: " + "; ".join(reasons),
                       code="not-eligible")
