"""Floor plans of standard 3 m × 3 m booths in rows, and search for blocks of adjacent free booths.

Rows are lettered A, B, … Z, AA, AB, … from the front of each hall; booths are numbered from 1 within a
row. Rows are separated by a 3 m aisle, and a row may be cut into blocks by 3 m cross aisles or by
reserved cells (a pillar, a stage). Corners and adjacency come from the geometry, never from numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import groupby

__all__ = [
    "AISLE_WIDTH_M",
    "BOOTH_SIZE_M",
    "EPS_M",
    "Booth",
    "HallGrid",
    "adjacent",
    "blocks",
    "build_grid",
    "build_halls",
    "cells_outside",
    "find_block",
    "plan_order",
    "row_label",
    "rows_outside",
    "runs",
    "with_corners",
]

BOOTH_SIZE_M = 3
AISLE_WIDTH_M = 3
ROW_PITCH_M = BOOTH_SIZE_M + AISLE_WIDTH_M
EPS_M = 1e-6  # coordinates are metres as floats: compare with a tolerance


@dataclass(frozen=True)
class Booth:
    """A booth; ``x_m``/``y_m`` locate its front-left corner in metres within its hall."""

    code: str
    row: str
    col: int
    x_m: float
    y_m: float
    corner: bool
    hall: str = ""
    width_m: float = BOOTH_SIZE_M
    depth_m: float = BOOTH_SIZE_M
    zone: str = ""


@dataclass(frozen=True)
class HallGrid:
    """A hall laid out as a grid: ``rows`` × ``booths_per_row`` cells, minus the reserved ones."""

    code: str = ""
    rows: int = 1
    booths_per_row: int = 10
    aisle_every: int = 0
    reserved: frozenset[str] = frozenset()
    name: str = ""


def row_label(index: int) -> str:
    """Spreadsheet-style row letters: 0 → "A", 25 → "Z", 26 → "AA"."""
    if index < 0:
        raise ValueError(f"row index must be >= 0, got {index}")
    label = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        label = chr(ord("A") + rem) + label
    return label


def _row_sort_key(row: str) -> tuple[int, str]:
    """Order row labels as A…Z, AA…; plain string order would put "AA" before "B"."""
    return (len(row), row)


def plan_order(booth: Booth) -> tuple[str, tuple[int, str], float]:
    """Reading order: hall, then row from the front, then left to right."""
    return (booth.hall, _row_sort_key(booth.row), booth.x_m)


def _cell_code(hall: str, row: str, col: int, width: int) -> str:
    return f"{hall}-{row}{col:0{width}d}" if hall else f"{row}{col:0{width}d}"


def _check_grid_args(capacity: int, booths_per_row: int, aisle_every: int) -> None:
    if capacity < 0:
        raise ValueError(f"capacity must be >= 0, got {capacity}")
    if booths_per_row < 1:
        raise ValueError(f"booths_per_row must be >= 1, got {booths_per_row}")
    if aisle_every < 0:
        raise ValueError(f"aisle_every must be >= 0, got {aisle_every}")


def build_grid(capacity: int, booths_per_row: int = 10, aisle_every: int = 0, *, hall: str = "",
               reserved: Iterable[str] = ()) -> list[Booth]:
    """Lay out ``capacity`` booths row by row; a cross aisle follows every ``aisle_every`` booths.

    Reserved cells (by code, e.g. ``B05``) keep their place but hold no booth, and do not count.
    """
    _check_grid_args(capacity, booths_per_row, aisle_every)
    skip = set(reserved)
    width = max(2, len(str(booths_per_row)))
    booths: list[Booth] = []
    cell = 0
    while len(booths) < capacity:
        row_index, offset = divmod(cell, booths_per_row)
        cell += 1
        row = row_label(row_index)
        code = _cell_code(hall, row, offset + 1, width)
        if code in skip or f"{row}{offset + 1:0{width}d}" in skip:
            continue
        aisles_passed = offset // aisle_every if aisle_every else 0
        booths.append(Booth(code=code, row=row, col=offset + 1, hall=hall, corner=False,
                            x_m=offset * BOOTH_SIZE_M + aisles_passed * AISLE_WIDTH_M,
                            y_m=row_index * ROW_PITCH_M))
    return with_corners(booths)


def build_halls(halls: Sequence[HallGrid]) -> list[Booth]:
    """Every hall's grid; booth codes carry the hall's code when there are several halls."""
    booths: list[Booth] = []
    for hall in halls:
        capacity = hall.rows * hall.booths_per_row - _reserved_inside(hall)
        booths.extend(build_grid(capacity, hall.booths_per_row, hall.aisle_every, hall=hall.code,
                                 reserved=hall.reserved))
    return booths


def _cells(hall: HallGrid) -> set[str]:
    """Every cell of the hall's grid, by full code (``H1-B05``) and by code within the hall (``B05``)."""
    width = max(2, len(str(hall.booths_per_row)))
    cells = {_cell_code(hall.code, row_label(r), c + 1, width)
             for r in range(hall.rows) for c in range(hall.booths_per_row)}
    return cells | {code.removeprefix(f"{hall.code}-") for code in cells}


def _reserved_inside(hall: HallGrid) -> int:
    cells = _cells(hall)
    return sum(1 for code in hall.reserved if code in cells)


def cells_outside(hall: HallGrid, codes: Iterable[str]) -> list[str]:
    """The codes that name no cell of the hall's grid (``Z99`` in a 7-row hall), in the order given."""
    cells = _cells(hall)
    return [code for code in codes if code not in cells]


def rows_outside(hall: HallGrid, rows: Iterable[str]) -> list[str]:
    """The row labels the hall does not have (``Q`` in a hall of rows A–G), in the order given."""
    labels = {row_label(r) for r in range(hall.rows)}
    return [row for row in rows if row not in labels]


def adjacent(a: Booth, b: Booth) -> bool:
    """Same hall and row, wall to wall (no aisle or reserved cell between them)."""
    if a.hall != b.hall or a.row != b.row or abs(a.y_m - b.y_m) > EPS_M:
        return False
    return abs(a.x_m + a.width_m - b.x_m) <= EPS_M or abs(b.x_m + b.width_m - a.x_m) <= EPS_M


def runs(booths: Iterable[Booth]) -> list[list[Booth]]:
    """Maximal runs of booths standing wall to wall in one row, in plan order."""
    unique = {booth.code: booth for booth in booths}.values()
    ordered = sorted(unique, key=plan_order)
    found: list[list[Booth]] = []
    for _, row_booths in groupby(ordered, key=lambda booth: (booth.hall, booth.row)):
        run: list[Booth] = []
        for booth in row_booths:
            if run and adjacent(run[-1], booth):
                run.append(booth)
            else:
                if run:
                    found.append(run)
                run = [booth]
        if run:
            found.append(run)
    return found


def blocks(booths: Iterable[Booth], n: int) -> list[tuple[Booth, ...]]:
    """Every block of ``n`` adjacent booths in one row, in plan order."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return [tuple(run[i:i + n]) for run in runs(booths) for i in range(len(run) - n + 1)]


def find_block(free: Sequence[Booth], n: int) -> list[Booth] | None:
    """First run (by row, then number) of ``n`` adjacent free booths in one row, or None."""
    found = blocks(free, n)
    return list(found[0]) if found else None


def with_corners(booths: Sequence[Booth]) -> list[Booth]:
    """The booths with ``corner`` set from the geometry: open on a side, at a row's end or an aisle."""
    inner: set[str] = set()
    for run in runs(booths):
        inner.update(booth.code for booth in run[1:-1])
    return [replace(booth, corner=booth.code not in inner) for booth in booths]
