"""The booths service in memory (FastStream's test broker) on a real database file (and PostgreSQL)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from services.booths.models import Assignment
from shared.contracts.registration import FairPublished, RegistrationApproved
from shared.messaging import raw_body
from tests.conftest import running_app, token, unique
from tests.service.booths_support import (
    CENTRE,
    SVG,
    approved,
    booths_redis_url,  # noqa: F401 - a fixture
    cancelled,
    deliver,
    emitted,
    fair_published,
    make_app,
    published_fair,
)


@pytest.fixture
def app(settings_for, booths_redis_url):  # noqa: F811
    return make_app(settings_for, booths_redis_url)


class TestBuildFloorplan:
    async def test_builds_seventy_booths_and_announces_the_plan_once(self, app):
        async with running_app(app) as client:
            fair = fair_published()
            headers = await deliver(app, fair)
            await deliver(app, fair, headers=headers)  # a redelivery: same ce_id
            await deliver(app, fair)  # a second fair.published for the same fair: new ce_id
            await app.state.runtime.relay.flush()
            plan = (await client.get(f"/fairs/{fair.fair_id}/floorplan")).json()
        assert plan["booth_count"] == 70
        assert plan["counts"] == {"free": 70, "held": 0, "assigned": 0, "blocked": 0}
        assert plan["booths"][0] == {"code": "A01", "hall": "", "row": "A", "col": 1, "x_m": 0, "y_m": 0,
                                     "width_m": 3, "depth_m": 3, "corner": True, "status": "free",
                                     "neighbours": ["A02"]}
        assert plan["booths"][-1]["code"] == "G10"
        [(name, key, payload)] = await emitted(app)
        assert (name, key, payload["booth_count"]) == ("floorplan.published", fair.fair_id, 70)
        assert payload["booth_codes"][:3] == ["A01", "A02", "A03"]


class TestAssignBooths:
    async def test_assigns_an_adjacent_pair_keyed_by_the_fair(self, app):
        async with running_app(app):
            fair = await published_fair(app)
            approval = approved(fair.fair_id, 2)
            headers = await deliver(app, approval)
            await deliver(app, approval, headers=headers)  # redelivery
            await deliver(app, approval)  # the same approval again under a new id
        [(_, key, payload)] = await emitted(app, "booths.assigned")
        assert key == fair.fair_id
        assert payload["booth_codes"] == ["A01", "A02"]
        assert payload["registration_id"] == approval.registration_id
        assert payload["exhibitor_id"] == approval.exhibitor_id
        assert payload["corner_count"] == 1
        assert payload["reason"] == "khối liền kề A01–A02 / contiguous block A01–A02"
        assert payload["assignment_id"]

    async def test_fills_the_plan_then_records_the_next_as_unmet_without_an_event(self, app):
        settings = app.state.settings
        async with running_app(app) as client:
            fair = await published_fair(app)
            for _ in range(35):
                await deliver(app, approved(fair.fair_id, 2))
            late = approved(fair.fair_id, 1)
            await deliver(app, late)
            plan = (await client.get(f"/fairs/{fair.fair_id}/floorplan")).json()
            unmet = (await client.get(f"/fairs/{fair.fair_id}/unmet-requests",
                                      headers=token(settings, "organizer", centre_id=CENTRE))).json()
        assigned = await emitted(app, "booths.assigned")
        assert len(assigned) == 35
        assert late.registration_id not in {p["registration_id"] for _, _, p in assigned}
        codes = [code for _, _, p in assigned for code in p["booth_codes"]]
        assert len(codes) == len(set(codes)) == 70
        assert plan["counts"] == {"free": 0, "held": 0, "assigned": 70, "blocked": 0}
        [request] = unmet["data"]
        assert request["registration_id"] == late.registration_id
        assert request["reason"] == "không có gian trống trong khu chung / no free booth in the general area"

    async def test_does_not_split_a_request_over_scattered_booths(self, app):
        async with running_app(app):
            fair = await published_fair(app, capacity_booths=4, booths_per_row=4)
            singles = [approved(fair.fair_id, 1) for _ in range(4)]
            for approval in singles:
                await deliver(app, approval)
            await deliver(app, cancelled(singles[0]))  # frees A01
            await deliver(app, cancelled(singles[2]))  # frees A03
            pair = approved(fair.fair_id, 2)
            await deliver(app, pair)
            await deliver(app, cancelled(singles[1]))  # frees A02: a later approval now fits
            again = approved(fair.fair_id, 2)
            await deliver(app, again)
        assigned = {p["registration_id"]: p["booth_codes"] for _, _, p in await emitted(app, "booths.assigned")}
        assert pair.registration_id not in assigned
        # A01–A03 are free: the pair takes the end of the stretch that spares the corner booth A01.
        assert assigned[again.registration_id] == ["A02", "A03"]

    async def test_dead_letters_an_approval_for_a_fair_without_a_plan(self, app):
        dead: list[dict[str, str]] = []

        @app.state.runtime.broker.subscriber("registration.events.dlq")
        async def collect(message: KafkaMessage) -> None:
            dead.append({k: v.decode() if isinstance(v, bytes) else v for k, v in message.headers.items()})

        async with running_app(app):
            await deliver(app, approved(unique("fair-"), 1))
        assert len(dead) == 1
        assert "no floor plan" in dead[0]["dlq_reason"]
        assert dead[0]["dlq_attempts"] == str(app.state.settings.consumer_max_attempts)
        assert await emitted(app) == []


class TestReleaseBooths:
    async def test_releases_on_cancellation_and_the_booths_are_reusable(self, app):
        settings = app.state.settings
        organizer = token(settings, "organizer", centre_id=CENTRE)
        async with running_app(app) as client:
            fair = await published_fair(app)
            first = approved(fair.fair_id, 2)
            await deliver(app, first)
            headers = await deliver(app, cancelled(first, "unpaid"))
            await deliver(app, cancelled(first, "unpaid"), headers=headers)  # redelivery
            await deliver(app, cancelled(first, "organizer"))  # nothing left to release
            plan = (await client.get(f"/fairs/{fair.fair_id}/floorplan")).json()
            second = approved(fair.fair_id, 2)
            await deliver(app, second)
            history = (await client.get(f"/fairs/{fair.fair_id}/assignments?include_released=true",
                                        headers=organizer)).json()
            live = (await client.get(f"/fairs/{fair.fair_id}/assignments", headers=organizer)).json()
        [(_, key, released)] = await emitted(app, "booths.released")
        assert key == fair.fair_id
        assert released["booth_codes"] == ["A01", "A02"]
        assert released["reason"] == "quá hạn thanh toán / invoice unpaid by the due date"
        assert plan["counts"]["free"] == 70
        assert [p["booth_codes"] for _, _, p in await emitted(app, "booths.assigned")] == [["A01", "A02"]] * 2
        assert history["count"] == 2
        assert history["data"][0]["release_reason"] == released["reason"]
        assert [a["registration_id"] for a in live["data"]] == [second.registration_id]


class TestNoDoubleBooking:
    async def test_the_database_refuses_a_second_live_assignment_of_a_booth(self, app):
        db = app.state.runtime.db
        async with running_app(app):
            fair = await published_fair(app)

            def row(registration_id: str, booth_code: str = "A05", **extra: Any) -> Assignment:
                return Assignment(assignment_id=unique(), fair_id=fair.fair_id, booth_code=booth_code,
                                  registration_id=registration_id, exhibitor_id=unique("ex-"), **extra)

            async with db.transaction() as session:
                session.add(row("reg-1"))
            with pytest.raises(IntegrityError):
                async with db.transaction() as session:
                    session.add(row("reg-2"))
            async with db.transaction() as session:  # released assignments do not count
                session.add(row("reg-0", released_at=datetime.now(UTC), release_reason="test"))
            with pytest.raises(IntegrityError):
                async with db.transaction() as session:
                    session.add(row("reg-3", booth_code="Z99"))  # no such booth in the plan
            async with db.sessions() as session:
                rows = (await session.exec(select(Assignment).where(Assignment.booth_code == "A05"))).all()
        assert sorted(r.registration_id for r in rows) == ["reg-0", "reg-1"]


class TestPoisonMessages:
    async def test_a_malformed_event_is_dead_lettered_and_the_next_one_applied(self, app):
        dead: list[tuple[bytes, dict[str, str]]] = []

        # The dead-letter reader takes the body raw too: it is, by definition, not always JSON.
        @app.state.runtime.broker.subscriber("registration.events.dlq", decoder=raw_body)
        async def collect(message: KafkaMessage) -> None:
            headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in message.headers.items()}
            dead.append((message.body, headers))

        async with running_app(app):
            fair = await published_fair(app)
            approval = approved(fair.fair_id, 2)
            await deliver(app, approval, body=b'{"fair_id": "oops", not json')
            await deliver(app, approved(fair.fair_id, 3))
        [(body, headers)] = dead
        assert body == b'{"fair_id": "oops", not json'
        assert headers["ce_type"] == "vn.hangviet.registration.approved.v1"
        assert headers["dlq_consumer"] == "booths"
        assert headers["dlq_original_topic"] == "registration.events"
        assert "invalid" in headers["dlq_reason"]
        [(_, _, payload)] = await emitted(app, "booths.assigned")
        assert payload["booth_codes"] == ["A01", "A02", "A03"]


async def assign_two_exhibitors(app) -> tuple[FairPublished, RegistrationApproved, RegistrationApproved]:
    """A fair where exhibitor one holds A01–A02 and exhibitor two holds A03."""
    fair = await published_fair(app)
    one, two = approved(fair.fair_id, 2), approved(fair.fair_id, 1)
    await deliver(app, one)
    await deliver(app, two)
    return fair, one, two


def holders(plan: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    """Booth code → (registration id, exhibitor id) for the booths that show any."""
    return {b["code"]: (b.get("registration_id"), b.get("exhibitor_id")) for b in plan["booths"]
            if "registration_id" in b or "exhibitor_id" in b}


class TestReadFloorplan:
    async def test_the_public_sees_statuses_but_no_ids(self, app):
        async with running_app(app) as client:
            fair, one, _ = await assign_two_exhibitors(app)
            res = await client.get(f"/fairs/{fair.fair_id}/floorplan")
        assert res.status_code == 200
        plan = res.json()
        assert plan["counts"] == {"free": 67, "held": 0, "assigned": 3, "blocked": 0}
        assert [b["status"] for b in plan["booths"][:4]] == ["assigned", "assigned", "assigned", "free"]
        assert holders(plan) == {}
        assert one.exhibitor_id not in res.text and one.registration_id not in res.text

    async def test_the_fairs_organizers_see_whose_booth_is_whose(self, app):
        settings = app.state.settings
        async with running_app(app) as client:
            fair, one, two = await assign_two_exhibitors(app)
            own = (await client.get(f"/fairs/{fair.fair_id}/floorplan",
                                    headers=token(settings, "organizer", centre_id=CENTRE))).json()
            other = (await client.get(f"/fairs/{fair.fair_id}/floorplan",
                                      headers=token(settings, "organizer", centre_id="other"))).json()
        assert holders(own) == {"A01": (one.registration_id, one.exhibitor_id),
                                "A02": (one.registration_id, one.exhibitor_id),
                                "A03": (two.registration_id, two.exhibitor_id)}
        assert holders(other) == {}

    async def test_an_exhibitor_sees_only_its_own_booths_marked(self, app):
        settings = app.state.settings
        async with running_app(app) as client:
            fair, _, two = await assign_two_exhibitors(app)
            plan = (await client.get(f"/fairs/{fair.fair_id}/floorplan",
                                     headers=token(settings, "exhibitor", exhibitor_id=two.exhibitor_id))).json()
        assert holders(plan) == {"A03": (two.registration_id, two.exhibitor_id)}

    async def test_an_unknown_fair_is_a_404_problem(self, app):
        async with running_app(app) as client:
            res = await client.get("/fairs/nope/floorplan")
            svg = await client.get("/fairs/nope/floorplan.svg")
        assert res.status_code == svg.status_code == 404
        assert res.headers["content-type"] == "application/problem+json"
        assert res.json()["title"].startswith("Không tìm thấy")

    async def test_a_bad_token_is_refused_rather_than_treated_as_public(self, app):
        async with running_app(app) as client:
            fair = await published_fair(app)
            res = await client.get(f"/fairs/{fair.fair_id}/floorplan", headers={"Authorization": "Bearer junk"})
        assert res.status_code == 401


class TestFloorplanSvg:
    async def test_draws_every_booth_to_scale_coloured_by_status_with_a_vietnamese_legend(self, app):
        async with running_app(app) as client:
            fair, one, _ = await assign_two_exhibitors(app)
            res = await client.get(f"/fairs/{fair.fair_id}/floorplan.svg")
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(res.content)
        assert root.tag == f"{SVG}svg"
        groups = root.findall(f"{SVG}g")
        assert len(groups) == 70
        classes = {g.get("data-code"): g.get("class") for g in groups}
        assert classes["A01"] == classes["A03"] == "booth assigned"
        assert classes["A04"] == "booth free"
        rects = {g.get("data-code"): g.find(f"{SVG}rect") for g in groups}
        a01, a02, b01 = rects["A01"], rects["A02"], rects["B01"]
        side = float(a01.get("width"))
        # 3 m booths wall to wall in a row, rows 6 m apart (booth plus 3 m aisle)
        assert float(a02.get("x")) - float(a01.get("x")) == side + 2
        assert float(b01.get("y")) - float(a01.get("y")) == 2 * (side + 2)
        assert a01.get("fill") != rects["A04"].get("fill")
        texts = "".join(root.itertext())
        for label in ("Chú thích", "Còn trống", "Đã xếp gian", "Không sử dụng", "Gian góc", "3 m"):
            assert label in texts
        assert "Hội chợ Xuân Tuyên Quang 2027" in texts
        assert one.exhibitor_id not in res.text

    async def test_escapes_the_fairs_name(self, app):
        async with running_app(app) as client:
            fair = await published_fair(app, name='Hội chợ <script>alert("x")</script> & Co')
            res = await client.get(f"/fairs/{fair.fair_id}/floorplan.svg")
        root = ET.fromstring(res.content)
        assert root.find(f"{SVG}script") is None
        assert 'Hội chợ <script>alert("x")</script> & Co' in "".join(root.itertext())


class TestReadAssignments:
    async def test_organizers_list_all_and_an_exhibitor_only_its_own(self, app):
        settings = app.state.settings
        async with running_app(app) as client:
            fair, one, two = await assign_two_exhibitors(app)
            url = f"/fairs/{fair.fair_id}/assignments"
            everyone = (await client.get(url, headers=token(settings, "organizer", centre_id=CENTRE))).json()
            mine = (await client.get(url, headers=token(settings, "exhibitor", exhibitor_id=two.exhibitor_id))).json()
            stranger = (await client.get(url, headers=token(settings, "exhibitor", exhibitor_id="ex-x"))).json()
            other_centre = await client.get(url, headers=token(settings, "organizer", centre_id="other"))
            regional = await client.get(url, headers=token(settings, "regional", region="north"))
            anonymous = await client.get(url)
            unknown = await client.get("/fairs/nope/assignments",
                                       headers=token(settings, "organizer", centre_id=CENTRE))
        assert everyone["count"] == 2
        first = everyone["data"][0]
        assert (first["registration_id"], first["booth_codes"], first["corner_count"]) == (
            one.registration_id, ["A01", "A02"], 1)
        assert first["reason"] == "khối liền kề A01–A02 / contiguous block A01–A02"
        assert [a["registration_id"] for a in mine["data"]] == [two.registration_id]
        assert stranger == {"data": [], "count": 0}
        assert other_centre.status_code == 404
        assert regional.status_code == 403
        assert anonymous.status_code == 401
        assert unknown.status_code == 404


class TestAsyncApi:
    async def test_documents_what_the_service_consumes_and_emits(self, app):
        async with running_app(app) as client:
            doc = (await client.get("/asyncapi")).json()
        addresses = {channel["address"] for channel in doc["channels"].values()}
        assert {"registration.events", "booths.events"} <= addresses
        assert {"BoothsBlocked", "BoothsUnblocked", "BoothsAssigned"} <= set(doc["components"]["schemas"])
        emits = doc["channels"]["booths.events:publish"]["description"]
        assert "booths.blocked" in emits and "booths.unblocked" in emits
