"""Unit tests for services.booths.domain.rules and zones: statuses, reasons, zone rules, checking a chosen block."""

from __future__ import annotations

import pytest

from services.booths.domain.allocation.model import Request
from services.booths.domain.floorplan import Booth, HallGrid, build_grid, cells_outside, rows_outside
from services.booths.domain.rules import (
    CLAIM_TRANSITIONS,
    REQUEST_TRANSITIONS,
    BoothStatus,
    ClaimState,
    RequestStatus,
    booth_status,
    check_selection,
    corner_count,
    release_reason,
    span_label,
)
from services.booths.domain.zones import GENERAL, Zone, ZoneKind, area_for
from shared.errors import Invalid, Rejected

ZONES = (
    Zone("TCMN", "Thủ công mỹ nghệ", ZoneKind.SECTOR, sectors=("Thủ công mỹ nghệ", "mây tre đan")),
    Zone("NLTS", "Nông lâm thủy sản", ZoneKind.SECTOR, sectors=("chế biến nông lâm thủy sản",)),
    Zone("PV08", "Tuyên Quang", ZoneKind.PAVILION, province_code="08"),
)


def booths(*codes: str, capacity: int = 20, per_row: int = 10) -> list[Booth]:
    """The booths of a grid with these codes."""
    plan = {booth.code: booth for booth in build_grid(capacity, per_row)}
    return [plan[code] for code in codes]


class TestLabels:
    def test_span_of_a_block_and_of_one_booth(self) -> None:
        assert span_label(["A03", "A04"]) == "A03–A04"
        assert span_label(["C05"]) == "C05"

    def test_span_needs_a_booth(self) -> None:
        with pytest.raises(ValueError):
            span_label([])

    @pytest.mark.parametrize(("cause", "expected"), [
        ("unpaid", "quá hạn thanh toán / invoice unpaid by the due date"),
        ("exhibitor", "doanh nghiệp hủy đăng ký / cancelled by the exhibitor"),
        ("hold_expired", "hết thời hạn giữ chỗ / the hold expired"),
        ("something_new", "đăng ký bị hủy (something_new) / registration cancelled (something_new)"),
    ])
    def test_release_reason_is_vietnamese_first(self, cause: str, expected: str) -> None:
        assert release_reason(cause) == expected

    def test_release_reason_carries_a_note(self) -> None:
        assert release_reason("moved", "sân khấu").endswith("— sân khấu")


class TestBoothStatus:
    @pytest.mark.parametrize(("blocked", "claim", "status"), [
        (False, None, BoothStatus.FREE),
        (False, ClaimState.HELD, BoothStatus.HELD),
        (False, ClaimState.ASSIGNED, BoothStatus.ASSIGNED),
        (True, None, BoothStatus.BLOCKED),
        (True, ClaimState.ASSIGNED, BoothStatus.ASSIGNED),
    ])
    def test_status(self, blocked: bool, claim: ClaimState | None, status: BoothStatus) -> None:
        assert booth_status(blocked=blocked, claim=claim) is status

    def test_corner_count(self) -> None:
        assert corner_count(booths("A01", "A02", "A10", "B05")) == 2


class TestZones:
    def test_a_pavilion_takes_its_provinces_exhibitors_whatever_their_sector(self) -> None:
        area = area_for(ZONES, sector="Thủ công mỹ nghệ", province_code="08")
        assert area.zones == {"PV08"}
        assert "gian tỉnh" in area.vi and "Tuyên Quang" in area.vi

    def test_sectors_match_without_diacritics_or_case(self) -> None:
        assert area_for(ZONES, sector="thu cong my nghe", province_code="01").zones == {"TCMN"}
        assert area_for(ZONES, sector="Mây tre đan", province_code=None).zones == {"TCMN"}

    def test_anything_else_goes_outside_every_zone(self) -> None:
        area = area_for(ZONES, sector="cơ khí", province_code="24")
        assert area == GENERAL
        assert area.admits("") and not area.admits("TCMN") and not area.admits("PV08")

    def test_a_pavilion_admits_only_its_own_booths(self) -> None:
        area = area_for(ZONES, sector="", province_code="08")
        assert area.admits("PV08") and not area.admits("") and not area.admits("TCMN")


def request(n: int = 2, **extra: object) -> Request:
    return Request(registration_id="reg-1", booths=n, **extra)  # type: ignore[arg-type]


PLAN = {b.code: b for b in build_grid(20, 10, aisle_every=5)}


class TestCheckSelection:
    def check(self, codes: list[str], *, n: int = 2, area=GENERAL, blocked=frozenset(), taken=None):  # type: ignore[no-untyped-def]
        return check_selection(plan=PLAN, codes=codes, request=request(n), area=area, blocked=set(blocked),
                               taken=taken or {})

    def test_accepts_a_contiguous_block_in_plan_order(self) -> None:
        assert [b.code for b in self.check(["A03", "A02"])] == ["A02", "A03"]

    @pytest.mark.parametrize(("codes", "code"), [
        ([], "no-booths"),
        (["A01", "A01"], "duplicate-booth"),
        (["A01", "Z99"], "unknown-booth"),
        (["A01"], "wrong-count"),
        (["A01", "A03"], "not-contiguous"),
        (["A05", "A06"], "not-contiguous"),  # a cross aisle between them
        (["A10", "B01"], "not-contiguous"),  # two rows
    ])
    def test_refuses_bad_input_with_a_422_naming_the_field(self, codes: list[str], code: str) -> None:
        with pytest.raises(Invalid) as caught:
            self.check(codes)
        assert (caught.value.code, caught.value.field, caught.value.status) == (code, "booth_codes", 422)

    def test_refuses_booths_outside_the_area(self) -> None:
        pavilion = area_for(ZONES, sector="", province_code="08")
        with pytest.raises(Rejected) as caught:
            self.check(["A01", "A02"], area=pavilion)
        assert (caught.value.code, caught.value.status) == ("wrong-zone", 409)

    def test_refuses_blocked_and_taken_booths_but_not_its_own(self) -> None:
        with pytest.raises(Rejected) as blocked:
            self.check(["A01", "A02"], blocked={"A02"})
        assert blocked.value.code == "booth-blocked"
        with pytest.raises(Rejected) as taken:
            self.check(["A01", "A02"], taken={"A01": "reg-2"})
        assert taken.value.code == "booth-taken" and "A01" in taken.value.message
        assert len(self.check(["A01", "A02"], taken={"A01": "reg-1"})) == 2


class TestGridCells:
    def test_names_the_reserved_cells_and_rows_a_hall_does_not_have(self):
        hall = HallGrid(code="H1", rows=7, booths_per_row=10)
        assert cells_outside(hall, ["B05", "H1-G10", "Z99", "A11", "H2-A01", "H1-H01"]) == [
            "Z99", "A11", "H2-A01", "H1-H01"]
        assert rows_outside(hall, ["A", "G", "Q", "H", "AA"]) == ["Q", "H", "AA"]

    def test_a_hall_without_a_code_knows_its_cells_by_their_plain_codes(self):
        hall = HallGrid(rows=2, booths_per_row=120)
        assert cells_outside(hall, ["A001", "B120", "A01", "C001"]) == ["A01", "C001"]


class TestTransitions:
    @pytest.mark.parametrize(("current", "target"), [
        (RequestStatus.SUBMITTED, RequestStatus.WAITING), (RequestStatus.SUBMITTED, RequestStatus.ASSIGNED),
        (RequestStatus.WAITING, RequestStatus.ASSIGNED), (RequestStatus.ASSIGNED, RequestStatus.WAITING),
        (RequestStatus.ASSIGNED, RequestStatus.CLOSED), (RequestStatus.WAITING, RequestStatus.WAITING),
        ("assigned", RequestStatus.ASSIGNED)])  # a stored status is a plain string
    def test_a_request_moves_as_its_table_allows(self, current, target):
        REQUEST_TRANSITIONS.check(current, target)

    @pytest.mark.parametrize("target", [RequestStatus.SUBMITTED, RequestStatus.WAITING, RequestStatus.ASSIGNED])
    def test_a_closed_request_stays_closed(self, target):
        with pytest.raises(Rejected) as refused:
            REQUEST_TRANSITIONS.check(RequestStatus.CLOSED, target)
        assert refused.value.code == "invalid-transition" and refused.value.status == 409

    def test_a_hold_becomes_an_assignment_never_the_reverse(self):
        CLAIM_TRANSITIONS.check(ClaimState.HELD, ClaimState.ASSIGNED)
        assert not CLAIM_TRANSITIONS.can(ClaimState.ASSIGNED, ClaimState.HELD)
