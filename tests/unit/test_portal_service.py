"""The portal's service layer on a fake backend: what a page reads from the services, without HTTP or a clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.portal.domain.booth_plan import plan_boxes
from services.portal.domain.errors import ServiceProblem, ServiceUnavailable
from services.portal.service.booth_pick import pick_context
from services.portal.service.dashboard import organizer_dashboard
from services.portal.service.exhibitors import booths_by_registration, exhibitor_names, read_profile
from shared.principal import Principal, Role

NOW = datetime(2027, 1, 10, 3, 0, tzinfo=UTC)
BOOTH = {"code": "A1", "hall": "", "x_m": 0, "y_m": 0, "width_m": 3, "depth_m": 3, "status": "free"}


class FakeBackend:
    """Answers GETs from a table of (service, path) → document or exception; records what was asked."""

    def __init__(self, answers: dict[tuple[str, str], Any]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, str, str | None]] = []

    async def get(self, service: str, path: str, *, token: str | None, params: dict[str, str] | None = None) -> Any:
        self.asked.append((service, path, token))
        answer = self.answers.get((service, path), ServiceProblem(404, "Không tìm thấy / Not found"))
        if isinstance(answer, Exception):
            raise answer
        return answer


def backend(answers: dict[tuple[str, str], Any]) -> Any:
    return FakeBackend(answers)


async def test_the_pick_page_counts_the_hold_down_from_the_clock_it_is_given():
    api = backend({
        ("registration", "/registrations/r-1"): {"id": "r-1", "fair_id": "f-1", "status": "approved"},
        ("registration", "/fairs/f-1"): {"id": "f-1", "allocation_mode": "exhibitor_picks"},
        ("booths", "/fairs/f-1/floorplan"): {"booths": [BOOTH]},
        ("booths", "/fairs/f-1/holds"): {"data": [{"registration_id": "r-1",
                                                   "expires_at": "2027-01-10T03:04:30+00:00"}]},
        ("booths", "/fairs/f-1/assignments"): {"data": []},
    })
    context = await pick_context(api, "tok", "r-1", now=NOW)
    assert context["seconds_left"] == 270
    assert context["can_pick"] is False  # a hold is running: confirm or give it up first
    assert [b["code"] for b in context["free"]] == ["A1"]
    assert {token for _, _, token in api.asked} == {"tok"}


async def test_without_a_hold_an_approved_exhibitor_may_pick_and_a_missing_plan_part_is_left_out():
    api = backend({
        ("registration", "/registrations/r-1"): {"id": "r-1", "fair_id": "f-1", "status": "approved"},
        ("registration", "/fairs/f-1"): {"id": "f-1", "allocation_mode": "exhibitor_picks"},
        ("booths", "/fairs/f-1/floorplan"): {"booths": [BOOTH]},
        ("booths", "/fairs/f-1/holds"): ServiceUnavailable("booths", "unreachable"),
        ("booths", "/fairs/f-1/assignments"): {"data": []},
    })
    context = await pick_context(api, "tok", "r-1", now=NOW)
    assert context["hold"] is None and context["seconds_left"] == 0 and context["can_pick"] is True


async def test_a_profile_not_yet_created_is_none_and_names_skip_unreadable_profiles():
    api = backend({("registration", "/exhibitors/ex-1"): {"legal_name": "HTX Chè Shan tuyết Đồng Văn"}})
    assert await read_profile(api, "tok", "ex-2") is None
    assert await exhibitor_names(api, "tok", {"ex-1", "ex-2", "../x"}) == {"ex-1": "HTX Chè Shan tuyết Đồng Văn"}
    assert ("registration", "/exhibitors/../x", "tok") not in api.asked  # an unsafe id is never put in a path


async def test_a_refusal_other_than_not_found_reaches_the_page():
    api = backend({("registration", "/exhibitors/ex-1"): ServiceProblem(403, "Không có quyền / Forbidden")})
    with pytest.raises(ServiceProblem):
        await read_profile(api, "tok", "ex-1")


async def test_released_assignments_have_no_booths():
    api = backend({("booths", "/fairs/f-1/assignments"): {"data": [
        {"registration_id": "r-1", "booth_codes": ["A1", "A2"]},
        {"registration_id": "r-2", "booth_codes": ["B1"], "released_at": "2027-01-01T00:00:00+00:00"}]}})
    assert await booths_by_registration(api, "tok", ["f-1"]) == {"r-1": ["A1", "A2"]}


def test_booths_are_drawn_to_scale_with_the_exhibitors_own_marked():
    boxes, width, height = plan_boxes([{**BOOTH, "registration_id": "r-1"}], "r-1")
    assert [(b.code, b.width, b.mine) for b in boxes] == [("A1", 34.0, True)]
    assert (width, height) == (40.0, 40.0)


async def test_the_dashboard_keeps_the_centres_own_fairs_and_only_subsidy_programmes_not_yet_over():
    api = backend({
        ("registration", "/fairs"): {"data": [{"id": "f-1", "centre_id": "tq", "status": "draft"},
                                              {"id": "f-2", "centre_id": "lc", "status": "open"}]},
        ("registration", "/fairs/f-1/registrations"): {"data": [{"status": "submitted"}, {"status": "submitted"}]},
        ("markets", "/programmes"): ServiceUnavailable("markets", "unreachable"),
        ("billing", "/subsidy-programmes"): {"data": [
            {"id": "s-1", "name": "Cũ", "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
            {"id": "s-2", "name": "Mới", "valid_from": "2027-01-01", "valid_to": "2027-12-31"}]},
    })
    organizer = Principal(role=Role.ORGANIZER, subject="tq", centre_id="tq")
    dashboard = await organizer_dashboard(api, "tok", organizer, today=date(2027, 1, 10))
    assert [(r["fair"]["id"], r["counts"], r["booths"]) for r in dashboard["rows"]] == [("f-1", {"submitted": 2}, None)]
    assert dashboard["year"] == 2027 and dashboard["markets"] is None
    assert [p["id"] for p in dashboard["subsidies"]] == ["s-2"]
    assert ("booths", "/fairs/f-1/floorplan", "tok") not in api.asked  # a draft has no plan yet
