"""The fast solver: requests in priority order, each on the best-fitting free block of its area. Pure.

Best fit keeps rows whole: a block is taken only at either end of a free stretch (never splitting it in
two), on the stretch it fills most tightly; a corner wish picks an end that is a corner, and a request
without one leaves corners to those who asked. Two orders are tried — by priority and by priority per
booth — and the better kept: the second wins when many small requests beat a few large ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from time import perf_counter

from services.booths.domain.allocation.model import Block, Instance, Request, Solution, objective
from services.booths.domain.floorplan import Booth, runs

Segments = list[list[Booth]]


def by_priority(request: Request) -> tuple[float, ...]:
    """Highest priority first; among equals the larger request (harder to fit), then the earlier."""
    return (-request.value, -request.booths, request.rank)


def by_density(request: Request) -> tuple[float, ...]:
    """Highest priority per booth first."""
    return (-request.value / request.booths, -request.value, request.rank)


REPAIR_WORK = 2000  # requests re-packed per area, in all its tries
ORDERS: tuple[Callable[[Request], tuple[float, ...]], ...] = (by_priority, by_density)


def solve_greedy(instance: Instance, *, repair_tries: int = 12) -> Solution:
    """Place as much priority as the greedy rule can; keep the better of the two orders, then repair."""
    started = perf_counter()
    best: dict[str, tuple[str, ...]] = {}
    best_value = -1
    for order in ORDERS:
        placements = place_in_order(instance, sorted(instance.requests, key=order))
        value = objective(instance, placements)
        if value > best_value:
            best, best_value = placements, value
    if repair_tries:
        best = repair(instance, best, tries=repair_tries)
    return Solution(solver="heuristic", placements=best, objective=objective(instance, best), status="heuristic",
                    seconds=perf_counter() - started)


def repair(instance: Instance, placements: dict[str, tuple[str, ...]], *, tries: int) -> dict[str, tuple[str, ...]]:
    """Within each area, try putting an unplaced request first and packing the area again; keep any gain.

    Greedy packing can strand a large request that a different order would have fitted; this gives the best
    few stranded requests of each area (``tries``) a second chance. Areas sharing a zone are left alone.
    """
    members: dict[str, list[Request]] = {}
    for request in instance.requests:
        members.setdefault(instance.area(request).key, []).append(request)
    zones_of = {key: set(key.split(",")) if key != "-" else {""} for key in members}
    result = dict(placements)
    for key, group in members.items():
        if any(zones_of[key] & zones_of[other] for other in members if other != key):
            continue
        result = _repair_area(instance, result, group, tries)
    return result


def _repair_area(instance: Instance, placements: dict[str, tuple[str, ...]], group: list[Request],
                 tries: int) -> dict[str, tuple[str, ...]]:
    ids = {r.registration_id for r in group}
    elsewhere = {code for reg, codes in placements.items() if reg not in ids for code in codes}
    area = instance.area(group[0])
    local = Instance(booths=tuple(b for b in instance.area_booths(area) if b.code not in elsewhere),
                     zones=instance.zones, requests=tuple(group))
    current = {reg: codes for reg, codes in placements.items() if reg in ids}
    value = objective(local, current)
    # Each try re-packs the whole area: fewer tries for crowded areas keep the heuristic fast.
    budget = min(tries, max(1, REPAIR_WORK // len(group)))
    stranded = sorted((r for r in group if r.registration_id not in current), key=by_priority)[:budget]
    for request in stranded:
        if request.registration_id in current:
            continue
        rest = sorted((r for r in group if r is not request),
                      key=lambda r: (r.registration_id not in current, by_priority(r)))
        trial = place_in_order(local, [request, *rest])
        trial_value = objective(local, trial)
        if trial_value > value:
            current, value = trial, trial_value
    return {**{reg: codes for reg, codes in placements.items() if reg not in ids}, **current}


def place_one(instance: Instance, request: Request) -> Block | None:
    """The block the heuristic gives one request on the instance's free booths, or None."""
    codes = place_in_order(instance, [request]).get(request.registration_id)
    return tuple(instance.by_code[code] for code in codes) if codes else None


def place_in_order(instance: Instance, ordered: Sequence[Request]) -> dict[str, tuple[str, ...]]:
    """Place requests one by one in the given order; a request with no fitting block is skipped."""
    taken: set[str] = set()
    segments: dict[str, Segments] = {}
    placements: dict[str, tuple[str, ...]] = {}
    for request in ordered:
        area = instance.area(request)
        if area.key not in segments:
            segments[area.key] = runs(b for b in instance.area_booths(area) if b.code not in taken)
        choice = _best_fit(segments[area.key], request)
        if choice is None:
            continue
        block = _take(segments[area.key], *choice, request.booths)
        taken.update(booth.code for booth in block)
        placements[request.registration_id] = tuple(booth.code for booth in block)
        # Areas sharing a zone with this block now hold stale stretches: rebuild them when next needed.
        touched = {booth.zone for booth in block}
        for key in [k for k in segments if k != area.key and _shares(k, touched)]:
            del segments[key]
    return placements


def _shares(area_key: str, zones: set[str]) -> bool:
    members = set(area_key.split(",")) if area_key != "-" else {""}
    return bool(members & zones)


def _best_fit(segments: Segments, request: Request) -> tuple[int, int] | None:
    """(stretch index, start) of the best block of the free stretches (see best_fit)."""
    n = request.booths
    return best_fit([len(stretch) for stretch in segments],
                    lambda index, start: any(booth.corner for booth in segments[index][start:start + n]), request)


def best_fit(lengths: Sequence[int], corner_within: Callable[[int, int], bool],
             request: Request) -> tuple[int, int] | None:
    """(stretch index, start) of the best block: corner wish, tightest fit, corners spared, plan order.

    ``lengths`` are those of the free stretches in plan order; ``corner_within(index, start)`` says whether
    the request's block from ``start`` of stretch ``index`` holds a corner booth (asked only for a block at
    either end of a stretch). Shared by the whole-fair heuristic and by one approval placed at once.
    """
    n, wants = request.booths, request.wants_corner
    best: tuple[tuple[int, int, int, int, int], tuple[int, int]] | None = None
    for index, length in enumerate(lengths):
        leftover = length - n
        if leftover < 0 or (best is not None and (0, leftover) > best[0][:2]):
            continue  # too short, or looser than a fit already found: cannot win
        for start in (0,) if leftover == 0 else (0, leftover):
            corner = corner_within(index, start)
            key = (1 if wants and not corner else 0, leftover, 1 if corner and not wants else 0, index, start)
            if best is None or key < best[0]:
                best = (key, (index, start))
        if best is not None and best[0][:3] == (0, 0, 0):
            break  # a perfect fit: nothing later can beat it
    return best[1] if best else None


def _take(segments: Segments, index: int, start: int, n: int) -> Block:
    stretch = segments[index]
    block = tuple(stretch[start:start + n])
    segments[index:index + 1] = [part for part in (stretch[:start], stretch[start + n:]) if part]
    return block
