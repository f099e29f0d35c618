"""Zones of a floor plan and which booths a registration may have. Pure.

A zone is either a sector zone (khu ngành hàng: booths for some sectors) or a province pavilion (a block
reserved for one province's exhibitors, as regional fairs do). The rule, in order:
1. the fair has a pavilion for the exhibitor's province → booths of that pavilion only;
2. else a sector zone lists the registration's sector → booths of those zones only;
3. else → booths outside every zone.
Nobody else gets a pavilion's booths, and sectors are matched without diacritics or case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from shared.text import fold


class ZoneKind(StrEnum):
    """What a zone is for."""

    SECTOR = "sector"
    PAVILION = "pavilion"


@dataclass(frozen=True)
class Zone:
    """A named area of the plan: for some sectors, or one province's pavilion."""

    code: str
    name: str
    kind: ZoneKind
    sectors: tuple[str, ...] = ()
    province_code: str | None = None


@dataclass(frozen=True)
class Area:
    """The booths a registration may have: those of ``zones``, or (when empty) those outside every zone."""

    zones: frozenset[str]
    vi: str
    en: str

    def admits(self, booth_zone: str) -> bool:
        """Whether a booth of zone ``booth_zone`` ('' for none) is in the area."""
        return booth_zone in self.zones if self.zones else booth_zone == ""

    @property
    def key(self) -> str:
        """A stable identity, for grouping requests that compete for the same booths."""
        return ",".join(sorted(self.zones)) or "-"


GENERAL = Area(frozenset(), "khu chung", "general area")


def area_for(zones: Sequence[Zone], *, sector: str, province_code: str | None) -> Area:
    """Where a registration's booths must be (see the module's rule)."""
    return _area_for(tuple(zones), sector, province_code)


@lru_cache(maxsize=4096)  # solvers ask for thousands of requests sharing a handful of answers
def _area_for(zones: tuple[Zone, ...], sector: str, province_code: str | None) -> Area:
    if province_code:
        pavilions = [z for z in zones if z.kind is ZoneKind.PAVILION and z.province_code == province_code]
        if pavilions:
            return _area(pavilions, "gian tỉnh", "province pavilion")
    wanted = fold(sector)
    if wanted:
        matching = [z for z in zones if z.kind is ZoneKind.SECTOR and wanted in {fold(s) for s in z.sectors}]
        if matching:
            return _area(matching, "khu ngành", "sector zone")
    return GENERAL


def _area(zones: Iterable[Zone], vi: str, en: str) -> Area:
    chosen = sorted(zones, key=lambda z: z.code)
    names = ", ".join(f"{z.name} ({z.code})" if z.name and z.name != z.code else z.code for z in chosen)
    return Area(frozenset(z.code for z in chosen), f"{vi} {names}", f"{en} {names}")
