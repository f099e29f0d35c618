"""The priority policy, pure: who comes first when booths are scarce, and why, in points.

Priority at a public fair is a matter of public policy, not of spend or loyalty (see docs/registration.md):
recognised "CNNT tiêu biểu" products, rural industrial establishments, establishments in mountain or
difficult communes, priority sectors, local establishments and earliness. Each fair carries its own
policy (the organizer may change the points); every score keeps the reasons that produced it, so an
organizer can explain each decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from shared.text import fold

RECOGNITION_LEVELS = ("provincial", "regional", "national")
LEVEL_NAMES = {"provincial": "cấp tỉnh / provincial", "regional": "cấp khu vực / regional",
               "national": "cấp quốc gia / national"}


@dataclass(frozen=True)
class Recognition:
    """A "sản phẩm CNNT tiêu biểu" certificate held by a product."""

    level: str
    certificate_no: str = ""
    year: int | None = None


@dataclass(frozen=True)
class Product:
    """A product of an exhibitor, with its recognition if it holds one."""

    name: str
    group: str = "other"
    recognition: Recognition | None = None


@dataclass(frozen=True)
class Applicant:
    """What the policy looks at: the exhibitor's profile and what it registers."""

    kind: str
    is_cscnnt: bool
    province_code: str
    commune_code: str | None
    sector: str
    products: Sequence[Product]
    registered_products: Sequence[str]
    submitted_at: datetime


@dataclass(frozen=True)
class Reason:
    """One line of a score: a code, the points and a sentence (Vietnamese / English)."""

    code: str
    points: int
    detail: str


@dataclass(frozen=True)
class Score:
    """A priority score and the reasons that add up to it."""

    points: int
    reasons: tuple[Reason, ...]

    def reasons_as_dicts(self) -> list[dict[str, Any]]:
        """The reasons as stored and returned."""
        return [asdict(r) for r in self.reasons]


@dataclass(frozen=True)
class PriorityPolicy:
    """Points per criterion; a fair stores its own copy (defaults below, documented in docs/registration.md)."""

    recognition_points: Mapping[str, int] = field(
        default_factory=lambda: {"national": 30, "regional": 20, "provincial": 10})
    cscnnt_points: int = 10
    difficult_commune_points: int = 15
    difficult_communes: tuple[str, ...] = ()
    priority_sector_points: int = 10
    priority_sectors: tuple[str, ...] = ()
    local_points: int = 0
    earliness_points: int = 10

    def to_dict(self) -> dict[str, Any]:
        """The policy as stored on a fair (JSON)."""
        data = asdict(self)
        data["recognition_points"] = dict(self.recognition_points)
        data["difficult_communes"] = list(self.difficult_communes)
        data["priority_sectors"] = list(self.priority_sectors)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PriorityPolicy:
        """A policy from its stored form; missing keys keep the defaults."""
        policy = cls()
        if not data:
            return policy
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("difficult_communes", "priority_sectors"):
            if key in known:
                known[key] = tuple(known[key])
        if "recognition_points" in known:
            known["recognition_points"] = {**policy.recognition_points, **known["recognition_points"]}
        return replace(policy, **known)


def score(policy: PriorityPolicy, applicant: Applicant, *, fair_province: str, opens_at: datetime,
          closes_at: datetime) -> Score:
    """The applicant's priority under the policy, with a reason for every point."""
    reasons = [r for r in (
        _recognition(policy, applicant),
        _flag(policy.cscnnt_points, applicant.is_cscnnt, "cscnnt",
              "Cơ sở công nghiệp nông thôn / rural industrial establishment"),
        _flag(policy.difficult_commune_points, applicant.commune_code in set(policy.difficult_communes),
              "difficult_commune", f"Cơ sở tại xã miền núi, khó khăn {applicant.commune_code} / "
                                   "establishment in a mountain or difficult commune"),
        _sector(policy, applicant),
        _flag(policy.local_points, applicant.province_code == fair_province, "local",
              "Cơ sở trong tỉnh tổ chức / establishment of the host province"),
        _earliness(policy, applicant.submitted_at, opens_at, closes_at),
    ) if r is not None]
    return Score(points=sum(r.points for r in reasons), reasons=tuple(reasons))


def _flag(points: int, holds: bool, code: str, detail: str) -> Reason | None:
    return Reason(code, points, detail) if holds and points else None


def _recognition(policy: PriorityPolicy, applicant: Applicant) -> Reason | None:
    """The best recognition among the registered products (all products when none are named); never summed."""
    wanted = {fold(name) for name in applicant.registered_products}
    shown = [p for p in applicant.products if not wanted or fold(p.name) in wanted]
    held = [p for p in shown if p.recognition and policy.recognition_points.get(p.recognition.level, 0) > 0]
    if not held:
        return None
    best = max(held, key=lambda p: policy.recognition_points[p.recognition.level])  # type: ignore[union-attr]
    rec = best.recognition
    assert rec is not None
    certificate = f", GCN {rec.certificate_no}" if rec.certificate_no else ""
    year = f" ({rec.year})" if rec.year else ""
    return Reason(f"cnnt_{rec.level}", policy.recognition_points[rec.level],
                  f"Sản phẩm CNNT tiêu biểu {LEVEL_NAMES[rec.level]}: {best.name}{certificate}{year}")


def _sector(policy: PriorityPolicy, applicant: Applicant) -> Reason | None:
    sector = fold(applicant.sector)
    match = next((s for s in policy.priority_sectors if sector and fold(s) == sector), None)
    if match is None or not policy.priority_sector_points:
        return None
    return Reason("priority_sector", policy.priority_sector_points,
                  f"Ngành hàng ưu tiên / priority sector: {match}")


def _earliness(policy: PriorityPolicy, submitted_at: datetime, opens_at: datetime,
               closes_at: datetime) -> Reason | None:
    """Full points at the opening of the window, none at its close, linear in between (rounded down)."""
    window = (closes_at - opens_at).total_seconds()
    if window <= 0 or not policy.earliness_points:
        return None
    left = (closes_at - submitted_at).total_seconds() / window
    points = int(policy.earliness_points * min(max(left, 0.0), 1.0))
    if points <= 0:
        return None
    return Reason("earliness", points, f"Đăng ký sớm / early registration ({round(left * 100)}% of the window left)")
