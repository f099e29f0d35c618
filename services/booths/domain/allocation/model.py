"""The allocation model both solvers share: free booths, zones, requests, what a placement may be and
what it is worth. Pure.

A request is one approved registration asking for N booths. A placement gives it N free booths forming a
block in one row (wall to wall), inside the area its zone rules allow (see zones.py); each booth goes to
at most one request. The objective is the sum of the placed requests' policy priority (each worth its
``priority_score`` + 1, so a zero score still counts), then — never at the expense of one unit of
priority — the number of corner wishes granted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from services.booths.domain.floorplan import Booth, blocks, plan_order
from services.booths.domain.zones import Area, Zone, area_for


@dataclass(frozen=True)
class Request:
    """An approved registration waiting for ``booths`` booths."""

    registration_id: str
    booths: int
    priority: int = 0
    sector: str = ""
    province_code: str | None = None
    wants_corner: bool = False
    rank: int = 0  # arrival order: earlier approvals win ties
    exhibitor_id: str = ""

    def __post_init__(self) -> None:
        if self.booths < 1:
            raise ValueError(f"a request needs at least one booth, got {self.booths}")

    @property
    def value(self) -> int:
        """What placing it is worth, in priority units."""
        return max(self.priority, 0) + 1


Block = tuple[Booth, ...]


@dataclass(frozen=True)
class Instance:
    """One allocation problem: the fair's free booths, its zones and the waiting requests."""

    booths: tuple[Booth, ...]
    zones: tuple[Zone, ...] = ()
    requests: tuple[Request, ...] = ()

    @cached_property
    def scale(self) -> int:
        """Weight of one priority unit: more than all corner wishes together, so priority comes first."""
        return len(self.requests) + 1

    @cached_property
    def by_code(self) -> dict[str, Booth]:
        """The free booths by code."""
        return {booth.code: booth for booth in self.booths}

    @cached_property
    def by_id(self) -> dict[str, Request]:
        """The requests by registration id."""
        return {request.registration_id: request for request in self.requests}

    @cached_property
    def _areas(self) -> dict[str, Area]:
        return {r.registration_id: area_for(self.zones, sector=r.sector, province_code=r.province_code)
                for r in self.requests}

    def area(self, request: Request) -> Area:
        """Where the request's booths must be."""
        known = self._areas.get(request.registration_id)
        return known or area_for(self.zones, sector=request.sector, province_code=request.province_code)

    @cached_property
    def _area_booths(self) -> dict[str, list[Booth]]:
        return {}

    @cached_property
    def _blocks(self) -> dict[tuple[str, int], list[Block]]:
        return {}

    def area_booths(self, area: Area) -> list[Booth]:
        """The free booths of an area, in plan order."""
        return self._area_booths.setdefault(area.key, sorted(
            (b for b in self.booths if area.admits(b.zone)), key=plan_order))

    def candidates(self, request: Request) -> list[Block]:
        """Every block the request could have if nothing else were placed."""
        area = self.area(request)
        key = (area.key, request.booths)
        if key not in self._blocks:
            self._blocks[key] = blocks(self.area_booths(area), request.booths)
        return self._blocks[key]

    def worth(self, request: Request, block: Sequence[Booth]) -> int:
        """The objective's gain from placing ``request`` on ``block``."""
        corner = request.wants_corner and any(booth.corner for booth in block)
        return self.scale * request.value + (1 if corner else 0)


Placements = Mapping[str, tuple[str, ...]]
"""Registration id → the booth codes it gets (plan order)."""


def objective(instance: Instance, placements: Placements) -> int:
    """The model's objective of a set of placements (assumed valid)."""
    return sum(instance.worth(instance.by_id[reg], [instance.by_code[c] for c in codes])
               for reg, codes in placements.items())


def priority_sum(instance: Instance, placements: Placements) -> int:
    """The policy priority placed (the objective without the corner tie-break)."""
    return sum(instance.by_id[reg].value for reg in placements)


def upper_bound(instance: Instance) -> int:
    """Everyone placed, every corner wish granted: no solution can do better."""
    return sum(instance.scale * r.value + (1 if r.wants_corner else 0) for r in instance.requests)


@dataclass(frozen=True)
class Solution:
    """What a solver found: the placements, their objective, and how good it is known to be."""

    solver: str
    placements: dict[str, tuple[str, ...]]
    objective: int
    status: str  # "optimal", "feasible" (CP-SAT stopped by its time limit) or "heuristic"
    seconds: float
    bound: int | None = None  # a proven upper bound on the objective (CP-SAT)

    @property
    def gap(self) -> float | None:
        """Relative distance to the proven bound (0 when optimal), or None without a bound."""
        if self.bound is None:
            return None
        if self.bound <= 0:
            return 0.0
        return max(0.0, (self.bound - self.objective) / self.bound)
