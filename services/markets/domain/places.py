"""A site's commune from its code, its current name, or its pre-July-2025 name (for importing old lists).

All reference data comes from `shared.reference.geo`: current communes, and `geo.former_communes()` for old names.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.reference import geo
from shared.text import fold


class UnknownCommune(LookupError):
    """No commune, or more than one, answers to the given name in the province."""


@dataclass(frozen=True, slots=True)
class ResolvedCommune:
    """A current commune, and the old unit it was found by (if it was)."""

    commune: geo.Commune
    former_name: str | None = None


def _current(name: str, province_code: str) -> list[geo.Commune]:
    """Current communes of the province named exactly `name` (with or without "xã"/"phường")."""
    wanted = fold(name)
    return [c for c in geo.search_communes(name, province_code, limit=50)
            if wanted in (fold(c.name), fold(c.full_name))]


def resolve_commune(text: str, *, province_code: str, district: str | None = None) -> ResolvedCommune:
    """The current commune of the province that `text` names: a 5-digit code, a current or a former name.

    `district` (an old huyện) narrows a former name that several districts share.
    """
    text = text.strip()
    if text.isdigit() and len(text) == 5:
        try:
            return ResolvedCommune(geo.commune(text))
        except KeyError:
            raise UnknownCommune(f"no commune has code {text}") from None
    if not text:
        raise UnknownCommune("a commune name or code is needed")
    current = _current(text, province_code)
    if len(current) == 1:
        return ResolvedCommune(current[0])
    formers = geo.former_communes(text, province_code, district=district)
    codes = sorted({f.new_code for f in formers})
    if len(codes) == 1:
        return ResolvedCommune(geo.commune(codes[0]), former_name=f"{formers[0].full_name}, {formers[0].district}")
    if len(current) > 1 or len(codes) > 1:
        options = [f"{c.code} {c.full_name}" for c in current] + [
            f"{f.full_name}, {f.district} → {f.new_code}" for f in formers]
        raise UnknownCommune(f"{text!r} is ambiguous in province {province_code}: {'; '.join(options[:6])}; "
                             "give the commune code or the old district")
    raise UnknownCommune(f"no commune, current or former, is named {text!r} in province {province_code}")
