"""Unit tests for the pieces an approval is placed with (vacancy.py): free booths folded into stretches as
floorplan.runs would cut them, the heuristic's block chosen on those stretches as on the booths themselves,
and what is left of a stretch once a block is taken — on grids and on hand-drawn plans of uneven booths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.booths.domain.allocation.greedy import best_fit, place_one
from services.booths.domain.allocation.model import Instance, Request
from services.booths.domain.floorplan import Booth, HallGrid, build_halls, plan_order, runs
from services.booths.domain.geometry import RawBooth, lay_out
from services.booths.domain.zones import Zone, ZoneKind, area_for
from services.booths.service.vacancy import Stretch, fold, free_count

ZONES = (Zone("TCMN", "Thủ công mỹ nghệ", ZoneKind.SECTOR, sectors=("thủ công mỹ nghệ",)),
         Zone("PV08", "Tuyên Quang", ZoneKind.PAVILION, province_code="08"))


@st.composite
def grid_plans(draw: st.DrawFn) -> list[Booth]:
    """One or two halls of standard booths with cross aisles and reserved cells."""
    halls = []
    for index in range(draw(st.integers(1, 2))):
        rows, per_row = draw(st.integers(1, 4)), draw(st.integers(1, 9))
        cells = [f"{chr(65 + r)}{c + 1:02d}" for r in range(rows) for c in range(per_row)]
        halls.append(HallGrid(code=f"H{index + 1}", rows=rows, booths_per_row=per_row,
                              aisle_every=draw(st.integers(0, 4)),
                              reserved=frozenset(draw(st.lists(st.sampled_from(cells), max_size=3)))))
    return build_halls(halls)


@st.composite
def drawn_plans(draw: st.DrawFn) -> list[Booth]:
    """Booths of uneven widths drawn by hand: some wall to wall, some with a gap between them."""
    raw = []
    for line in range(draw(st.integers(1, 3))):
        x = 0.0
        for _ in range(draw(st.integers(1, 8))):
            width = draw(st.sampled_from([3.0, 3.0, 4.5, 2.5]))
            raw.append(RawBooth(code=f"B{len(raw) + 1}", x_m=x, y_m=line * 6.0, width_m=width, depth_m=3.0))
            x += width + draw(st.sampled_from([0.0, 0.0, 0.0, 1.5]))
    return lay_out(raw)


@st.composite
def situations(draw: st.DrawFn) -> tuple[list[Booth], list[Booth], Request]:
    """A plan with zones on some rows, the booths still free, and one request."""
    plan = draw(st.one_of(grid_plans(), drawn_plans()))
    zone_of = {key: draw(st.sampled_from(["", "", "TCMN", "PV08"])) for key in sorted({(b.hall, b.row) for b in plan})}
    plan = [replace(b, zone=zone_of[(b.hall, b.row)]) for b in plan]
    taken = draw(st.sets(st.integers(0, max(len(plan) - 1, 0)), max_size=len(plan) // 2))
    free = [b for i, b in enumerate(plan) if i not in taken]
    request = Request("r", draw(st.integers(1, 4)), sector=draw(st.sampled_from(["", "Thủ công mỹ nghệ", "cơ khí"])),
                      province_code=draw(st.sampled_from([None, "08", "24"])), wants_corner=draw(st.booleans()))
    return plan, free, request


def as_rows(free: Sequence[Booth]) -> list[tuple[str, str, float, float, float, bool]]:
    """What the stretch query returns: bare columns ordered by hall, row, x."""
    return [(b.hall, b.row, b.x_m, b.y_m, b.width_m, b.corner)
            for b in sorted(free, key=lambda b: (b.hall, b.row, b.x_m))]


def summary(run: Sequence[Booth]) -> Stretch:
    return Stretch(run[0].hall, run[0].row, run[0].x_m, len(run), tuple(i for i, b in enumerate(run) if b.corner))


def area_free(free: Sequence[Booth], request: Request) -> list[Booth]:
    area = area_for(ZONES, sector=request.sector, province_code=request.province_code)
    return [b for b in free if area.admits(b.zone)]


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestFold:
    @SETTINGS
    @given(situations())
    def test_folds_free_booths_into_the_runs_of_the_plan_in_plan_order(self, situation) -> None:
        _, free, request = situation
        booths = area_free(free, request)
        stretches = fold(as_rows(booths))
        assert stretches == [summary(run) for run in runs(booths)]
        assert free_count(stretches) == len(booths)

    def test_an_aisle_a_reserved_cell_and_a_gap_each_cut_a_row(self) -> None:
        plan = build_halls([HallGrid(rows=1, booths_per_row=8, aisle_every=3, reserved=frozenset({"A07"}))])
        stretches = fold(as_rows([b for b in plan if b.code != "A02"]))
        assert [(s.x_m, s.length, s.corners) for s in stretches] == [(0, 1, (0,)), (6, 1, (0,)), (12, 3, (0, 2)),
                                                                      (27, 1, (0,))]


class TestBestFitOnStretches:
    @SETTINGS
    @given(situations())
    def test_chooses_the_block_the_heuristic_chooses_on_the_free_booths(self, situation) -> None:
        _, free, request = situation
        booths = area_free(free, request)
        stretches = fold(as_rows(booths))
        choice = best_fit([s.length for s in stretches],
                          lambda index, start: stretches[index].corner_within(start, request.booths), request)
        expected = place_one(Instance(booths=tuple(free), zones=ZONES), request)
        if expected is None:
            assert choice is None
            return
        assert choice is not None
        index, start = choice
        chosen = runs(booths)[index][start:start + request.booths]
        assert [b.code for b in chosen] == [b.code for b in expected]

    @SETTINGS
    @given(situations())
    def test_what_is_left_of_a_stretch_is_what_folding_again_gives(self, situation) -> None:
        _, free, request = situation
        booths = area_free(free, request)
        stretches, cut = fold(as_rows(booths)), runs(booths)
        n = request.booths
        for index, stretch in enumerate(stretches):
            for start in {0, stretch.length - n} if stretch.length >= n else set():
                block = {b.code for b in cut[index][start:start + n]}
                after = cut[index][n].x_m if start == 0 and n < stretch.length else None
                rest = stretch.rest(start, n, after)
                again = [s for s in fold(as_rows([b for b in booths if b.code not in block]))
                         if (s.hall, s.row) == (stretch.hall, stretch.row)
                         and stretch.x_m <= s.x_m <= cut[index][-1].x_m]
                assert ([rest] if rest else []) == again

    def test_a_corner_counts_only_inside_the_block(self) -> None:
        stretch = Stretch("", "A", 3.0, 5, (4,))  # A02–A06 of a row A01–A06: only A06 is a corner
        assert not stretch.corner_within(0, 4) and stretch.corner_within(1, 4)
        assert stretch.rest(0, 2, 9.0) == Stretch("", "A", 9.0, 3, (2,))
        assert stretch.rest(3, 2, None) == Stretch("", "A", 3.0, 3, ())

    def test_a_block_inside_a_stretch_is_refused(self) -> None:
        with pytest.raises(ValueError):
            Stretch("", "A", 0.0, 5, (0, 4)).rest(1, 2, None)


def test_stretches_sort_in_plan_order_rows_aa_after_z() -> None:
    rows = [("", "AA", 0.0, 156.0, 3.0, True), ("", "B", 0.0, 6.0, 3.0, True), ("", "Z", 0.0, 150.0, 3.0, True)]
    assert [s.row for s in fold(rows)] == ["B", "Z", "AA"]
    assert sorted(["AA", "B", "Z"], key=lambda r: plan_order(Booth("x", r, 1, 0, 0, False))) == ["B", "Z", "AA"]
