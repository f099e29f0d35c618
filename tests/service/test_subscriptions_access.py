"""Subscribers, regions and authorization: a subscriber (a centre) owns its subscriptions; a regional token
sees only its region; an organizing centre only its own fairs; another's subscription is a 404."""

from __future__ import annotations

import pytest

from tests.conftest import running_app, token
from tests.service.test_subscriptions import fair_published, feed, make_app, rc, registration_approved

PULL = "http://127.0.0.1:9/"  # never called: these subscriptions only need to exist


async def create(client, headers, **body) -> dict:
    res = await client.post("/subscriptions", json={"event_types": ["*"], **body}, headers=headers)
    assert res.status_code == 201, res.text
    return res.json()


class TestRegions:
    async def test_lists_the_regions_with_their_provinces(self, settings_for):
        app = make_app(settings_for)
        async with running_app(app) as client:
            res = await client.get("/regions", headers=rc(app.state.settings))
        assert res.status_code == 200
        regions = {r["id"]: r for r in res.json()}
        assert list(regions) == ["north", "centre", "south"]
        assert "08" in regions["north"]["provinces"] and "79" in regions["south"]["provinces"]

    async def test_a_region_in_a_filter_expands_to_its_provinces(self, settings_for):
        app = make_app(settings_for)
        async with running_app(app) as client:
            sub = await create(client, rc(app.state.settings), regions=["north"], provinces=["Hà Giang"])
        assert sub["regions"] == ["north"] and len(sub["provinces"]) == 15 and "08" in sub["provinces"]

    async def test_a_regional_token_cannot_subscribe_to_another_region(self, settings_for):
        app = make_app(settings_for)
        async with running_app(app) as client:
            res = await client.post("/subscriptions", json={"regions": ["south"], "event_types": ["*"]},
                                    headers=rc(app.state.settings))
        assert res.status_code == 403 and res.json()["errors"][0]["field"] == "regions"

    async def test_a_regional_token_bound_to_no_region_can_subscribe_to_nothing(self, settings_for):
        app = make_app(settings_for)
        async with running_app(app) as client:
            res = await client.post("/subscriptions", json={"provinces": ["08"], "event_types": ["*"]},
                                    headers=token(app.state.settings, "regional", subject="rc-x"))
        assert res.status_code == 403

    @pytest.mark.parametrize(("body", "field"), [
        ({"regions": ["atlantis"]}, "regions.0"),
        ({"regions": [], "provinces": []}, "provinces"),
        ({"provinces": ["08"], "fair_id": "f1", "programme_id": "p1"}, "programme_id"),
    ])
    async def test_refuses_bad_region_filters_naming_the_field(self, settings_for, body, field):
        app = make_app(settings_for)
        async with running_app(app) as client:
            res = await client.post("/subscriptions", json={"event_types": ["*"], **body},
                                    headers=rc(app.state.settings))
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == field

    async def test_a_subscriber_sees_what_it_is_bound_to(self, settings_for):
        app = make_app(settings_for)
        async with running_app(app) as client:
            await create(client, rc(app.state.settings), provinces=["08"])
            me = (await client.get("/subscribers/me", headers=rc(app.state.settings))).json()
            organizer = (await client.get("/subscribers/me", headers=token(app.state.settings, "organizer",
                                                                           centre_id="tq"))).json()
        assert me["subject"] == "rc-north" and me["region"] == "north" and me["subscriptions"] == 1
        assert len(me["provinces"]) == 15 and me["flagged"] == 0
        assert organizer["centre_id"] == "tq" and organizer["provinces"] is None


class TestOwnership:
    async def test_nothing_of_another_subscribers_subscription_is_visible_or_manageable(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        other = rc(settings, subject="rc-other")
        async with running_app(app) as client:
            sub = await create(client, rc(settings), provinces=["08"], url=PULL)
            base = f"/subscriptions/{sub['id']}"
            for method, path in (("GET", base), ("DELETE", base), ("GET", f"{base}/deliveries"),
                                 ("GET", f"{base}/deliveries/1"), ("POST", f"{base}/deliveries/redeliver"),
                                 ("POST", f"{base}/deliveries/1/redeliver"), ("POST", f"{base}/secret"),
                                 ("POST", f"{base}/feed"), ("DELETE", f"{base}/feed"),
                                 ("GET", f"{base}/events?since=2026-01-01T00:00:00Z"), ("GET", f"{base}/stream")):
                res = await client.request(method, path, headers=other)
                assert res.status_code == 404, (method, path, res.text)
            assert (await client.get(base, headers=token(settings, "admin"))).status_code == 200


class TestOrganizingCentre:
    async def test_an_organizer_subscribes_to_its_own_fairs_only(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            sub = await create(client, token(settings, "organizer", centre_id="tq"), provinces=["08", "79"])
            own, other = fair_published("08", centre_id="tq"), fair_published("08", centre_id="hcm")
            for event in (own, other, registration_approved(own.fair_id), registration_approved(other.fair_id)):
                await feed(app, event)
            res = await client.get(f"/subscriptions/{sub['id']}/events", params={"since": "2020-01-01T00:00:00Z"},
                                   headers=token(settings, "organizer", centre_id="tq"))
        assert sub["centre_id"] == "tq" and sub["owner_role"] == "organizer"
        assert res.status_code == 200, res.text
        assert [e["data"]["fair_id"] for e in res.json()["data"]] == [own.fair_id, own.fair_id]

    async def test_an_organizer_token_without_a_centre_is_refused(self, settings_for):
        app = make_app(settings_for)
        async with running_app(app) as client:
            res = await client.post("/subscriptions", json={"provinces": ["08"], "event_types": ["*"]},
                                    headers=token(app.state.settings, "organizer", subject="who"))
        assert res.status_code == 403
