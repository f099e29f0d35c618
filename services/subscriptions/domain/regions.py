"""Regions: named sets of provinces (current 2-digit codes), the areas of the ministry's three regional
centres. Data, not logic: the default split is the usual North / Centre & Central Highlands / South one
and can be replaced by the SUBSCRIPTIONS_REGIONS setting (a JSON object of region id → codes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.errors import Invalid


@dataclass(frozen=True)
class Region:
    """A named set of provinces, and the regional centre that usually covers it."""

    id: str
    name: str
    centre: str
    provinces: tuple[str, ...]


# The 34 provinces since 1 July 2025. The three centres' exact areas are set by ministry decisions
# (?, not checked): this is the geographic split, kept as data so that an operator can change it.
DEFAULT_REGIONS: tuple[Region, ...] = (
    Region("north", "Miền Bắc / North", "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp 1",
           ("01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25", "31", "33", "37")),
    Region("centre", "Miền Trung và Tây Nguyên / Centre and Central Highlands",
           "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp 2",
           ("38", "40", "42", "44", "46", "48", "51", "52", "56", "66", "68")),
    Region("south", "Miền Nam / South", "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp 3",
           ("75", "79", "80", "82", "86", "91", "92", "96")),
)


class Regions:
    """The regions in force: lookup by id, expansion of a filter into province codes."""

    def __init__(self, regions: Iterable[Region]) -> None:
        self._by_id = {r.id: r for r in regions}

    @classmethod
    def configured(cls, override: Mapping[str, Iterable[str]] | None = None) -> Regions:
        """The default regions, or the ones a setting gives (region id → province codes)."""
        if not override:
            return cls(DEFAULT_REGIONS)
        defaults = {r.id: r for r in DEFAULT_REGIONS}
        return cls(Region(rid, defaults[rid].name if rid in defaults else rid,
                          defaults[rid].centre if rid in defaults else "", tuple(codes))
                   for rid, codes in override.items())

    def all(self) -> list[Region]:
        """Every region, in the configured order."""
        return list(self._by_id.values())

    def get(self, region_id: str) -> Region | None:
        """A region by id (None when unknown)."""
        return self._by_id.get(region_id.strip().lower())

    def provinces_of(self, region_ids: Iterable[str], *, field: str = "regions") -> list[str]:
        """The province codes of some regions, in order, without duplicates; an unknown id is refused."""
        codes: list[str] = []
        for index, region_id in enumerate(region_ids):
            region = self.get(region_id)
            if region is None:
                raise Invalid(f"Vùng không tồn tại / unknown region {region_id!r} "
                              f"(known: {', '.join(self._by_id)})", field=f"{field}.{index}", code="unknown-region")
            codes.extend(c for c in region.provinces if c not in codes)
        return codes

    def allowed_for(self, *, region: str | None, provinces: Iterable[str]) -> frozenset[str]:
        """What a regional token may see: its provinces claim when given, else its region's provinces.
        A token bound to nothing (or to an unknown region) sees nothing: an empty set, never everything."""
        listed = frozenset(provinces)
        if listed:
            return listed
        found = self.get(region) if region else None
        return frozenset(found.provinces) if found else frozenset()
