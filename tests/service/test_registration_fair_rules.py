"""Dates and amounts of a fair that make sense: each refusal a 422 naming the field, and nothing stored."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from devstack.demo import demo_fair
from services.registration.app import create_app
from services.registration.domain.fairs import VIETNAM
from services.registration.schemas import FairUpdate
from services.registration.service.fairs import update_fair
from services.registration.settings import RegistrationSettings
from shared.auth import Principal, Role
from tests.conftest import running_app
from tests.service.fixtures import fair_body
from tests.service.test_registration_support import create_fair, make_app, organizer


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


def today() -> date:
    return datetime.now(VIETNAM).date()


def days(first: date, count: int) -> dict[str, str]:
    """A fair of `count` days from `first`, first and last day counted."""
    return {"starts_on": first.isoformat(), "ends_on": (first + timedelta(days=count - 1)).isoformat()}


async def refused(client, headers, field: str, code: str, *, path: str = "/fairs", method: str = "POST",
                  **body) -> None:
    """The request is a 422 problem naming `field` with type `code`."""
    res = await client.request(method, path, json=body if method == "PATCH" else fair_body(**body), headers=headers)
    assert res.status_code == 422, res.text
    assert res.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in res.json()["errors"]] == [field], res.json()
    assert res.json()["type"].endswith(code), res.json()


class TestTheWindowClosesBeforeTheFairStarts:
    async def test_a_window_closing_after_the_first_day_began_is_refused(self, app):
        org = organizer(app)
        first = today() + timedelta(days=20)
        async with running_app(app) as client:
            await refused(client, org, "registration_closes_at", "window-after-start", **days(first, 5),
                          registration_closes_at=datetime.combine(first, datetime.min.time(), VIETNAM)
                          .replace(hour=9).isoformat())
            at_midnight = await client.post("/fairs", headers=org, json=fair_body(
                **days(first, 5), registration_closes_at=f"{first.isoformat()}T00:00:00+07:00"))
            fairs = (await client.get("/fairs", headers=org)).json()["count"]
        assert at_midnight.status_code == 201, at_midnight.text
        assert fairs == 1

    async def test_moving_the_fair_before_its_window_closes_names_the_start(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            fair = await create_fair(client, org)
            sooner = (datetime.fromisoformat(fair["registration_closes_at"]).astimezone(VIETNAM).date())
            await refused(client, org, "starts_on", "window-after-start", path=f"/fairs/{fair['id']}",
                          method="PATCH", **days(sooner, 3))
            after = (await client.get(f"/fairs/{fair['id']}", headers=org)).json()
        assert after["starts_on"] == fair["starts_on"]

    async def test_the_demo_fair_keeps_the_rule(self, app):
        async with running_app(app) as client:
            res = await client.post("/fairs", json=demo_fair(datetime.now(UTC)), headers=organizer(app))
        assert res.status_code == 201, res.text
        assert res.json()["registration_closes_at"] < res.json()["starts_on"]


class TestTheFairsDays:
    async def test_a_fair_may_not_end_before_it_starts(self, app):
        async with running_app(app) as client:
            first = today() + timedelta(days=60)
            await refused(client, organizer(app), "ends_on", "ends-before-start", starts_on=first.isoformat(),
                          ends_on=(first - timedelta(days=1)).isoformat())

    async def test_a_fair_wholly_in_the_past_is_refused_one_ending_today_is_not(self, app):
        org = organizer(app)
        opened = datetime.now(UTC) - timedelta(days=40)
        window = {"registration_opens_at": opened.isoformat(),
                  "registration_closes_at": (opened + timedelta(days=10)).isoformat()}
        async with running_app(app) as client:
            await refused(client, org, "ends_on", "fair-in-the-past", **days(today() - timedelta(days=3), 3),
                          **window)
            ending_today = await client.post("/fairs", headers=org,
                                             json=fair_body(**days(today() - timedelta(days=2), 3), **window))
        assert ending_today.status_code == 201, ending_today.text

    async def test_once_its_days_went_by_a_fair_may_still_be_corrected_but_not_moved_into_the_past(self, app):
        org = organizer(app)
        principal = Principal(role=Role.ORGANIZER, subject="staff-tq", centre_id="tq")
        async with running_app(app) as client:
            fair = await create_fair(client, org)
            later = datetime.now(UTC) + timedelta(days=200)  # the fair's days are behind us then
            db = app.state.runtime.db
            renamed = await update_fair(db=db, principal=principal, fair_id=fair["id"],
                                        data=FairUpdate(name="Hội chợ Xuân (đổi tên)"), now=later)
            with pytest.raises(Exception) as moved:
                await update_fair(db=db, principal=principal, fair_id=fair["id"],
                                  data=FairUpdate(ends_on=date.fromisoformat(fair["ends_on"]) + timedelta(days=1)),
                                  now=later)
        assert renamed.name == "Hội chợ Xuân (đổi tên)"
        assert (moved.value.field, moved.value.code) == ("ends_on", "fair-in-the-past")  # type: ignore[attr-defined]

    async def test_a_fair_lasts_at_most_30_days_by_default(self, app):
        org = organizer(app)
        first = today() + timedelta(days=60)
        async with running_app(app) as client:
            await refused(client, org, "ends_on", "fair-too-long", **days(first, 31))
            thirty = await client.post("/fairs", json=fair_body(**days(first, 30)), headers=org)
            fair = thirty.json()
            await refused(client, org, "ends_on", "fair-too-long", path=f"/fairs/{fair['id']}", method="PATCH",
                          ends_on=(first + timedelta(days=30)).isoformat())
        assert thirty.status_code == 201, thirty.text

    async def test_the_longest_fair_is_a_registration_setting(self, settings_for, monkeypatch):
        monkeypatch.setenv("REGISTRATION_MAX_FAIR_DAYS", "12")
        assert RegistrationSettings().max_fair_days == 12
        app = create_app(settings_for("registration"), registration=RegistrationSettings(max_fair_days=7))
        org = organizer(app)
        first = today() + timedelta(days=60)
        async with running_app(app) as client:
            await refused(client, org, "ends_on", "fair-too-long", **days(first, 8))
            week = await client.post("/fairs", json=fair_body(**days(first, 7)), headers=org)
        assert week.status_code == 201, week.text


class TestBoothTerms:
    async def test_an_exhibitor_may_not_be_allowed_more_booths_than_the_fair_has(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            await refused(client, org, "max_booths_per_exhibitor", "max-above-capacity", capacity_booths=3,
                          max_booths_per_exhibitor=4)
            small = await create_fair(client, org, capacity_booths=2, max_booths_per_exhibitor=2)
            await refused(client, org, "capacity_booths", "max-above-capacity", path=f"/fairs/{small['id']}",
                          method="PATCH", capacity_booths=1)
            await refused(client, org, "max_booths_per_exhibitor", "max-above-capacity",
                          path=f"/fairs/{small['id']}", method="PATCH", max_booths_per_exhibitor=3)
            by_default = await client.post("/fairs", headers=org, json={
                k: v for k, v in fair_body(capacity_booths=3).items() if k != "max_booths_per_exhibitor"})
        assert by_default.status_code == 201 and by_default.json()["max_booths_per_exhibitor"] == 3

    async def test_a_booth_price_of_0_only_at_a_fair_marked_free(self, app):
        org = organizer(app)
        async with running_app(app) as client:
            await refused(client, org, "booth_price_vnd", "price-zero-not-free", booth_price_vnd=0)
            await refused(client, org, "booth_price_vnd", "free-fair-priced", booth_price_vnd=5_000_000,
                          is_free=True)
            free = await create_fair(client, org, booth_price_vnd=0, is_free=True)
            paid = await create_fair(client, org)
            await refused(client, org, "booth_price_vnd", "price-zero-not-free", path=f"/fairs/{paid['id']}",
                          method="PATCH", booth_price_vnd=0)
            await refused(client, org, "is_free", "free-fair-priced", path=f"/fairs/{paid['id']}", method="PATCH",
                          is_free=True)
            made_free = await client.patch(f"/fairs/{paid['id']}", json={"booth_price_vnd": 0, "is_free": True},
                                           headers=org)
        assert (free["is_free"], free["booth_price_vnd"], paid["is_free"]) == (True, 0, False)
        assert made_free.status_code == 200 and made_free.json()["is_free"] is True
