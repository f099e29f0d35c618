"""Exhibitor profiles: complete, checked against reference data, one per tax code, changed only by their owner."""

from __future__ import annotations

import pytest

from services.registration.models import Exhibitor
from tests.conftest import running_app, unique
from tests.service.fixtures import exhibitor_body
from tests.service.test_registration_support import (
    exhibitor_at,
    exhibitor_headers,
    make_app,
    new_exhibitor,
    next_tax_code,
    open_fair,
    organizer,
)

CHE = {"name": "Chè Shan tuyết Lũng Phìn", "group": "agro_food",
       "recognition": {"level": "national", "certificate_no": "1234/QĐ-BCT", "year": 2024}}


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


class TestCreateProfile:
    async def test_keeps_a_complete_profile_with_codes_and_e164(self, app):
        async with running_app(app) as client:
            _, profile = await new_exhibitor(client, app, province_code="Hà Giang", commune_code="Đồng Văn",
                                             phone="091 234 5678", sectors=["Chè", "Nông sản"], products=[CHE])
        assert profile["province_code"] == "08" and profile["commune_code"] == "00721"
        assert profile["phone"] == "+84912345678"
        assert profile["sectors"] == ["Chè", "Nông sản"]
        assert profile["products"] == [CHE]

    async def test_a_household_may_use_a_12_digit_personal_id_an_enterprise_may_not(self, app):
        async with running_app(app) as client:
            ok = await client.post("/exhibitors", json=exhibitor_body(kind="household", tax_code="002085001234"),
                                   headers=exhibitor_headers(app, unique("ex-")))
            refused = await client.post("/exhibitors", json=exhibitor_body(kind="enterprise", tax_code="002085009999"),
                                        headers=exhibitor_headers(app, unique("ex-")))
        assert ok.status_code == 201, ok.text
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "tax_code"

    async def test_accepts_a_branch_tax_code(self, app):
        async with running_app(app) as client:
            res = await client.post("/exhibitors", json=exhibitor_body(tax_code="0100233488-001"),
                                    headers=exhibitor_headers(app, unique("ex-")))
        assert res.status_code == 201 and res.json()["tax_code"] == "0100233488-001"

    async def test_one_profile_per_tax_code(self, app):
        tax = next_tax_code()
        async with running_app(app) as client:
            await new_exhibitor(client, app, tax_code=tax)
            second = await client.post("/exhibitors", json=exhibitor_body(tax_code=tax),
                                       headers=exhibitor_headers(app, unique("ex-")))
        assert second.status_code == 409
        assert second.json()["type"].endswith("duplicate-tax-code")
        assert second.json()["errors"][0]["field"] == "tax_code"

    async def test_refuses_a_commune_outside_the_province(self, app):
        async with running_app(app) as client:
            res = await client.post("/exhibitors", json=exhibitor_body(province_code="Bắc Giang", commune_code="00721",
                                                                       tax_code=next_tax_code()),
                                    headers=exhibitor_headers(app, unique("ex-")))
        assert res.status_code == 422
        assert res.json()["errors"][0]["field"] == "commune_code"

    async def test_needs_a_commune_of_the_province(self, app):
        exhibitor_id = unique("ex-")
        headers = exhibitor_headers(app, exhibitor_id)
        body = exhibitor_body(tax_code=next_tax_code())
        async with running_app(app) as client:
            missing = await client.post("/exhibitors", json={k: v for k, v in body.items() if k != "commune_code"},
                                        headers=headers)
            blank = await client.post("/exhibitors", json={**body, "commune_code": "   "}, headers=headers)
            null = await client.post("/exhibitors", json={**body, "commune_code": None}, headers=headers)
            created = await client.get(f"/exhibitors/{exhibitor_id}", headers=organizer(app))
            by_name = await client.post("/exhibitors", json={**body, "commune_code": "Mèo Vạc"}, headers=headers)
        for res in (missing, blank, null):
            assert res.status_code == 422 and [e["field"] for e in res.json()["errors"]] == ["commune_code"]
        assert blank.json()["type"].endswith("commune-required")
        assert created.status_code == 404
        assert by_name.status_code == 201 and by_name.json()["commune_code"] == "00769"

    async def test_refuses_a_phone_that_is_no_number(self, app):
        async with running_app(app) as client:
            res = await client.post("/exhibitors", json=exhibitor_body(phone="12345", tax_code=next_tax_code()),
                                    headers=exhibitor_headers(app, unique("ex-")))
        assert res.status_code == 422
        assert res.json()["errors"][0]["field"] == "phone"


class TestEditProfile:
    async def test_the_exhibitor_edits_its_own_profile_and_the_change_is_audited(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app))
            headers, profile = await exhibitor_at(client, app, fair["id"])
            res = await client.patch(f"/exhibitors/{profile['id']}", headers=headers,
                                     json={"phone": "0987654321", "products": [CHE], "commune_code": "00769"})
            log = await client.get(f"/exhibitors/{profile['id']}/audit", headers=organizer(app))
        assert res.status_code == 200, res.text
        assert res.json()["phone"] == "+84987654321" and res.json()["commune_code"] == "00769"
        assert res.json()["legal_name"] == profile["legal_name"]
        actions = [(e["action"], e["actor"]) for e in log.json()["data"]]
        assert actions == [("exhibitor.created", profile["id"]), ("exhibitor.updated", profile["id"])]
        assert log.json()["data"][1]["changes"]["phone"] == ["+84912345678", "+84987654321"]

    async def test_another_exhibitor_cannot_read_or_edit_it(self, app):
        async with running_app(app) as client:
            fair = await open_fair(client, organizer(app))
            _, profile = await exhibitor_at(client, app, fair["id"])
            other, _ = await new_exhibitor(client, app)
            read = await client.get(f"/exhibitors/{profile['id']}", headers=other)
            edit = await client.patch(f"/exhibitors/{profile['id']}", json={"legal_name": "Chiếm"}, headers=other)
            audit = await client.get(f"/exhibitors/{profile['id']}/audit", headers=other)
            by_organizer = await client.patch(f"/exhibitors/{profile['id']}", json={"legal_name": "X"},
                                              headers=organizer(app))
            after = await client.get(f"/exhibitors/{profile['id']}", headers=organizer(app))
        assert (read.status_code, edit.status_code, audit.status_code) == (404, 404, 404)
        assert by_organizer.status_code == 403
        assert after.json()["legal_name"] == profile["legal_name"]

    async def test_cannot_take_another_exhibitors_tax_code(self, app):
        async with running_app(app) as client:
            _, first = await new_exhibitor(client, app)
            headers, second = await new_exhibitor(client, app)
            res = await client.patch(f"/exhibitors/{second['id']}", json={"tax_code": first["tax_code"]},
                                     headers=headers)
        assert res.status_code == 409 and res.json()["errors"][0]["field"] == "tax_code"

    async def test_a_required_field_cannot_be_cleared(self, app):
        async with running_app(app) as client:
            headers, profile = await new_exhibitor(client, app)
            res = await client.patch(f"/exhibitors/{profile['id']}", json={"legal_name": None}, headers=headers)
        assert res.status_code == 422 and res.json()["errors"][0]["field"] == "legal_name"


    async def test_the_commune_can_change_but_not_be_cleared(self, app):
        async with running_app(app) as client:
            headers, profile = await new_exhibitor(client, app)
            path = f"/exhibitors/{profile['id']}"
            cleared = [await client.patch(path, json={"commune_code": value}, headers=headers)
                       for value in (None, "", "  ")]
            moved = await client.patch(path, json={"commune_code": "00769"}, headers=headers)
        assert [(r.status_code, r.json()["errors"][0]["field"]) for r in cleared] == [(422, "commune_code")] * 3
        assert moved.status_code == 200 and moved.json()["commune_code"] == "00769"

    async def test_a_profile_made_before_the_commune_was_required_can_still_be_edited(self, app):
        exhibitor_id = unique("ex-")
        async with running_app(app) as client:
            async with app.state.runtime.db.transaction() as session:
                session.add(Exhibitor(id=exhibitor_id, legal_name="HTX cũ", kind="cooperative",
                                      tax_code=next_tax_code(), province_code="08"))
            res = await client.patch(f"/exhibitors/{exhibitor_id}", json={"phone": "0912345678"},
                                     headers=exhibitor_headers(app, exhibitor_id))
        assert res.status_code == 200, res.text
        assert res.json()["phone"] == "+84912345678" and res.json()["commune_code"] is None


class TestSearch:
    async def test_finds_without_diacritics_both_tone_placements(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            for name in ("HTX Mây tre Hoà Bình", "Công ty Gốm Hòa Bình", "Hộ kinh doanh Đắk Lắk"):
                await exhibitor_at(client, app, fair["id"], legal_name=name)
            hoa_binh = (await client.get("/exhibitors", params={"q": "hoa binh"}, headers=org)).json()
            dak_lak = (await client.get("/exhibitors", params={"q": "DAK LAK"}, headers=org)).json()
            accented = (await client.get("/exhibitors", params={"q": "Hoà Bình"}, headers=org)).json()
            wildcard = (await client.get("/exhibitors", params={"q": "%"}, headers=org)).json()
        assert {e["legal_name"] for e in hoa_binh["data"]} == {"HTX Mây tre Hoà Bình", "Công ty Gốm Hòa Bình"}
        assert [e["legal_name"] for e in dak_lak["data"]] == ["Hộ kinh doanh Đắk Lắk"]
        assert accented["count"] == 2
        assert wildcard["count"] == 0

    async def test_finds_by_old_province_name_and_product(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            await exhibitor_at(client, app, fair["id"], legal_name="HTX Thổ cẩm Lũng Cú", province_code="Hà Giang",
                               products=[{"name": "Khăn thổ cẩm"}])
            by_place = (await client.get("/exhibitors", params={"q": "lung cu ha giang"}, headers=org)).json()
            by_product = (await client.get("/exhibitors", params={"q": "tho cam"}, headers=org)).json()
        assert by_place["count"] == 1 and by_product["count"] >= 1

    async def test_exhibitors_cannot_search_others(self, app):
        async with running_app(app) as client:
            headers, _ = await new_exhibitor(client, app)
            res = await client.get("/exhibitors", headers=headers)
        assert res.status_code == 403
