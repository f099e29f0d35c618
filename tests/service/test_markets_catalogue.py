"""The markets service's planning settings, sites and suppliers, in memory on a real database file."""

from __future__ import annotations

from typing import Any

import pytest

from services.markets.app import create_app
from services.markets.models import Site, Supplier
from services.markets.service.proposals import SolverConfig
from tests.conftest import running_app, token
from tests.service.test_markets import YEAR, assert_problem, count, new_programme


@pytest.fixture
def app(settings_for):
    """The markets service on a fresh database, its solver kept small for tests."""
    application = create_app(settings_for("markets"))
    application.state.solver = SolverConfig(time_limit_s=20, max_time_limit_s=30, workers=2)
    return application


@pytest.fixture
def organizer(app) -> dict[str, str]:
    return token(app.state.settings, "organizer", centre_id="tq", subject="can-bo-tq")


LUNG_PHIN, KHAU_VAI, MEO_VAC = "00763", "00802", "00769"


def site_body(**overrides: Any) -> dict[str, Any]:
    """Lũng Phìn: a border commune whose market moves back a day each week (Dần–Thân days)."""
    body: dict[str, Any] = {"commune_code": LUNG_PHIN, "border": True, "mountain": True, "capacity_booths": 40,
                            "travel_hours": 4.5, "market_day": {"kind": "branch", "branches": ["Dần", "Thân"]},
                            "blackouts": [{"starts_on": f"{YEAR}-07-01", "ends_on": f"{YEAR}-08-31",
                                           "reason": "mùa mưa lũ"}]}
    body.update(overrides)
    return body


def supplier_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "HTX Chè Shan tuyết Lũng Phìn", "kind": "cooperative",
                            "categories": ["nông sản", "thực phẩm"], "funded": True, "max_sessions": 6,
                            "booths": 2, "availability": [{"starts_on": f"{YEAR}-03-01", "ends_on": f"{YEAR}-11-30"}]}
    body.update(overrides)
    return body


async def new_site(client, headers, programme_id: str, **overrides: Any) -> dict[str, Any]:
    res = await client.post(f"/programmes/{programme_id}/sites", json=site_body(**overrides), headers=headers)
    assert res.status_code == 201, res.text
    return res.json()


class TestPlanningSettings:
    async def test_a_new_programme_takes_the_defaults_or_what_it_is_given(self, app, organizer):
        async with running_app(app) as client:
            plain = await new_programme(client, organizer)
            tuned = await new_programme(client, organizer, name="Tuned", min_gap_days=30, max_concurrent=2,
                                        market_day_mode="start", blackouts=[
                                            {"starts_on": f"{YEAR}-06-01", "ends_on": f"{YEAR}-06-10"}])
            read = (await client.get(f"/programmes/{tuned['id']}")).json()
        assert plain["planning"]["min_gap_days"] == 60
        assert plain["planning"]["max_concurrent"] == 1
        assert plain["planning"]["market_day_mode"] == "span"
        assert read["planning"]["max_concurrent"] == 2
        assert read["planning"]["blackouts"] == [{"starts_on": f"{YEAR}-06-01", "ends_on": f"{YEAR}-06-10",
                                                  "reason": ""}]

    async def test_an_organizer_changes_figures_and_settings_but_not_the_year(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.patch(f"/programmes/{pid}", headers=organizer, json={
                "target_sessions": 30, "budget_vnd": None, "session_cost_vnd": 50_000_000,
                "blackouts": [{"starts_on": f"{YEAR}-09-10", "ends_on": f"{YEAR}-09-12", "reason": "bầu cử"}]})
            year = await client.patch(f"/programmes/{pid}", headers=organizer, json={"year": YEAR + 1})
            other = await client.patch(f"/programmes/{pid}", json={"target_sessions": 1},
                                       headers=token(app.state.settings, "organizer", centre_id="lc"))
        assert res.status_code == 200, res.text
        body = res.json()
        assert (body["target_sessions"], body["budget_vnd"], body["booth_quota"]) == (30, None, 40)
        assert body["planning"]["session_cost_vnd"] == 50_000_000
        assert body["planning"]["blackouts"][0]["reason"] == "bầu cử"
        assert_problem(year, 422, "year")
        assert_problem(other, 404)

    async def test_the_cap_per_commune_is_set_read_and_cleared(self, app, organizer):
        async with running_app(app) as client:
            created = await new_programme(client, organizer, max_per_commune=3)
            pid = created["id"]
            changed = (await client.patch(f"/programmes/{pid}", headers=organizer,
                                          json={"max_per_commune": 2})).json()
            untouched = (await client.patch(f"/programmes/{pid}", headers=organizer,
                                            json={"min_gap_days": 45})).json()
            read = (await client.get(f"/programmes/{pid}")).json()
            cleared = (await client.patch(f"/programmes/{pid}", headers=organizer,
                                          json={"max_per_commune": None})).json()
            plain = await new_programme(client, organizer, name="Không trần")
        assert created["planning"]["max_per_commune"] == 3
        assert changed["planning"]["max_per_commune"] == 2
        assert untouched["planning"]["max_per_commune"] == 2
        assert read["planning"]["max_per_commune"] == 2
        assert cleared["planning"]["max_per_commune"] is None
        assert plain["planning"]["max_per_commune"] is None

    @pytest.mark.sqlite_only(reason="a request's fields are checked before anything is read or stored")
    @pytest.mark.parametrize(("overrides", "field"), [
        ({"min_gap_days": -1}, "min_gap_days"),
        ({"max_concurrent": 0}, "max_concurrent"),
        ({"market_day_mode": "sometimes"}, "market_day_mode"),
        ({"avoid_holidays": "yes"}, "avoid_holidays"),
        ({"blackouts": [{"starts_on": f"{YEAR}-05-02", "ends_on": f"{YEAR}-05-01"}]}, "blackouts.0"),
        ({"blackouts": [{"starts_on": f"{YEAR}-05-02"}]}, "blackouts.0.ends_on"),
        ({"session_cost_vnd": 1.5}, "session_cost_vnd"),
        ({"max_per_commune": 0}, "max_per_commune"),
        ({"max_per_commune": "2"}, "max_per_commune"),
    ])
    async def test_bad_settings_name_the_field(self, app, organizer, overrides, field):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.patch(f"/programmes/{pid}", json=overrides, headers=organizer)
        assert_problem(res, 422, field)


class TestSites:
    async def test_adds_a_cho_lui_site_by_code_with_a_priority_from_its_flags(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            site = await new_site(client, organizer, pid)
            public = (await client.get(f"/programmes/{pid}/sites")).json()
            one = (await client.get(f"/sites/{site['id']}")).json()
        assert site["commune_name"] == "Xã Lũng Phìn"
        assert site["market_day"] == {"kind": "branch", "branches": ["Dần", "Thân"]}
        assert "Dần và Thân" in site["market_day_text"]
        assert site["priority"] == 5  # border 3 + mountain 1 + 1
        assert site["name"] == "Chợ xã Lũng Phìn"
        assert public["count"] == 1
        assert one == site

    async def test_a_yearly_lunar_market_is_stored_and_said_in_words(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            site = await new_site(client, organizer, pid, commune_code=KHAU_VAI, market_day={
                "kind": "lunar_yearly", "dates": [{"month": 3, "day": 27}]})
            changed = await client.patch(f"/sites/{site['id']}", headers=organizer, json={"market_day": {
                "kind": "lunar_yearly", "dates": [{"month": 3, "day": 27}, {"month": 1, "day": 15}]}})
        assert site["market_day"] == {"kind": "lunar_yearly", "dates": [{"month": 3, "day": 27}]}
        assert site["market_day_text"] == "ngày 27/3 âm lịch hằng năm"
        assert site["name"] == "Chợ xã Khâu Vai"
        assert changed.json()["market_day_text"] == "ngày 15/1, 27/3 âm lịch hằng năm"

    async def test_maps_an_old_town_name_to_todays_commune(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            site = await new_site(client, organizer, pid, commune_code=None, commune_name="Thị trấn Mèo Vạc",
                                  market_day={"kind": "weekday", "weekdays": [7]})
            ambiguous = await client.post(f"/programmes/{pid}/sites", headers=organizer, json=site_body(
                commune_code=None, commune_name="Xã Tả Lủng"))
            narrowed = await new_site(client, organizer, pid, commune_code=None, commune_name="Xã Tả Lủng",
                                      former_district="Huyện Đồng Văn")
        assert site["commune_code"] == MEO_VAC
        assert site["imported_as"] == "Thị trấn Mèo Vạc, Huyện Mèo Vạc"
        assert_problem(ambiguous, 422, "commune_name")
        assert narrowed["commune_code"] == "00721"

    async def test_imports_a_list_all_or_nothing(self, app, organizer):
        good = [site_body(), site_body(commune_code=KHAU_VAI, market_day={"kind": "lunar",
                                                                          "days": [2, 7, 12, 17, 22, 27]})]
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            bad = await client.post(f"/programmes/{pid}/sites/import", headers=organizer, json={"sites": [
                good[0], site_body(commune_code=None, commune_name="Atlantis")]})
            assert await count(app, Site) == 0
            res = await client.post(f"/programmes/{pid}/sites/import", headers=organizer, json={"sites": good})
            again = await client.post(f"/programmes/{pid}/sites", headers=organizer, json=good[1])
        assert_problem(bad, 422, "sites.1.commune_name")
        assert res.status_code == 201, res.text
        assert [s["commune_code"] for s in res.json()["data"]] == [LUNG_PHIN, KHAU_VAI]
        assert_problem(again, 409, "commune_code")

    async def test_refuses_a_commune_of_another_province(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/sites", json=site_body(commune_code="02683"),
                                    headers=organizer)
        assert_problem(res, 422, "commune_code")

    @pytest.mark.sqlite_only(reason="a request's fields are checked before anything is read or stored")
    @pytest.mark.parametrize(("overrides", "field"), [
        ({"market_day": {"kind": "branch", "branches": ["Rồng"]}}, "market_day.branch.branches.0"),
        ({"market_day": {"kind": "lunar", "days": [0]}}, "market_day.lunar.days.0"),
        ({"market_day": {"kind": "lunar_yearly", "dates": [{"month": 13, "day": 27}]}},
         "market_day.lunar_yearly.dates.0.month"),
        ({"market_day": {"kind": "lunar_yearly", "dates": []}}, "market_day.lunar_yearly.dates"),
        ({"market_day": {"kind": "weekday", "weekdays": [8]}}, "market_day.weekday.weekdays.0"),
        ({"market_day": {"kind": "fortnightly"}}, "market_day"),
        ({"capacity_booths": 0}, "capacity_booths"),
        ({"travel_hours": True}, "travel_hours"),
        ({"priority": 101}, "priority"),
        ({"commune_name": "Lũng Phìn"}, ""),
    ])
    async def test_bad_sites_name_the_field(self, app, organizer, overrides, field):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/sites", json=site_body(**overrides), headers=organizer)
        assert res.status_code == 422, res.text
        assert any(e["field"].startswith(field) for e in res.json()["errors"]), res.text

    async def test_changes_and_drops_a_site(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            sid = (await new_site(client, organizer, pid))["id"]
            changed = await client.patch(f"/sites/{sid}", headers=organizer, json={
                "blackouts": [{"starts_on": f"{YEAR}-04-01", "ends_on": f"{YEAR}-04-30",
                               "reason": "Đồn Biên phòng tạm dừng tụ tập"}], "max_sessions": 2})
            other = await client.patch(f"/sites/{sid}", json={"priority": 9},
                                       headers=token(app.state.settings, "organizer", centre_id="lc"))
            gone = await client.delete(f"/sites/{sid}", headers=organizer)
            after = await client.get(f"/sites/{sid}")
        assert changed.status_code == 200, changed.text
        assert changed.json()["blackouts"][0]["reason"] == "Đồn Biên phòng tạm dừng tụ tập"
        assert changed.json()["max_sessions"] == 2
        assert changed.json()["market_day"]["kind"] == "branch"
        assert_problem(other, 404)
        assert gone.status_code == 204
        assert_problem(after, 404)

    async def test_an_exhibitor_cannot_add_a_site(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/sites", json=site_body(),
                                    headers=token(app.state.settings, "exhibitor", exhibitor_id="e1"))
        assert_problem(res, 403)


class TestSuppliers:
    async def test_enrols_lists_changes_and_drops_a_supplier(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/suppliers", json=supplier_body(), headers=organizer)
            sid = res.json()["id"]
            twice = await client.post(f"/programmes/{pid}/suppliers", json=supplier_body(), headers=organizer)
            changed = await client.patch(f"/suppliers/{sid}", json={"max_sessions": 3, "tax_code": "0100233488"},
                                         headers=organizer)
            listed = (await client.get(f"/programmes/{pid}/suppliers", headers=organizer)).json()
            gone = await client.delete(f"/suppliers/{sid}", headers=organizer)
            assert await count(app, Supplier) == 0
        assert res.status_code == 201, res.text
        assert res.json()["categories"] == ["nông sản", "thực phẩm"]
        assert res.json()["availability"][0]["starts_on"] == f"{YEAR}-03-01"
        assert_problem(twice, 409, "name")
        assert changed.json()["max_sessions"] == 3
        assert changed.json()["funded"] is True
        assert listed["count"] == 1
        assert gone.status_code == 204

    async def test_only_the_programmes_organizer_sees_its_suppliers(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            sid = (await client.post(f"/programmes/{pid}/suppliers", json=supplier_body(),
                                     headers=organizer)).json()["id"]
            public = await client.get(f"/programmes/{pid}/suppliers")
            other = token(app.state.settings, "organizer", centre_id="lc")
            foreign = await client.get(f"/suppliers/{sid}", headers=other)
            exhibitor = await client.get(f"/suppliers/{sid}",
                                         headers=token(app.state.settings, "exhibitor", exhibitor_id="e1"))
        assert_problem(public, 401)
        assert_problem(foreign, 404)
        assert_problem(exhibitor, 403)

    @pytest.mark.sqlite_only(reason="a request's fields are checked before anything is read or stored")
    @pytest.mark.parametrize(("overrides", "field"), [
        ({"categories": []}, "categories"),
        ({"categories": ["x" * 61]}, "categories.0"),
        ({"tax_code": "12345"}, "tax_code"),
        ({"tax_code": "0100109107"}, "tax_code"),  # wrong check digit (0100109106 is valid)
        ({"tax_code": "0100233488-000"}, "tax_code"),
        ({"tax_code": "001203004567"}, "tax_code"),  # a personal ID, but the supplier is a cooperative
        ({"tax_code": "999203004567", "kind": "household"}, "tax_code"),  # no province has code 999
        ({"tax_code": 100109106}, "tax_code"),
        ({"funded": "yes"}, "funded"),
        ({"max_sessions": 0}, "max_sessions"),
        ({"kind": "bank"}, "kind"),
        ({"availability": [{"starts_on": f"{YEAR}-05-02", "ends_on": f"{YEAR}-05-01"}]}, "availability.0"),
    ])
    async def test_bad_suppliers_name_the_field(self, app, organizer, overrides, field):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/suppliers", json=supplier_body(**overrides),
                                    headers=organizer)
        assert_problem(res, 422, field)

    async def test_a_wrong_check_digit_is_refused_by_the_kernel_rule(self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            res = await client.post(f"/programmes/{pid}/suppliers", json=supplier_body(tax_code="0100109107"),
                                    headers=organizer)
        assert_problem(res, 422, "tax_code")
        assert res.json()["type"].endswith("invalid-tax-code")
        assert "chữ số kiểm tra" in res.json()["errors"][0]["message"]

    async def test_a_household_enrols_with_its_personal_id_and_a_branch_without_hyphen_is_kept_with_one(
            self, app, organizer):
        async with running_app(app) as client:
            pid = (await new_programme(client, organizer))["id"]
            household = await client.post(f"/programmes/{pid}/suppliers", json=supplier_body(
                name="Hộ kinh doanh Vàng Thị Mỷ", kind="household", tax_code="002 085 001234"), headers=organizer)
            branch = await client.post(f"/programmes/{pid}/suppliers", json=supplier_body(
                name="Chi nhánh Công ty Chè", kind="enterprise", tax_code="0100233488001"), headers=organizer)
            no_longer_household = await client.patch(f"/suppliers/{household.json()['id']}",
                                                     json={"kind": "enterprise"}, headers=organizer)
        assert household.status_code == 201, household.text
        assert household.json()["tax_code"] == "002085001234"
        assert branch.status_code == 201, branch.text
        assert branch.json()["tax_code"] == "0100233488-001"
        assert_problem(no_longer_household, 422, "tax_code")
