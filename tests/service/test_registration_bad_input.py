"""Bad input of every kind gets a 4xx problem naming the field, and changes nothing (rows, audit, outbox)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from services.registration.models import TABLES
from shared.outbox import OutboxMessage
from tests.conftest import running_app
from tests.service.fixtures import exhibitor_body, fair_body
from tests.service.test_registration_support import (
    exhibitor_at,
    exhibitor_headers,
    make_app,
    new_exhibitor,
    next_tax_code,
    open_fair,
    organizer,
    register,
)

LONG = "x" * 301


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


async def everything(app) -> list[dict[str, Any]]:
    """Every row of every table of the service, outbox included (without the relay's own bookkeeping)."""
    rows: list[dict[str, Any]] = []
    async with app.state.runtime.db.sessions() as session:
        for table in [*TABLES, OutboxMessage]:
            found = (await session.exec(select(table).order_by(table.id))).all()  # type: ignore[attr-defined]
            rows.extend(r.model_dump(exclude={"sent_at", "attempts", "last_error"}) for r in found)
    return rows


def fields_of(answer) -> list[str]:
    return [e["field"] for e in answer.json().get("errors", [])]


async def check(client, app, cases: list[tuple[str, str, str, Any, str]], headers: dict[str, str]) -> None:
    """Each case: (what, method, path, json body, the field the problem must name)."""
    before = await everything(app)
    for what, method, path, body, field in cases:
        res = await client.request(method, path, json=body, headers=headers)
        assert 400 <= res.status_code < 500, (what, res.status_code, res.text)
        assert res.headers["content-type"] == "application/problem+json", what
        assert field in fields_of(res), (what, res.json())
    assert await everything(app) == before


async def test_exhibitor_profiles(app):
    headers = exhibitor_headers(app, "ex-bad")
    cases = [(what, "POST", "/exhibitors", exhibitor_body(**{"tax_code": next_tax_code(), **change}), field)
             for what, change, field in [
                 ("wrong check digit", {"tax_code": "0100233480"}, "tax_code"),
                 ("letters in the tax code", {"tax_code": "01002334AB"}, "tax_code"),
                 ("branch 000", {"tax_code": "0100233488-000"}, "tax_code"),
                 ("unknown province", {"province_code": "Atlantis"}, "province_code"),
                 ("unknown commune", {"commune_code": "99999"}, "commune_code"),
                 ("commune of another province", {"province_code": "24", "commune_code": "00721"}, "commune_code"),
                 ("not a phone", {"phone": "call me"}, "phone"),
                 ("not an email", {"email": "htx-at-example"}, "email"),
                 ("oversized name", {"legal_name": LONG}, "legal_name"),
                 ("empty name", {"legal_name": "  "}, "legal_name"),
                 ("name of the wrong type", {"legal_name": 42}, "legal_name"),
                 ("flag as a string", {"is_cscnnt": "yes"}, "is_cscnnt"),
                 ("unknown kind", {"kind": "corporation"}, "kind"),
                 ("unknown recognition level", {"products": [{"name": "Chè", "recognition": {"level": "world"}}]},
                  "products.0.recognition.level"),
                 ("recognition year as text", {"products": [{"name": "Chè", "recognition": {
                     "level": "national", "year": "2024"}}]}, "products.0.recognition.year"),
                 ("too many products", {"products": [{"name": f"P{i}"} for i in range(51)]}, "products"),
                 ("unknown field", {"role": "admin"}, "role"),
             ]]
    async with running_app(app) as client:
        await check(client, app, cases, headers)


async def test_fairs(app):
    org = organizer(app)
    cases = [(what, "POST", "/fairs", fair_body(**change), field) for what, change, field in [
        ("negative capacity", {"capacity_booths": -1}, "capacity_booths"),
        ("capacity as text", {"capacity_booths": "70"}, "capacity_booths"),
        ("huge capacity", {"capacity_booths": 10**12}, "capacity_booths"),
        ("fractional price", {"booth_price_vnd": 1.5}, "booth_price_vnd"),
        ("negative price", {"booth_price_vnd": -5}, "booth_price_vnd"),
        ("ends before it starts", {"ends_on": "2027-01-01"}, "ends_on"),
        ("not a date", {"starts_on": "20/01/2027"}, "starts_on"),
        ("window closes before it opens", {"registration_closes_at": "2026-01-01T00:00:00+07:00"},
         "registration_closes_at"),
        ("naive datetime", {"registration_opens_at": "2026-11-01T08:00:00"}, "registration_opens_at"),
        ("unknown province", {"province_code": "Atlantis"}, "province_code"),
        ("venue commune elsewhere", {"venue_commune_code": "00721", "province_code": "01"}, "venue_commune_code"),
        ("seller tax code", {"seller": {"name": "TT", "tax_code": "123"}}, "seller.tax_code"),
        ("eligibility kind", {"eligibility": {"kinds": ["bank"]}}, "eligibility.kinds.0"),
        ("eligibility province", {"eligibility": {"home_provinces": ["Atlantis"]}}, "eligibility.home_provinces.0"),
        ("policy points", {"priority_policy": {"cscnnt_points": 1000}}, "priority_policy.cscnnt_points"),
        ("policy commune", {"priority_policy": {"difficult_communes": ["99999"]}},
         "priority_policy.difficult_communes.0"),
        ("allocation mode", {"allocation_mode": "lottery"}, "allocation_mode"),
        ("oversized name", {"name": LONG}, "name"),
        ("fair kind", {"kind": "fun"}, "kind"),
        ("window closes after the fair starts", {"registration_closes_at": "2099-01-01T00:00:00+07:00"},
         "registration_closes_at"),
        ("fair wholly in the past", {"starts_on": "2020-01-01", "ends_on": "2020-01-03",
                                     "registration_opens_at": "2019-12-01T00:00:00+07:00",
                                     "registration_closes_at": "2019-12-20T00:00:00+07:00"}, "ends_on"),
        ("more booths each than the fair has", {"capacity_booths": 2, "max_booths_per_exhibitor": 3},
         "max_booths_per_exhibitor"),
        ("free booths at a fair not marked free", {"booth_price_vnd": 0}, "booth_price_vnd"),
        ("free flag as text", {"is_free": "yes"}, "is_free"),
    ]]
    async with running_app(app) as client:
        await check(client, app, cases, org)
        fair = await open_fair(client, org)
        updates = [(what, "PATCH", f"/fairs/{fair['id']}", body, field) for what, body, field in [
            ("zero capacity", {"capacity_booths": 0}, "capacity_booths"),
            ("null name", {"name": None}, "name"),
            ("max booths as float", {"max_booths_per_exhibitor": 2.0}, "max_booths_per_exhibitor"),
            ("deadline before opening", {"cancellation_deadline": "2020-01-01T00:00:00+00:00"},
             "cancellation_deadline"),
        ]]
        await check(client, app, updates, org)
        queries = [("limit 0", "GET", "/fairs?limit=0", None, "limit"),
                   ("query too long", "GET", "/fairs?q=" + "a" * 101, None, "q"),
                   ("unknown status", "GET", "/fairs?status=lost", None, "status"),
                   ("unknown province", "GET", "/fairs?province_code=99", None, "province_code"),
                   ("province not a code", "GET", "/fairs?province_code=Hà Giang", None, "province_code")]
        await check(client, app, queries, org)


async def test_registrations(app):
    async with running_app(app) as client:
        fair = await open_fair(client, organizer(app), sectors=["Chè"], max_booths_per_exhibitor=3)
        headers, profile = await new_exhibitor(client, app)
        path = f"/fairs/{fair['id']}/registrations"
        cases = [(what, "POST", path, body, field) for what, body, field in [
            ("negative booths", {"booths_requested": -1}, "booths_requested"),
            ("zero booths", {"booths_requested": 0}, "booths_requested"),
            ("booths as text", {"booths_requested": "2"}, "booths_requested"),
            ("fractional booths", {"booths_requested": 2.5}, "booths_requested"),
            ("booths as a boolean", {"booths_requested": True}, "booths_requested"),
            ("missing booths", {}, "booths_requested"),
            ("above the fair's maximum", {"booths_requested": 4}, "booths_requested"),
            ("unknown sector", {"booths_requested": 1, "sector": "Ô tô"}, "sector"),
            ("oversized sector", {"booths_requested": 1, "sector": LONG}, "sector"),
            ("oversized product", {"booths_requested": 1, "products": ["x" * 201]}, "products.0"),
            ("products not a list", {"booths_requested": 1, "products": "Chè"}, "products"),
        ]]
        await check(client, app, cases, headers)
        reg = await register(client, fair["id"], headers)
        profile_cases = [
            ("someone else's tax code", "PATCH", f"/exhibitors/{profile['id']}", {"tax_code": "0100233480"},
             "tax_code"),
            ("empty reason", "POST", f"/registrations/{reg['id']}/reject", {"reason": ""}, "reason"),
            ("bulk with no ids", "POST", f"/fairs/{fair['id']}/registrations/approve", {"registration_ids": []},
             "registration_ids"),
            ("bulk naming one twice", "POST", f"/fairs/{fair['id']}/registrations/approve",
             {"registration_ids": [reg["id"], reg["id"]]}, "registration_ids"),
        ]
        await check(client, app, profile_cases[:1], headers)
        await check(client, app, profile_cases[1:], organizer(app))


async def test_an_unknown_province_in_a_filter_is_a_problem_not_an_empty_list(app):
    org = organizer(app)
    async with running_app(app) as client:
        await exhibitor_at(client, app, (await open_fair(client, org))["id"])
        unknown = await client.get("/exhibitors", params={"province_code": "99"}, headers=org)
        known = await client.get("/exhibitors", params={"province_code": "08"}, headers=org)
        fairs = await client.get("/fairs", params={"province_code": "99"})
    assert unknown.status_code == 422 and fields_of(unknown) == ["province_code"]
    assert "99" in unknown.json()["errors"][0]["message"]
    assert known.status_code == 200 and known.json()["count"] == 1
    assert fairs.status_code == 422 and fields_of(fairs) == ["province_code"]


async def test_a_body_that_is_not_json_says_so_with_the_position(app):
    headers = exhibitor_headers(app, "ex-json")
    async with running_app(app) as client:
        fair = await open_fair(client, organizer(app))
        before = await everything(app)
        answers = [
            await client.post("/fairs", content='{"name": "Hội chợ", ', headers={
                **organizer(app), "content-type": "application/json"}),
            await client.post(f"/fairs/{fair['id']}/registrations", content='{"booths_requested": 1,}',
                              headers={**headers, "content-type": "application/json"}),
            await client.post("/exhibitors", content="tax_code=0100233488",
                              headers={**headers, "content-type": "application/json"}),
        ]
        after = await everything(app)
    for res, position in zip(answers, (20, 23, 0), strict=True):
        problem = res.json()
        assert res.status_code == 422 and res.headers["content-type"] == "application/problem+json"
        assert problem["type"].endswith("invalid-json") and "not valid JSON" in problem["title"]
        assert problem["errors"] == [{"field": "body", "message": problem["errors"][0]["message"],
                                      "code": "json_invalid", "position": position}]
        assert f"at character {position}" in problem["detail"]
    assert "Expecting property name" in answers[1].json()["detail"]
    assert after == before
