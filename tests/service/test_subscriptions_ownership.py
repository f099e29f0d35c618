"""Ownership is a (role, subject) pair, never the token's `sub` alone: an organizer token whose centre id (its
`sub`) equals a regional centre's subject is another subscriber, and gets a 404 for everything of that centre's
subscription — and the subscription is left as it was."""

from __future__ import annotations

import pytest

from services.subscriptions.domain.delivery import DeliveryPolicy
from tests.conftest import running_app, token
from tests.service.test_subscriptions import fair_published, feed, free_socket, make_app, rc, settled, url_of
from tests.service.test_subscriptions_pull import served

TWO_ATTEMPTS = DeliveryPolicy(base_s=0.01, max_s=0.02, max_attempts=2, timeout_s=2)
SINCE = "?since=2020-01-01T00:00:00Z"
ROUTES = [("GET", ""), ("DELETE", ""), ("GET", "/deliveries"), ("GET", "/deliveries/{delivery}"),
          ("POST", "/deliveries/redeliver"), ("POST", "/deliveries/{delivery}/redeliver"), ("POST", "/secret"),
          ("POST", "/feed"), ("DELETE", "/feed"), ("GET", f"/events{SINCE}"), ("GET", "/stream")]


def impostor(settings) -> dict[str, str]:
    """An organizing centre whose id is the regional centre's subject: its token's `sub` is "rc-north"."""
    return token(settings, "organizer", centre_id="rc-north")


async def status_of(http, method: str, path: str, headers: dict[str, str]) -> int:
    """The status only (a stream that was let in would never end)."""
    async with http.stream(method, path, headers=headers) as res:
        return res.status_code


class TestSameSubjectOtherRole:
    @pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
    async def test_an_organizer_with_the_regional_centres_subject_gets_404_and_changes_nothing(
            self, settings_for, method, route):
        app = make_app(settings_for, policy=TWO_ATTEMPTS)
        settings = app.state.settings
        closed = free_socket()  # bound, never listening: every attempt is refused, the delivery parks
        async with running_app(app) as client, served(app) as http:
            sub = (await client.post("/subscriptions", json={"url": url_of(closed), "provinces": ["08"],
                                                             "event_types": ["fair.*"]}, headers=rc(settings))).json()
            await feed(app, fair_published("08"))
            [parked] = await settled(client, settings, sub["id"], 1)
            feed_path = (await client.post(f"/subscriptions/{sub['id']}/feed", headers=rc(settings))).json()["path"]
            path = f"/subscriptions/{sub['id']}" + route.format(delivery=parked["id"])
            assert sub["owner"] == "rc-north" and impostor(settings) != rc(settings)

            assert await status_of(http, method, path, impostor(settings)) == 404

            after = (await client.get(f"/subscriptions/{sub['id']}", headers=rc(settings))).json()
            [still] = await settled(client, settings, sub["id"], 1)
            ics = await client.get(feed_path)
        closed.close()
        assert parked["status"] == "parked" and still["status"] == "parked" and still["redeliveries"] == 0
        assert after["active"] and after["has_feed"] and ics.status_code == 200

    async def test_an_organizer_with_the_regional_centres_subject_lists_and_counts_none_of_its_subscriptions(
            self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            await client.post("/subscriptions", json={"provinces": ["08"], "event_types": ["*"]}, headers=rc(settings))
            listed = (await client.get("/subscriptions", headers=impostor(settings))).json()
            me = (await client.get("/subscribers/me", headers=impostor(settings))).json()
            own = (await client.get("/subscriptions", headers=rc(settings))).json()
        assert listed["count"] == 0 and me["subscriptions"] == 0 and me["subject"] == "rc-north"
        assert own["count"] == 1

    async def test_a_regional_token_with_an_organizers_subject_gets_404_on_its_subscription(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            created = await client.post("/subscriptions", json={"provinces": ["08"], "event_types": ["*"]},
                                        headers=token(settings, "organizer", centre_id="tq"))
            base = f"/subscriptions/{created.json()['id']}"
            regional = rc(settings, subject="tq")
            read = await client.get(base, headers=regional)
            replay = await client.get(f"{base}/events{SINCE}", headers=regional)
        assert created.status_code == 201 and read.status_code == 404 and replay.status_code == 404


class TestOrganizerMovedToAnotherCentre:
    async def test_replay_shows_nothing_of_the_centre_its_token_no_longer_names(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            sub = (await client.post("/subscriptions", json={"provinces": ["08"], "event_types": ["*"]},
                                     headers=token(settings, "organizer", subject="staff-1", centre_id="tq"))).json()
            await feed(app, fair_published("08", centre_id="tq"))
            path = f"/subscriptions/{sub['id']}/events{SINCE}"
            before = (await client.get(path, headers=token(settings, "organizer", subject="staff-1",
                                                           centre_id="tq"))).json()
            moved = (await client.get(path, headers=token(settings, "organizer", subject="staff-1",
                                                          centre_id="hcm"))).json()
        assert before["count"] == 1 and moved["count"] == 0
