"""A subscription scoped to one fair (`fair_id`) or one programme (`programme_id`) gets only that fair's or
programme's events — over a real webhook and by replay — though others of the same types happen in the same
province at the same time."""

from __future__ import annotations

from shared.contracts import booths, markets
from tests.conftest import running_app
from tests.service.test_subscriptions import (
    fair_published,
    feed,
    make_app,
    rc,
    receiver,
    registration_approved,
    settled,
)
from tests.service.test_subscriptions_pull import SINCE_EVER, programme_created, session_scheduled


async def scoped(client, settings, url: str, **scope: str) -> dict:
    res = await client.post("/subscriptions", headers=rc(settings),
                            json={"url": url, "provinces": ["08"], "event_types": ["*"], **scope})
    assert res.status_code == 201, res.text
    assert {k: res.json()[k] for k in scope} == scope
    return res.json()


async def replayed(client, settings, subscription_id: str) -> list[str]:
    res = await client.get(f"/subscriptions/{subscription_id}/events", params={"since": SINCE_EVER},
                           headers=rc(settings))
    assert res.status_code == 200, res.text
    return [e["id"] for e in res.json()["data"]]


class TestScopes:
    async def test_a_fair_scoped_subscription_receives_only_that_fairs_events(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        mine, other = fair_published("08"), fair_published("08")  # same province, same types
        async with receiver() as rec, running_app(app) as client:
            sub = await scoped(client, settings, rec.url, fair_id=mine.fair_id)
            wanted = []
            for event in (mine, other, registration_approved(other.fair_id), registration_approved(mine.fair_id),
                          booths.FloorplanPublished(fair_id=other.fair_id, booth_count=1, booth_codes=["A1"]),
                          booths.FloorplanPublished(fair_id=mine.fair_id, booth_count=2, booth_codes=["A1", "A2"]),
                          programme_created("08")):
                sent = await feed(app, event)
                if getattr(event, "fair_id", None) == mine.fair_id:
                    wanted.append(sent["ce_id"])
            rows = await settled(client, settings, sub["id"], 3)
            by_replay = await replayed(client, settings, sub["id"])
        assert [r.headers["webhook-id"] for r in rec.requests] == wanted
        assert {r.json()["data"]["fair_id"] for r in rec.requests} == {mine.fair_id}
        assert [r["event_type"] for r in reversed(rows)] == ["fair.published", "registration.approved",
                                                           "floorplan.published"]
        assert by_replay == wanted

    async def test_a_programme_scoped_subscription_receives_only_that_programmes_events(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        mine, other = programme_created("08"), programme_created("08")
        async with receiver() as rec, running_app(app) as client:
            sub = await scoped(client, settings, rec.url, programme_id=mine.programme_id)
            session = session_scheduled(mine)
            wanted = []
            for event in (mine, other, session_scheduled(other), session, fair_published("08"),
                          markets.SessionCancelled(programme_id=other.programme_id, session_id="s-other",
                                                   reason="mưa lũ"),
                          markets.SessionCancelled(programme_id=mine.programme_id, session_id=session.session_id,
                                                   reason="biên phòng tạm dừng")):
                sent = await feed(app, event)
                if getattr(event, "programme_id", None) == mine.programme_id:
                    wanted.append(sent["ce_id"])
            rows = await settled(client, settings, sub["id"], 3)
            by_replay = await replayed(client, settings, sub["id"])
        assert [r.headers["webhook-id"] for r in rec.requests] == wanted
        assert {r.json()["data"]["programme_id"] for r in rec.requests} == {mine.programme_id}
        assert [r["event_type"] for r in reversed(rows)] == ["programme.created", "session.scheduled",
                                                           "session.cancelled"]
        assert by_replay == wanted
