"""Unit tests for services.booths.domain.floorplan."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.booths.domain.csvplan import parse_plan_csv
from services.booths.domain.floorplan import (
    AISLE_WIDTH_M,
    BOOTH_SIZE_M,
    Booth,
    HallGrid,
    adjacent,
    blocks,
    build_grid,
    build_halls,
    find_block,
    row_label,
    runs,
)
from services.booths.domain.geometry import PlanError, RawBooth, lay_out, neighbours, overlaps


def by_code(booths: list[Booth]) -> dict[str, Booth]:
    """Index booths by code."""
    return {b.code: b for b in booths}


def test_grid_of_25_in_rows_of_10() -> None:
    grid = build_grid(25)
    assert len(grid) == 25
    assert [b.code for b in grid[:3]] == ["A01", "A02", "A03"]
    assert [b.code for b in grid[-2:]] == ["C04", "C05"]
    booths = by_code(grid)
    assert (booths["A01"].x_m, booths["A01"].y_m) == (0, 0)
    assert (booths["A10"].x_m, booths["A10"].y_m) == (27, 0)
    assert (booths["B01"].x_m, booths["B01"].y_m) == (0, 6)
    assert (booths["C05"].x_m, booths["C05"].y_m) == (12, 12)
    corners = {b.code for b in grid if b.corner}
    assert corners == {"A01", "A10", "B01", "B10", "C01", "C05"}


def test_grid_with_aisles() -> None:
    grid = by_code(build_grid(10, booths_per_row=10, aisle_every=4))
    xs = [grid[f"A{c:02d}"].x_m for c in range(1, 11)]
    assert xs == [0, 3, 6, 9, 15, 18, 21, 24, 30, 33]
    corners = sorted(code for code, b in grid.items() if b.corner)
    assert corners == ["A01", "A04", "A05", "A08", "A09", "A10"]
    assert not adjacent(grid["A04"], grid["A05"])
    assert adjacent(grid["A03"], grid["A04"])
    assert adjacent(grid["A05"], grid["A04"]) is False


def test_aisle_every_at_least_row_length_changes_nothing() -> None:
    assert build_grid(23, 5, aisle_every=5) == build_grid(23, 5)
    assert build_grid(23, 5, aisle_every=7) == build_grid(23, 5)


def test_malypho_fair_seventy_booths() -> None:
    grid = build_grid(70, booths_per_row=12, aisle_every=6)
    assert len(grid) == 70
    assert grid[-1].code == "F10"
    assert grid[-1].corner
    assert len({b.code for b in grid}) == 70


def test_long_rows_widen_numbers_and_many_rows_use_double_letters() -> None:
    grid = build_grid(2000, booths_per_row=100)
    assert grid[0].code == "A001"
    assert grid[-1].code == "T100"
    many = build_grid(300, booths_per_row=10)
    assert many[260].code == "AA01"
    assert many[260].y_m == 26 * 6


@pytest.mark.parametrize(
    ("index", "label"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")]
)
def test_row_label(index: int, label: str) -> None:
    assert row_label(index) == label


def test_empty_grid() -> None:
    assert build_grid(0) == []


@pytest.mark.parametrize(("capacity", "per_row", "aisle"), [(-1, 10, 0), (10, 0, 0), (10, 10, -1)])
def test_grid_rejects_bad_arguments(capacity: int, per_row: int, aisle: int) -> None:
    with pytest.raises(ValueError):
        build_grid(capacity, per_row, aisle)


def test_adjacency_needs_same_row() -> None:
    grid = by_code(build_grid(20))
    assert adjacent(grid["A01"], grid["A02"])
    assert adjacent(grid["A02"], grid["A01"])
    assert not adjacent(grid["A01"], grid["A03"])
    assert not adjacent(grid["A10"], grid["B01"])
    assert not adjacent(grid["A01"], grid["B01"])
    assert not adjacent(grid["A01"], grid["A01"])


def test_find_block_first_by_row_then_col() -> None:
    grid = by_code(build_grid(30))
    free = [grid[c] for c in ["C01", "C02", "C03", "A05", "A07", "A08", "B02", "B03", "B04"]]
    assert [b.code for b in find_block(free, 2) or []] == ["A07", "A08"]
    assert [b.code for b in find_block(free, 3) or []] == ["B02", "B03", "B04"]
    assert find_block(free, 4) is None
    assert [b.code for b in find_block(free, 1) or []] == ["A05"]


def test_find_block_does_not_cross_aisle() -> None:
    grid = by_code(build_grid(10, aisle_every=4))
    free = [grid[c] for c in ["A03", "A04", "A05", "A06"]]
    assert [b.code for b in find_block(free, 2) or []] == ["A03", "A04"]
    assert find_block(free, 3) is None


def test_find_block_orders_rows_beyond_z() -> None:
    grid = build_grid(300, booths_per_row=10)
    free = [b for b in grid if b.row in ("AA", "B")]
    block = find_block(free, 2)
    assert block is not None
    assert block[0].row == "B"


def test_find_block_ignores_input_order_and_duplicates() -> None:
    grid = build_grid(20)
    free = [*grid[12:15], grid[13]]
    random.Random(7).shuffle(free)
    assert [b.code for b in find_block(free, 3) or []] == ["B03", "B04", "B05"]


def test_find_block_rejects_n_below_one() -> None:
    with pytest.raises(ValueError):
        find_block(build_grid(5), 0)


def test_find_block_on_empty() -> None:
    assert find_block([], 1) is None


def brute_force_first_block(plan: list[Booth], free: list[Booth], n: int) -> list[Booth] | None:
    """Every window of n consecutive booths of the full plan, first one that is all free and chained."""
    free_codes = {b.code for b in free}
    rows: dict[str, list[Booth]] = {}
    for booth in plan:
        rows.setdefault(booth.row, []).append(booth)
    for row in sorted(rows, key=lambda r: (len(r), r)):
        booths = sorted(rows[row], key=lambda b: b.col)
        for start in range(len(booths) - n + 1):
            window = booths[start : start + n]
            chained = all(adjacent(a, b) for a, b in pairwise(window))
            if chained and all(b.code in free_codes for b in window):
                return window
    return None


@st.composite
def plans(draw: st.DrawFn) -> tuple[list[Booth], list[Booth], int]:
    """A small plan, a free subset of it and a block size."""
    capacity = draw(st.integers(min_value=0, max_value=40))
    per_row = draw(st.integers(min_value=1, max_value=8))
    aisle = draw(st.integers(min_value=0, max_value=4))
    plan = build_grid(capacity, per_row, aisle)
    mask = draw(st.lists(st.booleans(), min_size=capacity, max_size=capacity))
    free = [b for b, keep in zip(plan, mask, strict=True) if keep]
    n = draw(st.integers(min_value=1, max_value=6))
    return plan, free, n


@given(plans())
def test_find_block_matches_brute_force(case: tuple[list[Booth], list[Booth], int]) -> None:
    plan, free, n = case
    block = find_block(free, n)
    expected = brute_force_first_block(plan, free, n)
    if block is None:
        assert expected is None
        return
    assert len(block) == n
    assert all(b in free for b in block)
    assert len({b.row for b in block}) == 1
    assert all(b.col - a.col == 1 for a, b in pairwise(block))
    assert all(adjacent(a, b) for a, b in pairwise(block))
    assert block == expected


@given(
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=0, max_value=6),
)
def test_grid_invariants(capacity: int, per_row: int, aisle: int) -> None:
    grid = build_grid(capacity, per_row, aisle)
    assert len(grid) == capacity
    assert len({b.code for b in grid}) == capacity
    # no two booths overlap on the floor
    assert len({(b.x_m, b.y_m) for b in grid}) == capacity
    for a, b in pairwise(grid):
        if a.row == b.row:
            gap = b.x_m - a.x_m
            assert gap in (BOOTH_SIZE_M, BOOTH_SIZE_M + AISLE_WIDTH_M)
            # a booth beside a cross aisle is a corner
            if gap > BOOTH_SIZE_M:
                assert a.corner and b.corner
            assert adjacent(a, b) == (gap == BOOTH_SIZE_M)
        else:
            assert a.corner and b.corner
    if grid:
        assert grid[0].corner and grid[-1].corner


def test_reserved_cells_keep_their_place_and_cut_the_row() -> None:
    grid = by_code(build_grid(9, booths_per_row=5, reserved=["A03"]))
    assert "A03" not in grid
    assert [code for code in grid][:4] == ["A01", "A02", "A04", "A05"]
    assert grid["A04"].x_m == 9
    assert not adjacent(grid["A02"], grid["A04"])
    assert grid["A02"].corner and grid["A04"].corner
    assert len(grid) == 9 and "B05" in grid


def test_halls_prefix_their_codes_and_count_reserved_cells_out() -> None:
    booths = build_halls([HallGrid(code="H1", rows=2, booths_per_row=4, reserved=frozenset({"B02"})),
                          HallGrid(code="H2", rows=1, booths_per_row=3, aisle_every=2)])
    codes = [b.code for b in booths]
    assert codes[:4] == ["H1-A01", "H1-A02", "H1-A03", "H1-A04"]
    assert "H1-B02" not in codes and len(codes) == 7 + 3
    h2 = [b for b in booths if b.hall == "H2"]
    assert [b.x_m for b in h2] == [0, 3, 9]
    assert not adjacent(h2[0], booths[0])  # different halls never touch


def test_blocks_and_runs_follow_the_walls() -> None:
    grid = build_grid(10, booths_per_row=10, aisle_every=4)
    assert [[b.code for b in run] for run in runs(grid)] == [
        ["A01", "A02", "A03", "A04"], ["A05", "A06", "A07", "A08"], ["A09", "A10"]]
    assert [tuple(b.code for b in block) for block in blocks(grid, 3)] == [
        ("A01", "A02", "A03"), ("A02", "A03", "A04"), ("A05", "A06", "A07"), ("A06", "A07", "A08")]
    assert find_block(grid[8:], 3) is None


class TestLayOut:
    def raw(self, code: str, x: float, y: float, w: float = 3, d: float = 3, hall: str = "", line: int = 0) -> RawBooth:
        return RawBooth(code=code, x_m=x, y_m=y, width_m=w, depth_m=d, hall=hall, line=line or None)

    def test_rows_by_front_line_numbered_left_to_right_with_corners_from_geometry(self) -> None:
        booths = by_code(lay_out([self.raw("X2", 3, 0), self.raw("X1", 0, 0), self.raw("X3", 9, 0),
                                  self.raw("Y1", 0, 9, w=6), self.raw("Y2", 6, 9)]))
        assert (booths["X1"].row, booths["X1"].col, booths["X2"].col, booths["X3"].col) == ("A", 1, 2, 3)
        assert booths["Y1"].row == "B"
        assert booths["X1"].corner and booths["X2"].corner and booths["X3"].corner  # X3 stands apart
        assert adjacent(booths["Y1"], booths["Y2"])

    def test_neighbours_share_a_wall_side_by_side_or_back_to_back(self) -> None:
        booths = lay_out([self.raw("A1", 0, 0), self.raw("A2", 3, 0), self.raw("B1", 0, 3), self.raw("C1", 3, 3)])
        assert neighbours(booths) == {"A1": ["A2", "B1"], "A2": ["A1", "C1"], "B1": ["A1", "C1"],
                                      "C1": ["A2", "B1"]}

    def test_overlapping_booths_are_refused_naming_both_lines(self) -> None:
        with pytest.raises(PlanError) as caught:
            lay_out([self.raw("A1", 0, 0, line=2), self.raw("A2", 3, 0, line=3), self.raw("A3", 5, 1, line=4)])
        [issue] = caught.value.issues
        assert issue.line == 4 and "A3" in issue.message and "A2" in issue.message and "dòng 3" in issue.message
        assert caught.value.status == 422

    def test_touching_walls_and_other_halls_do_not_overlap(self) -> None:
        assert overlaps([self.raw("A1", 0, 0), self.raw("A2", 3, 0), self.raw("B1", 0, 3)]) == []
        assert overlaps([self.raw("A1", 0, 0, hall="H1"), self.raw("A1b", 0, 0, hall="H2")]) == []

    def test_duplicate_codes_are_refused(self) -> None:
        with pytest.raises(PlanError) as caught:
            lay_out([self.raw("A1", 0, 0, line=2), self.raw("A1", 6, 0, line=3)])
        assert caught.value.issues[0].line == 3 and "dòng 2" in caught.value.issues[0].message

    @given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 3)), min_size=1, max_size=12, unique=True))
    def test_grid_cells_never_overlap_and_corners_are_run_ends(self, cells: list[tuple[int, int]]) -> None:
        booths = lay_out([self.raw(f"C{x}{y}", x * 3, y * 6) for x, y in cells])
        for run in runs(booths):
            assert run[0].corner and run[-1].corner
            assert not any(b.corner for b in run[1:-1])


class TestCsv:
    HEADER = "code,hall,x,y,width,depth,zone\n"

    def test_reads_every_column_with_defaults_for_size(self) -> None:
        raw = parse_plan_csv("\ufeffCode,X,Y,Zone\nA01,0,0,TCMN\nA02,3,0,\n", zones={"TCMN"})
        assert [(r.code, r.x_m, r.width_m, r.zone, r.line) for r in raw] == [
            ("A01", 0.0, 3.0, "TCMN", 2), ("A02", 3.0, 3.0, "", 3)]

    @pytest.mark.parametrize(("text", "line", "field"), [
        ("", 1, "csv"),
        ("code,x\nA01,0\n", 1, "y"),
        ("code,x,y,colour\nA01,0,0,red\n", 1, "colour"),
        (HEADER + "A01,,0,0,3,3,\nA 02,,3,0,3,3,\n", 3, "code"),
        (HEADER + "A01,,zero,0,3,3,\n", 2, "x"),
        (HEADER + "A01,,0,-3,3,3,\n", 2, "y"),
        (HEADER + "A01,,0,0,0,3,\n", 2, "width"),
        (HEADER + "A01,,0,0,3,3,NOPE\n", 2, "zone"),
        (HEADER, 2, "csv"),
    ])
    def test_names_the_line_and_column_of_every_issue(self, text: str, line: int, field: str) -> None:
        with pytest.raises(PlanError) as caught:
            parse_plan_csv(text, zones={"TCMN"})
        issue = caught.value.issues[0]
        assert (issue.line, issue.field) == (line, field)
        assert f"line {line}" in issue.as_error()["message"]  # type: ignore[operator]

    def test_collects_every_bad_line(self) -> None:
        with pytest.raises(PlanError) as caught:
            parse_plan_csv(self.HEADER + "A01,,x,0,3,3,\nA02,,0,0,3,3,\nA03,,0,y,3,3,\n", zones=())
        assert [i.line for i in caught.value.issues] == [2, 4]
