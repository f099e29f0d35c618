"""Webhooks, complete: secret rotation with an overlap, parking and flagging, redelivery of one or all parked
deliveries, the policy read from SUBSCRIPTIONS_WEBHOOK_* and a complete attempts log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import standardwebhooks.webhooks
from sqlmodel import col, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.subscriptions.app import create_app
from services.subscriptions.domain.delivery import DeliveryPolicy
from services.subscriptions.models import Delivery
from services.subscriptions.service import delivery
from services.subscriptions.settings import SubscriptionsSettings
from tests.conftest import running_app, token
from tests.eventually import eventually
from tests.service.test_subscriptions import (
    deliveries,
    fair_published,
    feed,
    make_app,
    rc,
    receiver,
    settled,
    subscribe,
)


class TestSecretRotation:
    async def test_signs_with_both_secrets_during_the_overlap_then_only_with_the_new_one(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            rotated = await client.post(f"/subscriptions/{sub['id']}/secret", json={"overlap_s": 3600},
                                        headers=rc(settings))
            assert rotated.status_code == 200, rotated.text
            new = rotated.json()["secret"]
            await feed(app, fair_published("08"))
            await settled(client, settings, sub["id"], 1)
            ended = await client.post(f"/subscriptions/{sub['id']}/secret", json={"overlap_s": 0}, headers=rc(settings))
            newest = ended.json()["secret"]
            await feed(app, fair_published("08"))
            rows = await settled(client, settings, sub["id"], 2)
            shown = (await client.get(f"/subscriptions/{sub['id']}", headers=rc(settings))).json()
        during, after = rec.requests
        assert new != sub["secret"] and rotated.json()["previous_secret_until"] is not None
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert Webhook(sub["secret"]).verify(during.body, during.headers)
        assert Webhook(new).verify(during.body, during.headers)
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        assert Webhook(newest).verify(after.body, after.headers)
        for stale in (sub["secret"], new):
            with pytest.raises(WebhookVerificationError):
                Webhook(stale).verify(after.body, after.headers)
        assert [r["attempts"][0]["signatures"] for r in rows] == [1, 2]  # newest first
        assert ended.json()["previous_secret_until"] is None and shown["previous_secret_until"] is None
        assert "secret" not in shown

    async def test_the_default_overlap_comes_from_the_settings_and_is_bounded(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            sub = await subscribe(client, settings, "http://127.0.0.1:9/")
            default = await client.post(f"/subscriptions/{sub['id']}/secret", headers=rc(settings))
            too_long = await client.post(f"/subscriptions/{sub['id']}/secret", json={"overlap_s": 30 * 86400},
                                         headers=rc(settings))
        assert default.status_code == 200 and default.json()["previous_secret_until"] is not None
        assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "overlap_s"


@pytest.fixture
def two_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy as an operator sets it: two quick attempts per round."""
    for name, value in (("BASE_S", "0.01"), ("MAX_S", "0.02"), ("MAX_ATTEMPTS", "2"), ("TIMEOUT_S", "2")):
        monkeypatch.setenv(f"SUBSCRIPTIONS_WEBHOOK_{name}", value)


class TestParkingAndRedelivery:
    async def test_parks_flags_and_redelivers_one_then_all(self, settings_for, two_attempts):
        app = create_app(settings_for("subscriptions"), poll_interval_s=0.05,  # the rest from the environment
                         subscriptions=SubscriptionsSettings(webhook_allow_loopback=True))
        settings = app.state.settings
        async with receiver(statuses=[500] * 4) as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            first, second = fair_published("08"), fair_published("08")
            await feed(app, first)
            await feed(app, second)
            parked = await settled(client, settings, sub["id"], 2)
            flagged = (await client.get(f"/subscriptions/{sub['id']}", headers=rc(settings))).json()
            listed = (await client.get("/subscriptions", params={"flagged": True}, headers=rc(settings))).json()

            oldest = parked[-1]["id"]
            one = await client.post(f"/subscriptions/{sub['id']}/deliveries/{oldest}/redeliver", headers=rc(settings))
            await eventually(lambda: len(rec.requests) == 5)
            await settled(client, settings, sub["id"], 2)
            still = (await client.get(f"/subscriptions/{sub['id']}", headers=rc(settings))).json()

            again = await client.post(f"/subscriptions/{sub['id']}/deliveries/{oldest}/redeliver", headers=rc(settings))
            everything = await client.post(f"/subscriptions/{sub['id']}/deliveries/redeliver", headers=rc(settings))
            await eventually(lambda: len(rec.requests) == 6)
            done = await settled(client, settings, sub["id"], 2)
            cleared = (await client.get(f"/subscriptions/{sub['id']}", headers=rc(settings))).json()
            one_row = await client.get(f"/subscriptions/{sub['id']}/deliveries/{oldest}", headers=rc(settings))
        assert [r["status"] for r in parked] == ["parked", "parked"]
        assert all(r["attempt_count"] == 2 and r["round_attempts"] == 2 for r in parked)
        assert flagged["flagged"] and "parked" in flagged["flag_reason"] and flagged["flagged_at"]
        assert [s["id"] for s in listed["data"]] == [sub["id"]]
        assert one.status_code == 200 and one.json() == {"count": 1, "delivery_ids": [oldest]}
        assert still["flagged"]  # the second delivery is still parked
        assert again.status_code == 409
        assert everything.json()["count"] == 1
        assert [r["status"] for r in done] == ["delivered", "delivered"] and not cleared["flagged"]
        row = one_row.json()
        assert row["redeliveries"] == 1 and row["attempt_count"] == 3 and row["round_attempts"] == 1
        assert [(a["number"], a["round"], a["status_code"]) for a in row["attempts"]] == [
            (1, 0, 500), (2, 0, 500), (3, 1, 200)]
        ids = [r.headers["webhook-id"] for r in rec.requests]
        assert ids == [first_id := ids[0]] * 2 + [ids[2]] * 2 + [first_id, ids[2]]

    async def test_redelivery_needs_a_parked_delivery_of_an_active_subscription(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            await feed(app, fair_published("08"))
            [row] = await settled(client, settings, sub["id"], 1)
            delivered = await client.post(f"/subscriptions/{sub['id']}/deliveries/{row['id']}/redeliver",
                                          headers=rc(settings))
            unknown = await client.post(f"/subscriptions/{sub['id']}/deliveries/999999/redeliver", headers=rc(settings))
            await client.delete(f"/subscriptions/{sub['id']}", headers=rc(settings))
            inactive = await client.post(f"/subscriptions/{sub['id']}/deliveries/redeliver", headers=rc(settings))
            admin = await client.post(f"/subscriptions/{sub['id']}/deliveries/redeliver",
                                      headers=token(settings, "admin"))
        assert delivered.status_code == 409 and delivered.headers["content-type"] == "application/problem+json"
        assert unknown.status_code == 404
        assert inactive.status_code == 409 and admin.status_code == 409


class TestAttemptsLog:
    async def test_records_every_attempt_with_code_latency_excerpt_round_and_scheduled_retry(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with receiver(statuses=[503, 200]) as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            await feed(app, fair_published("08"))
            [row] = await settled(client, settings, sub["id"], 1)
        failed, ok = row["attempts"]
        assert failed["status_code"] == 503 and failed["error"] is None and "503" in failed["response_excerpt"]
        assert failed["retry_at"] is not None and failed["retry_at"] > failed["started_at"]
        assert ok["status_code"] == 200 and ok["retry_at"] is None and ok["started_at"] >= failed["retry_at"]
        assert all(a["latency_ms"] >= 0 and a["round"] == 0 and a["signatures"] == 1 for a in (failed, ok))
        assert row["last_error"] is None and row["finished_at"] is not None and len(rec.requests) == 2

    async def test_a_pull_only_subscription_owes_no_deliveries(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with running_app(app) as client:
            res = await client.post("/subscriptions", json={"provinces": ["08"], "event_types": ["*"]},
                                    headers=rc(settings))
            await feed(app, fair_published("08"))
            rows = await deliveries(client, settings, res.json()["id"])
        assert res.status_code == 201 and res.json()["url"] is None and rows == []


class TestRedeliveryJumpsTheQueue:
    async def test_a_redelivered_delivery_goes_out_without_waiting_for_the_heads_backoff(self, settings_for):
        app = make_app(settings_for, policy=DeliveryPolicy(base_s=60, max_s=60, max_attempts=5, timeout_s=2))
        settings = app.state.settings
        async with receiver(statuses=[500]) as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            first = await feed(app, fair_published("08"))
            async def failure_recorded() -> bool:  # not only received: parking it by hand before the worker
                rows = await deliveries(client, settings, sub["id"])  # records the 500 would race the worker
                return bool(rows and rows[0]["attempts"])

            await eventually(failure_recorded)  # failed: its retry is 30-60 s away
            await feed(app, fair_published("08"))
            async with app.state.runtime.db.transaction() as session:  # as if it had been parked long ago
                await session.exec(update(Delivery).where(col(Delivery.event_id) == first["ce_id"])
                                   .values(status="parked"))
            res = await client.post(f"/subscriptions/{sub['id']}/deliveries/redeliver", headers=rc(settings))
            rows = await settled(client, settings, sub["id"], 2, timeout=20)  # the head's retry: 30 s at least
        assert res.json()["count"] == 1
        assert [r["status"] for r in rows] == ["delivered", "delivered"]
        assert [r.headers["webhook-id"] for r in rec.requests][:2] == [first["ce_id"]] * 2


class ShiftedClock:
    """Now, plus a shift the test moves forward: the delivery worker's clock, and the receiver's."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def datetime_class(self) -> type[datetime]:
        clock = self

        class Shifted(datetime):
            @classmethod
            def now(cls, tz=None):  # type: ignore[override]
                return datetime.now(tz) + clock.shift

        return Shifted


class TestTimestamps:
    async def test_a_retry_more_than_five_minutes_after_the_first_attempt_is_stamped_afresh(
            self, settings_for, monkeypatch: pytest.MonkeyPatch):
        clock = ShiftedClock()
        monkeypatch.setattr(delivery, "utcnow", clock.now)
        app = make_app(settings_for, policy=DeliveryPolicy(base_s=60, max_s=60, max_attempts=5, timeout_s=2))
        settings = app.state.settings
        async with receiver(statuses=[500]) as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url)
            await feed(app, fair_published("08"))

            async def failure_recorded() -> bool:
                rows = await deliveries(client, settings, sub["id"])
                return bool(rows and rows[0]["attempts"])

            await eventually(failure_recorded)  # its retry is due 30-60 s later
            clock.shift = timedelta(minutes=6, seconds=1)  # ... and more than five minutes pass
            app.state.delivery_worker.nudge(sub["id"])  # the lane looks again instead of sleeping out its wait
            [row] = await settled(client, settings, sub["id"], 1)
        first, retry = rec.requests
        assert first.headers["webhook-id"] == retry.headers["webhook-id"]
        stamps = [int(r.headers["webhook-timestamp"]) for r in (first, retry)]
        assert 361 <= stamps[1] - stamps[0] <= 361 + 10
        assert [int(datetime.fromisoformat(a["started_at"]).timestamp()) for a in row["attempts"]] == stamps
        monkeypatch.setattr(standardwebhooks.webhooks, "datetime", clock.datetime_class())  # the receiver, later
        assert Webhook(sub["secret"]).verify(retry.body, retry.headers)["id"] == retry.headers["webhook-id"]
        with pytest.raises(WebhookVerificationError, match="too old"):  # what reusing the first stamp would get
            Webhook(sub["secret"]).verify(first.body, first.headers)
        assert [a["status_code"] for a in row["attempts"]] == [500, 200]
