"""Floor plans of the booths service: zones, grid descriptions, CSV imports, what the map shows to whom."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

import pytest

from shared.contracts.billing import InvoicePaid
from tests.conftest import running_app, token, unique
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

ZONES = [
    {"code": "TCMN", "name": "Thủ công mỹ nghệ", "kind": "sector", "sectors": ["Thủ công mỹ nghệ", "mây tre đan"]},
    {"code": "PV08", "name": "Tuyên Quang", "kind": "pavilion", "province": "Hà Giang"},
]
GRID = {"halls": [
    {"code": "H1", "name": "Nhà A", "rows": 2, "booths_per_row": 6, "aisle_every": 3, "reserved": ["B02"],
     "zones": [{"zone": "PV08", "rows": ["A"]}]},
    {"code": "H2", "rows": 1, "booths_per_row": 4, "zones": [{"zone": "TCMN", "booths": ["A01", "A02"]}]},
]}
CSV = """code,hall,x,y,width,depth,zone
A01,,0,0,3,3,TCMN
A02,,3,0,3,3,TCMN
A03,,6,0,6,3,
B01,,0,3,3,3,PV08
S1,,20,0,4.5,4.5,
"""


@pytest.fixture
def app(settings_for, booths_redis_url):  # noqa: F811
    return make_app(settings_for, booths_redis_url)


def organizer(app: Any, centre: str = CENTRE) -> dict[str, str]:
    return token(app.state.settings, "organizer", centre_id=centre)


async def zoned_fair(app: Any, client: Any, **overrides: Any) -> str:
    fair = await published_fair(app, **overrides)
    res = await client.put(f"/fairs/{fair.fair_id}/zones", json=ZONES, headers=organizer(app))
    assert res.status_code == 200, res.text
    return fair.fair_id


class TestZones:
    async def test_an_organizer_declares_sector_zones_and_pavilions_by_old_province_names(self, app):
        async with running_app(app) as client:
            fair_id = await zoned_fair(app, client)
            zones = (await client.get(f"/fairs/{fair_id}/zones")).json()
        assert [(z["code"], z["kind"], z.get("province_code")) for z in zones] == [
            ("PV08", "pavilion", "08"), ("TCMN", "sector", None)]

    @pytest.mark.parametrize(("body", "field"), [
        ([{"code": "P", "kind": "pavilion", "province": "Atlantis"}], "[0].province"),
        ([{"code": "P", "kind": "pavilion"}], "[0].province"),
        ([{"code": "S", "kind": "sector"}], "[0].sectors"),
        ([{"code": "bad code", "kind": "sector", "sectors": ["x"]}], "0.code"),
        ([{"code": "S", "kind": "sector", "sectors": ["x"]}, {"code": "S", "kind": "sector", "sectors": ["y"]}],
         "code"),
    ])
    async def test_bad_zones_are_a_422_naming_the_field(self, app, body, field):
        async with running_app(app) as client:
            fair = await published_fair(app)
            res = await client.put(f"/fairs/{fair.fair_id}/zones", json=body, headers=organizer(app))
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == field

    async def test_a_zone_holding_booths_cannot_be_dropped(self, app):
        async with running_app(app) as client:
            fair_id = await zoned_fair(app, client)
            assert (await client.put(f"/fairs/{fair_id}/floorplan/csv", content=CSV,
                                     headers={**organizer(app), "Content-Type": "text/csv"})).status_code == 200
            res = await client.put(f"/fairs/{fair_id}/zones", json=ZONES[:1], headers=organizer(app))
        assert res.status_code == 409 and "PV08" in res.json()["title"]


class TestGrid:
    async def test_replaces_the_plan_with_halls_aisles_reserved_cells_and_zones(self, app):
        async with running_app(app) as client:
            fair_id = await zoned_fair(app, client)
            res = await client.put(f"/fairs/{fair_id}/floorplan/grid", json=GRID, headers=organizer(app))
            plan = (await client.get(f"/fairs/{fair_id}/floorplan")).json()
            svg = (await client.get(f"/fairs/{fair_id}/floorplan.svg")).text
        assert res.json() == {"fair_id": fair_id, "source": "grid", "booth_count": 15}
        booths = {b["code"]: b for b in plan["booths"]}
        assert "H1-B02" not in booths and len(booths) == 15
        assert booths["H1-A01"]["zone"] == "PV08" and "zone" not in booths["H1-B01"]
        assert booths["H2-A02"]["zone"] == "TCMN" and "zone" not in booths["H2-A03"]
        assert booths["H1-A03"]["corner"] and booths["H1-A04"]["corner"] and not booths["H1-A02"]["corner"]
        assert booths["H1-B01"]["corner"] and booths["H1-B03"]["corner"]  # beside the reserved cell
        assert booths["H1-A01"]["neighbours"] == ["H1-A02"]  # rows face each other across an aisle
        [(_, _, payload)] = [e for e in await emitted(app, "floorplan.published") if e[2]["source"] == "grid"]
        assert payload["booth_count"] == 15
        root = ET.fromstring(svg)
        assert {g.get("data-zone") for g in root.iter(f"{SVG}g")} == {None, "PV08", "TCMN"}
        assert "Nhà H1" in svg and "Nhà H2" in svg and "gian tỉnh Tuyên Quang" in svg

    async def test_an_unknown_zone_or_booth_is_a_422_and_changes_nothing(self, app):
        bad = {"halls": [{"rows": 1, "booths_per_row": 3, "zones": [{"zone": "NOPE", "rows": ["A"]},
                                                                     {"zone": "TCMN", "booths": ["Z9"]}]}]}
        async with running_app(app) as client:
            fair_id = await zoned_fair(app, client)
            res = await client.put(f"/fairs/{fair_id}/floorplan/grid", json=bad, headers=organizer(app))
            plan = (await client.get(f"/fairs/{fair_id}/floorplan")).json()
        assert res.status_code == 422
        assert [e["field"] for e in res.json()["errors"]] == ["halls[0].zones[0].zone", "halls[0].zones[1].booths"]
        assert plan["booth_count"] == 70


    @pytest.mark.parametrize(("hall", "field", "named"), [
        ({"rows": 2, "booths_per_row": 3, "reserved": ["A02", "Z99"]}, "halls[0].reserved", "Z99"),
        ({"rows": 2, "booths_per_row": 3, "reserved": ["A04"]}, "halls[0].reserved", "A04"),
        ({"code": "H1", "rows": 2, "booths_per_row": 3, "reserved": ["H2-A01"]}, "halls[0].reserved", "H2-A01"),
        ({"rows": 7, "booths_per_row": 3, "zones": [{"zone": "TCMN", "rows": ["A", "Q"]}]}, "halls[0].zones[0].rows",
         "Q"),
    ])
    async def test_a_reserved_cell_or_zone_row_outside_the_hall_is_a_422_naming_it_and_changes_nothing(
            self, app, hall, field, named):
        async with running_app(app) as client:
            fair_id = await zoned_fair(app, client)
            before = await emitted(app)
            res = await client.put(f"/fairs/{fair_id}/floorplan/grid", json={"halls": [hall]},
                                   headers=organizer(app))
            plan = (await client.get(f"/fairs/{fair_id}/floorplan")).json()
        assert res.status_code == 422, res.text
        problem = res.json()
        assert problem["type"].endswith("invalid-floorplan")
        assert [e["field"] for e in problem["errors"]] == [field] and named in problem["errors"][0]["message"]
        assert plan["booth_count"] == 70 and await emitted(app) == before


class TestCsvImport:
    async def test_imports_rectangles_with_rows_corners_neighbours_and_zones(self, app):
        async with running_app(app) as client:
            fair_id = await zoned_fair(app, client)
            res = await client.put(f"/fairs/{fair_id}/floorplan/csv", content=CSV.encode(),
                                   headers={**organizer(app), "Content-Type": "text/csv"})
            plan = (await client.get(f"/fairs/{fair_id}/floorplan")).json()
        assert res.status_code == 200, res.text
        booths = {b["code"]: b for b in plan["booths"]}
        assert (booths["A03"]["width_m"], booths["S1"]["depth_m"]) == (6, 4.5)
        assert booths["A01"]["row"] == booths["S1"]["row"] == "A" and booths["B01"]["row"] == "B"
        assert booths["A01"]["neighbours"] == ["A02", "B01"]
        assert booths["A02"]["corner"] is False and booths["A03"]["corner"] and booths["S1"]["corner"]
        assert plan["counts"]["free"] == 5

    async def test_overlapping_booths_are_a_422_naming_the_line_and_change_nothing(self, app):
        overlapping = CSV + "A04,,10,1,3,3,\n"
        async with running_app(app) as client:
            fair_id = await zoned_fair(app, client)
            before = len(await emitted(app))
            res = await client.put(f"/fairs/{fair_id}/floorplan/csv", content=overlapping,
                                   headers={**organizer(app), "Content-Type": "text/csv"})
            plan = (await client.get(f"/fairs/{fair_id}/floorplan")).json()
        assert res.status_code == 422
        assert res.headers["content-type"] == "application/problem+json"
        problem = res.json()
        assert "dòng 7" in problem["title"] and "A04" in problem["title"] and "A03" in problem["title"]
        assert problem["errors"][0]["line"] == 7
        assert plan["booth_count"] == 70 and len(await emitted(app)) == before

    async def test_bad_lines_are_listed_with_their_numbers(self, app):
        text = "code,x,y,zone\nA01,0,0,\nA02,three,0,\nA03,6,0,NOPE\n"
        async with running_app(app) as client:
            fair_id = await zoned_fair(app, client)
            res = await client.put(f"/fairs/{fair_id}/floorplan/csv", content=text,
                                   headers={**organizer(app), "Content-Type": "text/csv"})
            latin = await client.put(f"/fairs/{fair_id}/floorplan/csv", content="code,x,y\nÉ1,0,0\n".encode("latin-1"),
                                     headers={**organizer(app), "Content-Type": "text/csv"})
        assert res.status_code == 422
        assert [(e["line"], e["field"]) for e in res.json()["errors"]] == [(3, "x"), (4, "zone")]
        assert latin.status_code == 422

    async def test_only_the_fairs_organizers_may_replace_a_plan(self, app):
        async with running_app(app) as client:
            fair = await published_fair(app)
            url = f"/fairs/{fair.fair_id}/floorplan/csv"
            other = await client.put(url, content=CSV, headers=organizer(app, "other"))
            exhibitor = await client.put(url, content=CSV, headers=token(app.state.settings, "exhibitor",
                                                                         exhibitor_id="ex-1"))
            anonymous = await client.put(url, content=CSV)
        assert (other.status_code, exhibitor.status_code, anonymous.status_code) == (404, 403, 401)

    async def test_a_plan_with_assignments_cannot_be_replaced(self, app):
        async with running_app(app) as client:
            fair = await published_fair(app)
            await deliver(app, approved(fair.fair_id, 1))
            res = await client.put(f"/fairs/{fair.fair_id}/floorplan/csv", content="code,x,y\nA01,0,0\n",
                                   headers={**organizer(app), "Content-Type": "text/csv"})
        assert res.status_code == 409 and res.json()["type"].endswith("plan-in-use")


class TestZonesInAllocation:
    async def test_approvals_go_to_their_pavilion_or_sector_zone_or_the_general_area(self, app):
        async with running_app(app) as client:
            fair_id = await zoned_fair(app, client)
            await client.put(f"/fairs/{fair_id}/floorplan/csv", content=CSV,
                             headers={**organizer(app), "Content-Type": "text/csv"})
            local = approved(fair_id, 1, province_code="08", sector="Thủ công mỹ nghệ")
            crafts = approved(fair_id, 2, province_code="24", sector="thu cong my nghe")
            other = approved(fair_id, 1, province_code="24", sector="cơ khí")
            late = approved(fair_id, 1, province_code="08")
            for approval in (local, crafts, other, late):
                await deliver(app, approval)
            unmet = (await client.get(f"/fairs/{fair_id}/unmet-requests", headers=organizer(app))).json()
        got = {p["registration_id"]: p for _, _, p in await emitted(app, "booths.assigned")}
        assert got[local.registration_id]["booth_codes"] == ["B01"]
        assert "gian tỉnh Tuyên Quang (PV08)" in got[local.registration_id]["reason"]
        assert got[crafts.registration_id]["booth_codes"] == ["A01", "A02"]
        assert got[other.registration_id]["booth_codes"] in (["A03"], ["S1"])
        assert [u["registration_id"] for u in unmet["data"]] == [late.registration_id]
        assert "gian tỉnh" in unmet["data"][0]["reason"]


class TestWhoSeesWhat:
    async def test_the_public_sees_a_name_only_once_its_booths_are_paid(self, app):
        async with running_app(app) as client:
            fair = await published_fair(app)
            paid, unpaid = approved(fair.fair_id, 1, name="HTX Đã Trả"), approved(fair.fair_id, 1, name="HTX Chưa Trả")
            await deliver(app, paid)
            await deliver(app, unpaid)
            await deliver(app, InvoicePaid(fair_id=fair.fair_id, invoice_id=unique("inv-"),
                                           registration_id=paid.registration_id, paid_on=date.today()))
            public = (await client.get(f"/fairs/{fair.fair_id}/floorplan")).json()
            svg = (await client.get(f"/fairs/{fair.fair_id}/floorplan.svg")).text
            staff = (await client.get(f"/fairs/{fair.fair_id}/floorplan", headers=organizer(app))).json()
        names = {b["code"]: b.get("exhibitor_name") for b in public["booths"][:2]}
        assert names == {"A01": "HTX Đã Trả", "A02": None}
        assert all("exhibitor_id" not in b for b in public["booths"])
        assert "HTX Đã Trả" in svg and "HTX Chưa Trả" not in svg
        assert staff["booths"][1]["exhibitor_name"] == "HTX Chưa Trả"
