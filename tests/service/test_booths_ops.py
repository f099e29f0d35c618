"""The organizer's side of the booths service: allocation runs and hand operations, each with its event and
its line in the audit log; every refused operation changes nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.conftest import running_app, token
from tests.service.booths_support import (
    CENTRE,
    SVG,
    approved,
    booths_redis_url,  # noqa: F401 - a fixture
    deliver,
    emitted,
    make_app,
    published_fair,
)


@pytest.fixture
def app(settings_for, booths_redis_url):  # noqa: F811
    return make_app(settings_for, booths_redis_url)


def organizer(app: Any, centre: str = CENTRE) -> dict[str, str]:
    return token(app.state.settings, "organizer", centre_id=centre)


async def organizer_fair(app: Any, *specs: tuple[int, int], **overrides: Any) -> tuple[str, list[Any]]:
    """A fair in organizer mode with approved registrations of (booths, priority)."""
    fair = await published_fair(app, allocation_mode="organizer", **overrides)
    approvals = [approved(fair.fair_id, n, priority=p) for n, p in specs]
    for approval in approvals:
        await deliver(app, approval)
    return fair.fair_id, approvals


def by_registration(events: list[tuple[str, str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    return {p["registration_id"]: p for _, _, p in events}


class TestAllocate:
    @pytest.mark.parametrize("mode", ["exact", "heuristic"])
    async def test_places_every_waiting_registration_by_priority_with_reasons(self, app, mode):
        async with running_app(app) as client:
            fair_id, approvals = await organizer_fair(app, (3, 1), (2, 40), (2, 30), (1, 5), capacity_booths=6,
                                                      booths_per_row=3)
            assert await emitted(app, "booths.assigned") == []  # organizer mode: approvals wait
            res = await client.post(f"/fairs/{fair_id}/allocate", json={"mode": mode, "time_limit_s": 5},
                                    headers=organizer(app))
            again = await client.post(f"/fairs/{fair_id}/allocate", json={"mode": mode}, headers=organizer(app))
            unmet = (await client.get(f"/fairs/{fair_id}/unmet-requests", headers=organizer(app))).json()
        assert res.status_code == 200, res.text
        run = res.json()
        assert run["solver"] == ("cp-sat" if mode == "exact" else "heuristic")
        assert run["status"] == ("optimal" if mode == "exact" else "heuristic")
        placed = {d["registration_id"] for d in run["assigned"]}
        assert placed == {a.registration_id for a in approvals[1:]}
        [loser] = run["unmet"]
        assert loser["registration_id"] == approvals[0].registration_id
        assert "ưu tiên cao hơn" in loser["reason"] and "higher-priority" in loser["reason"]
        assigned = by_registration(await emitted(app, "booths.assigned"))
        assert set(assigned) == placed and {p["operation"] for p in assigned.values()} == {"allocation"}
        assert assigned[approvals[1].registration_id]["reason"].startswith("điểm ưu tiên 40")
        [(_, key, completed), *_] = await emitted(app, "allocation.completed")
        assert key == fair_id and completed["assigned_registrations"] == 3
        assert (run["mode"], run["mode_chosen_by"], run["allocation_mode"]) == (mode, "request", "organizer")
        assert (completed["mode"], completed["mode_chosen_by"]) == (mode, "request")
        assert completed["unmet_registration_ids"] == [approvals[0].registration_id]
        assert again.json()["assigned"] == [] and len(await emitted(app, "booths.assigned")) == 3
        assert [u["registration_id"] for u in unmet["data"]] == [approvals[0].registration_id]

    @pytest.mark.parametrize("allocation_mode", ["organizer", "automatic", "exhibitor_picks"])
    async def test_without_a_mode_a_whole_fair_run_is_exact_as_the_fairs_mode_chooses(self, app, allocation_mode):
        async with running_app(app) as client:
            fair = await published_fair(app, allocation_mode=allocation_mode, capacity_booths=4, booths_per_row=4)
            for approval in [approved(fair.fair_id, 2, priority=10), approved(fair.fair_id, 3, priority=5)]:
                await deliver(app, approval)
            res = await client.post(f"/fairs/{fair.fair_id}/allocate", json={}, headers=organizer(app))
            audit = (await client.get(f"/fairs/{fair.fair_id}/audit", headers=organizer(app))).json()
        assert res.status_code == 200, res.text
        run = res.json()
        assert (run["allocation_mode"], run["mode"], run["mode_chosen_by"]) == (allocation_mode, "exact", "fair")
        assert (run["solver"], run["status"]) == ("cp-sat", "optimal")
        # automatic: the 2-booth request got its booths on approval (the heuristic); only the other still waits
        assert run["requests"] == (1 if allocation_mode == "automatic" else 2)
        [(_, _, completed)] = await emitted(app, "allocation.completed")
        assert (completed["mode"], completed["mode_chosen_by"]) == ("exact", "fair")
        assert audit["data"][0]["action"] == "allocate" and audit["data"][0]["detail"].startswith("exact → ")

    async def test_only_the_fairs_organizers_may_run_it(self, app):
        async with running_app(app) as client:
            fair_id, _ = await organizer_fair(app, (1, 0))
            other = await client.post(f"/fairs/{fair_id}/allocate", json={}, headers=organizer(app, "other"))
            exhibitor = await client.post(f"/fairs/{fair_id}/allocate", json={},
                                          headers=token(app.state.settings, "exhibitor", exhibitor_id="x"))
            bad = await client.post(f"/fairs/{fair_id}/allocate", json={"mode": "magic"}, headers=organizer(app))
        assert (other.status_code, exhibitor.status_code, bad.status_code) == (404, 403, 422)


class TestHandOperations:
    async def test_assign_move_swap_release_each_emit_and_are_audited(self, app):
        async with running_app(app) as client:
            fair_id, (one, two) = await organizer_fair(app, (2, 0), (2, 0))
            url = f"/fairs/{fair_id}"
            first = await client.post(f"{url}/assignments", headers=organizer(app),
                                      json={"registration_id": one.registration_id, "booth_codes": ["A02", "A03"]})
            await client.post(f"{url}/assignments", headers=organizer(app),
                              json={"registration_id": two.registration_id, "booth_codes": ["B05", "B06"]})
            moved = await client.post(f"{url}/assignments/{one.registration_id}/move", headers=organizer(app),
                                      json={"booth_codes": ["A03", "A04"]})
            swapped = await client.post(f"{url}/swap", headers=organizer(app),
                                        json={"registration_ids": [one.registration_id, two.registration_id]})
            released = await client.post(f"{url}/assignments/{two.registration_id}/release", headers=organizer(app),
                                         json={"reason": "đổi ý"})
            audit = (await client.get(f"{url}/audit", headers=organizer(app))).json()
            plan = (await client.get(f"{url}/floorplan")).json()
        assert first.status_code == 201 and first.json()["booth_codes"] == ["A02", "A03"]
        assert moved.json()["assignment_id"] == first.json()["assignment_id"]
        assert moved.json()["booth_codes"] == ["A03", "A04"]
        assert [a["booth_codes"] for a in swapped.json()["data"]] == [["B05", "B06"], ["A03", "A04"]]
        assert released.json() == ["A03", "A04"]
        ops = [(p["registration_id"] == one.registration_id, p["operation"], p["booth_codes"],
                p["previous_booth_codes"]) for _, _, p in await emitted(app, "booths.assigned")]
        assert ops == [(True, "organizer", ["A02", "A03"], []), (False, "organizer", ["B05", "B06"], []),
                       (True, "move", ["A03", "A04"], ["A02", "A03"]),
                       (True, "swap", ["B05", "B06"], ["A03", "A04"]), (False, "swap", ["A03", "A04"], ["B05", "B06"])]
        causes = [(p["cause"], p["booth_codes"]) for _, _, p in await emitted(app, "booths.released")]
        assert causes == [("moved", ["A02", "A03"]), ("swapped", ["A03", "A04"]), ("swapped", ["B05", "B06"]),
                          ("organizer", ["A03", "A04"])]
        actions = [e["action"] for e in reversed(audit["data"])]
        assert actions[-9:] == ["organizer", "organizer", "release:moved", "move", "release:swapped",
                                "release:swapped", "swap", "swap", "release:organizer"]
        assert audit["data"][0]["actor"] == f"organizer:{CENTRE}" and "đổi ý" in audit["data"][0]["detail"]
        assert plan["counts"]["assigned"] == 2

    @pytest.mark.parametrize(("codes", "status", "kind"), [
        (["A01", "Z99"], 422, "unknown-booth"),
        (["A01", "A03"], 422, "not-contiguous"),
        (["A10", "B01"], 422, "not-contiguous"),
        (["A01"], 422, "wrong-count"),
        (["A05", "A06"], 409, "booth-taken"),
    ])
    async def test_bad_choices_are_refused_and_change_nothing(self, app, codes, status, kind):
        async with running_app(app) as client:
            fair_id, (one, two) = await organizer_fair(app, (2, 0), (2, 0))
            await client.post(f"/fairs/{fair_id}/assignments", headers=organizer(app),
                              json={"registration_id": two.registration_id, "booth_codes": ["A05", "A06"]})
            before = await emitted(app)
            res = await client.post(f"/fairs/{fair_id}/assignments", headers=organizer(app),
                                    json={"registration_id": one.registration_id, "booth_codes": codes})
            after = await emitted(app)
        assert res.status_code == status
        assert res.json()["type"].endswith(kind) and res.json()["errors"][0]["field"] == "booth_codes"
        assert after == before

    async def test_a_booth_of_another_fair_is_unknown_here(self, app):
        async with running_app(app) as client:
            fair_id, (one,) = await organizer_fair(app, (1, 0), capacity_booths=5)
            await published_fair(app, capacity_booths=40)  # another fair has G01…; this one has A01–A05 only
            res = await client.post(f"/fairs/{fair_id}/assignments", headers=organizer(app),
                                    json={"registration_id": one.registration_id, "booth_codes": ["D01"]})
            stranger = await client.post(f"/fairs/{fair_id}/assignments", headers=organizer(app),
                                         json={"registration_id": "reg-nope", "booth_codes": ["A01"]})
        assert res.status_code == 422 and "D01" in res.json()["title"]
        assert stranger.status_code == 404

    async def test_blocked_booths_are_skipped_and_cannot_be_blocked_once_taken(self, app):
        async with running_app(app) as client:
            fair_id, (one, _) = await organizer_fair(app, (2, 0), (1, 0), capacity_booths=4, booths_per_row=4)
            url = f"/fairs/{fair_id}"
            blocked = await client.post(f"{url}/booths/block", headers=organizer(app),
                                        json={"booth_codes": ["A01", "A02"], "reason": "cột điện"})
            again = await client.post(f"{url}/booths/block", headers=organizer(app), json={"booth_codes": ["A01"]})
            run = (await client.post(f"{url}/allocate", headers=organizer(app), json={"mode": "heuristic"})).json()
            taken = await client.post(f"{url}/booths/block", headers=organizer(app), json={"booth_codes": ["A03"]})
            unblocked = await client.post(f"{url}/booths/unblock", headers=organizer(app),
                                          json={"booth_codes": ["A01", "A02"]})
            plan = (await client.get(f"{url}/floorplan")).json()
            audit = (await client.get(f"{url}/audit", headers=organizer(app))).json()
        assert blocked.json() == ["A01", "A02"] and again.json() == []
        placed = {d["registration_id"]: d["booth_codes"] for d in run["assigned"]}
        assert placed == {one.registration_id: ["A03", "A04"]}
        assert taken.status_code == 409
        assert unblocked.json() == ["A01", "A02"] and plan["counts"]["blocked"] == 0
        assert [e["action"] for e in audit["data"][:2]] == ["unblock", "allocate"]

    async def test_block_and_unblock_emit_their_events_and_the_map_draws_blocked_booths(self, app):
        async with running_app(app) as client:
            fair_id, (one,) = await organizer_fair(app, (1, 0), capacity_booths=4, booths_per_row=4)
            url = f"/fairs/{fair_id}"
            await client.post(f"{url}/assignments", headers=organizer(app),
                              json={"registration_id": one.registration_id, "booth_codes": ["A04"]})
            await client.post(f"{url}/booths/block", headers=organizer(app),
                              json={"booth_codes": ["A02", "A01"], "reason": "cột điện"})
            blocked_svg = (await client.get(f"{url}/floorplan.svg")).content
            await client.post(f"{url}/booths/block", headers=organizer(app), json={"booth_codes": ["A01"]})
            refused = await client.post(f"{url}/booths/block", headers=organizer(app),
                                        json={"booth_codes": ["A03", "A04"]})
            await client.post(f"{url}/booths/unblock", headers=organizer(app),
                              json={"booth_codes": ["A02", "A03"], "reason": "đã dời cột"})
            unblocked_svg = (await client.get(f"{url}/floorplan.svg")).content
        assert refused.status_code == 409
        blocks = [(name, key, p) for name, key, p in await emitted(app) if name in ("booths.blocked",
                                                                                    "booths.unblocked")]
        assert blocks == [
            ("booths.blocked", fair_id, {"fair_id": fair_id, "booth_codes": ["A01", "A02"], "reason": "cột điện"}),
            ("booths.unblocked", fair_id, {"fair_id": fair_id, "booth_codes": ["A02"], "reason": "đã dời cột"}),
        ]

        def drawn(svg: bytes) -> dict[str, tuple[str | None, str | None]]:
            groups = ET.fromstring(svg).findall(f"{SVG}g")
            return {g.get("data-code"): (g.get("class"), g.find(f"{SVG}rect").get("fill")) for g in groups}

        before, after = drawn(blocked_svg), drawn(unblocked_svg)
        assert before["A01"] == before["A02"] == ("booth blocked", "url(#blocked)")
        assert before["A03"][0] == "booth free" and before["A04"][0] == "booth assigned"
        assert after["A01"] == ("booth blocked", "url(#blocked)") and after["A02"][0] == "booth free"

    async def test_the_audit_log_is_for_the_fairs_organizers(self, app):
        async with running_app(app) as client:
            fair_id, _ = await organizer_fair(app)
            url = f"/fairs/{fair_id}/audit"
            other = await client.get(url, headers=organizer(app, "other"))
            exhibitor = await client.get(url, headers=token(app.state.settings, "exhibitor", exhibitor_id="x"))
            own = (await client.get(url, headers=organizer(app))).json()
        assert (other.status_code, exhibitor.status_code) == (404, 403)
        assert own["data"][-1]["action"] == "plan" and own["data"][-1]["actor"] == "event:fair.published"
