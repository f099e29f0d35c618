"""Unit tests for the allocation model and both solvers, with an independent checker of any solution."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.booths.domain.allocation.exact import solve_exact
from services.booths.domain.allocation.explain import explain
from services.booths.domain.allocation.greedy import place_one, solve_greedy
from services.booths.domain.allocation.model import Instance, Request, Solution, objective, upper_bound
from services.booths.domain.floorplan import Booth, build_grid
from services.booths.domain.zones import Zone, ZoneKind

# ---- the checker: written from the rules, sharing no code with the solvers ------------------------------


def _bare(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def allowed(booth: Booth, request: Request, zones: Sequence[Zone]) -> bool:
    """The zone rule, restated: own pavilion, else own sector's zones, else outside every zone."""
    pavilions = {z.code for z in zones if z.kind == "pavilion" and z.province_code == request.province_code}
    if request.province_code and pavilions:
        return booth.zone in pavilions
    sectors = {z.code for z in zones if z.kind == "sector" and request.sector
               and _bare(request.sector) in {_bare(s) for s in z.sectors}}
    if sectors:
        return booth.zone in sectors
    return booth.zone == ""


def one_block(booths: Sequence[Booth]) -> bool:
    """Wall to wall along one row of one hall."""
    ordered = sorted(booths, key=lambda b: b.x_m)
    same_line = len({(b.hall, b.row, b.y_m) for b in ordered}) == 1
    return same_line and all(abs(a.x_m + a.width_m - b.x_m) < 1e-9 for a, b in pairwise(ordered))


def free_blocks(free: Sequence[Booth], request: Request, zones: Sequence[Zone]) -> bool:
    """Whether some n free booths allowed to the request stand wall to wall in one row."""
    usable = sorted((b for b in free if allowed(b, request, zones)), key=lambda b: (b.hall, b.row, b.x_m))
    return any(one_block(usable[i:i + request.booths]) for i in range(len(usable) - request.booths + 1))


def check(instance: Instance, placements: Mapping[str, tuple[str, ...]], reported: int, *,
          maximal: bool = True) -> None:
    """Every rule of the model holds and the reported objective is the true one."""
    booths = {b.code: b for b in instance.booths}
    requests = {r.registration_id: r for r in instance.requests}
    used: list[str] = []
    value = 0
    for reg, codes in placements.items():
        request = requests[reg]
        block = [booths[c] for c in codes]
        assert len(codes) == request.booths, (reg, codes)
        assert one_block(block), codes
        assert all(allowed(b, request, instance.zones) for b in block), (reg, codes)
        used += codes
        value += (len(instance.requests) + 1) * (max(request.priority, 0) + 1)
        value += 1 if request.wants_corner and any(b.corner for b in block) else 0
    assert len(used) == len(set(used)), "a booth went to two requests"
    assert value == reported
    if maximal:
        free = [b for b in instance.booths if b.code not in set(used)]
        for request in instance.requests:
            if request.registration_id not in placements:
                assert not free_blocks(free, request, instance.zones), f"{request.registration_id} fits"


# ---- instances ------------------------------------------------------------------------------------------

ZONES = (Zone("TCMN", "Thủ công mỹ nghệ", ZoneKind.SECTOR, sectors=("thủ công mỹ nghệ",)),
         Zone("PV08", "Tuyên Quang", ZoneKind.PAVILION, province_code="08"))


@st.composite
def instances(draw: st.DrawFn, max_booths: int = 30, max_requests: int = 12) -> Instance:
    per_row = draw(st.integers(2, 8))
    capacity = draw(st.integers(1, max_booths))
    grid = build_grid(capacity, per_row, draw(st.integers(0, 4)))
    zone_of_row = draw(st.lists(st.sampled_from(["", "", "TCMN", "PV08"]), min_size=30, max_size=30))
    zoned = [replace(b, zone=zone_of_row[ord(b.row[-1]) - ord("A")]) for b in grid]
    free = [b for b, keep in zip(zoned, draw(st.lists(st.booleans(), min_size=len(zoned), max_size=len(zoned))),
                                 strict=True) if keep or len(zoned) < 3]
    requests = tuple(Request(registration_id=f"r{i}", booths=draw(st.integers(1, 3)), priority=draw(st.integers(0, 20)),
                             sector=draw(st.sampled_from(["", "Thủ công mỹ nghệ", "thu cong my nghe", "cơ khí"])),
                             province_code=draw(st.sampled_from([None, "08", "24"])),
                             wants_corner=draw(st.booleans()), rank=i)
                     for i in range(draw(st.integers(0, max_requests))))
    return Instance(booths=tuple(free), zones=ZONES, requests=requests)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestBothSolversObeyTheModel:
    @SETTINGS
    @given(instances())
    def test_the_heuristic(self, instance: Instance) -> None:
        solution = solve_greedy(instance)
        check(instance, solution.placements, solution.objective)
        assert solution.status == "heuristic" and solution.bound is None

    @SETTINGS
    @given(instances())
    def test_cp_sat_is_optimal_and_never_worse_than_the_heuristic(self, instance: Instance) -> None:
        quick = solve_greedy(instance)
        exact = solve_exact(instance, time_limit_s=10, workers=1)
        assert exact.status == "optimal"
        check(instance, exact.placements, exact.objective)
        assert exact.objective >= quick.objective
        assert exact.bound == exact.objective and exact.gap == 0
        assert exact.objective <= upper_bound(instance)

    @SETTINGS
    @given(instances())
    def test_every_request_gets_a_decision_with_its_reason(self, instance: Instance) -> None:
        solution = solve_greedy(instance)
        decisions = explain(instance, solution.placements)
        assert [d.registration_id for d in decisions] == [r.registration_id for r in instance.requests]
        for decision in decisions:
            assert " / " in decision.reason
            assert decision.met == (decision.registration_id in solution.placements)


def grid_requests(*specs: tuple[int, int]) -> tuple[Request, ...]:
    return tuple(Request(registration_id=f"r{i}", booths=n, priority=p, rank=i) for i, (n, p) in enumerate(specs))


class TestDecisions:
    def test_priority_decides_who_gets_the_last_booths_and_the_loser_is_told_why(self) -> None:
        instance = Instance(booths=tuple(build_grid(3, 3)), requests=grid_requests((2, 1), (2, 30), (1, 5)))
        for solution in (solve_greedy(instance), solve_exact(instance, time_limit_s=5, workers=1)):
            assert set(solution.placements) == {"r1", "r2"}
            [unmet] = [d for d in explain(instance, solution.placements) if not d.met]
            assert unmet.registration_id == "r0"
            assert unmet.reason.startswith("các gian của khu chung đã dành cho hồ sơ ưu tiên cao hơn")

    def test_many_small_requests_beat_one_large_when_they_weigh_more(self) -> None:
        instance = Instance(booths=tuple(build_grid(3, 3)), requests=grid_requests((3, 10), (1, 8), (1, 8), (1, 8)))
        assert objective(instance, solve_greedy(instance).placements) == 5 * 27
        assert set(solve_exact(instance, time_limit_s=5, workers=1).placements) == {"r1", "r2", "r3"}

    def test_a_pavilion_is_kept_for_its_province(self) -> None:
        plan = [replace(b, zone="PV08" if b.row == "A" else "") for b in build_grid(6, 3)]
        requests = (Request("tq", 1, province_code="08"), Request("bn", 3, province_code="24", priority=50))
        instance = Instance(booths=tuple(plan), zones=ZONES, requests=requests)
        solution = solve_exact(instance, time_limit_s=5, workers=1)
        assert solution.placements == {"tq": ("A01",), "bn": ("B01", "B02", "B03")}
        reasons = {d.registration_id: d.reason for d in explain(instance, solution.placements)}
        assert "gian tỉnh Tuyên Quang (PV08)" in reasons["tq"]

    def test_corner_wishes_are_granted_when_possible(self) -> None:
        requests = (Request("plain", 1, rank=0), Request("corner", 1, wants_corner=True, rank=1))
        instance = Instance(booths=tuple(build_grid(3, 3)), requests=requests)
        for solution in (solve_greedy(instance), solve_exact(instance, time_limit_s=5, workers=1)):
            assert instance.by_code[solution.placements["corner"][0]].corner
            check(instance, solution.placements, solution.objective)
        reason = {d.registration_id: d.reason for d in explain(instance, solve_greedy(instance).placements)}["corner"]
        assert "gian góc theo nguyện vọng" in reason

    def test_no_booths_in_the_area_says_so(self) -> None:
        requests = (Request("tq", 1, province_code="08"),)
        instance = Instance(booths=tuple(build_grid(3, 3)), zones=ZONES, requests=requests)
        [decision] = explain(instance, solve_greedy(instance).placements)
        assert decision.reason.startswith("không có gian trống trong gian tỉnh Tuyên Quang")

    def test_place_one_takes_a_whole_stretch_end_and_spares_corners(self) -> None:
        grid = build_grid(10, 10)
        free = [b for b in grid if b.code not in {"A05"}]
        instance = Instance(booths=tuple(free))
        block = place_one(instance, Request("r", 3))
        assert block is not None and [b.code for b in block] == ["A02", "A03", "A04"]  # A01–A04 fits tightest

    def test_an_empty_instance(self) -> None:
        solution = solve_exact(Instance(booths=()), time_limit_s=1, workers=1)
        assert solution.placements == {} and solution.status == "optimal"

    def test_a_request_needs_a_booth(self) -> None:
        with pytest.raises(ValueError):
            Request("r", 0)


def test_the_gap_is_relative_to_the_bound() -> None:
    assert Solution("cp-sat", {}, 90, "feasible", 1.0, bound=100).gap == pytest.approx(0.1)
    assert Solution("heuristic", {}, 90, "heuristic", 0.1).gap is None
