"""Delivery guarantees against a real HTTP receiver on 127.0.0.1: down for a while, then failing with 500s,
then well again — every matching event arrives exactly once (the receiver deduplicates by webhook-id, as
the docs tell receivers to), in order per subscription, signed, on the backoff schedule; and bad input is
a 4xx problem. (Kill and restart: tests/integration/test_subscriptions_restart.py; speed: bench/webhooks.py.)"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

import pytest
from standardwebhooks.webhooks import Webhook

from services.subscriptions.app import create_app
from services.subscriptions.domain.delivery import DeliveryPolicy, retry_ceiling_s
from services.subscriptions.settings import SubscriptionsSettings
from shared.contracts import booths, markets
from tests.conftest import running_app, unique
from tests.eventually import eventually
from tests.service.test_subscriptions import (
    Receiver,
    deliveries,
    fair_published,
    feed,
    free_socket,
    make_app,
    rc,
    receiver,
    registration_approved,
    settled,
    subscribe,
    url_of,
)

POLICY = DeliveryPolicy(base_s=0.1, max_s=0.4, max_attempts=30, timeout_s=2)
EPSILON_S = 0.002  # rounding of stored times


def processed_once(rec: Receiver, secret: str) -> list[str]:
    """What a deduplicating receiver processes: each verified webhook-id once, at its first 2xx."""
    seen: list[str] = []
    for request in rec.requests:
        assert Webhook(secret).verify(request.body, request.headers)  # every request, failed or not
        if 200 <= request.status < 300 and request.headers["webhook-id"] not in seen:
            seen.append(request.headers["webhook-id"])
    return seen


def t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def check_schedule(row: dict, policy: DeliveryPolicy) -> None:
    """Each retry waited between half and all of its ceiling after the failure was recorded, and no attempt
    started before its scheduled time."""
    attempts = row["attempts"]
    for number, (failed, following) in enumerate(pairwise(attempts), start=1):
        ceiling = retry_ceiling_s(number, policy)
        delay = (t(failed["retry_at"]) - t(failed["finished_at"])).total_seconds()
        assert ceiling / 2 - EPSILON_S <= delay <= ceiling + EPSILON_S, (number, delay, ceiling)
        assert t(following["started_at"]) >= t(failed["retry_at"]), number
    assert attempts[-1]["retry_at"] is None


def check_arrivals(rec: Receiver, rows: list[dict], policy: DeliveryPolicy) -> int:
    """The same schedule seen from the receiver: between two arrivals of one delivery, at least the delay the
    service drew (itself at least half the ceiling). How late a retry may come is not asserted: on a loaded
    machine that is a speed claim, and speed is measured in bench/, not in tests. Returns how many gaps were
    checked."""
    checked = 0
    for row in rows:
        arrived = [r for r in rec.requests if r.headers["webhook-id"] == row["event_id"]]
        seen = row["attempts"][len(row["attempts"]) - len(arrived):]  # earlier ones were refused connections
        assert [r.status for r in arrived] == [a["status_code"] for a in seen], row["event_id"]
        for (first, second), failed in zip(pairwise(arrived), seen, strict=False):
            gap = second.at - first.at
            delay = (t(failed["retry_at"]) - t(failed["finished_at"])).total_seconds()
            ceiling = retry_ceiling_s(failed["number"], policy)
            assert gap >= ceiling / 2 - EPSILON_S, (failed["number"], gap, ceiling)
            assert gap >= delay - EPSILON_S, (failed["number"], gap, delay)
            checked += 1
    return checked


def jitter_fractions(rows: list[dict], policy: DeliveryPolicy) -> set[float]:
    """Where in [c/2, c] each recorded retry delay fell, as a fraction of the jitter range."""
    fractions = set()
    for row in rows:
        for number, failed in enumerate(row["attempts"][:-1], start=1):
            ceiling = retry_ceiling_s(number, policy)
            delay = (t(failed["retry_at"]) - t(failed["finished_at"])).total_seconds()
            fractions.add(round((delay - ceiling / 2) / (ceiling / 2), 2))
    return fractions


class TestReceiverOutage:
    async def test_down_then_failing_then_well_every_event_arrives_once_in_order_on_schedule(self, settings_for):
        app = make_app(settings_for, policy=POLICY)
        settings = app.state.settings
        socks = [free_socket(), free_socket()]  # bound, not listening: connections are refused
        async with running_app(app) as client:
            fairs_only = await subscribe(client, settings, url_of(socks[0]), event_types=["fair.*"])
            everything = await subscribe(client, settings, url_of(socks[1]), event_types=["*"], subject="rc-2")
            fair = fair_published("08")
            sent = [await feed(app, event) for event in (
                fair, registration_approved(fair.fair_id), fair_published("08"), fair_published("01"),
                registration_approved(fair.fair_id), fair_published("08"))]

            async def refused_a_few_times() -> bool:
                rows = await deliveries(client, settings, fairs_only["id"])
                return len(rows) == 3 and max(r["attempt_count"] for r in rows) >= 3

            await eventually(refused_a_few_times)
            async with receiver(socks[0], statuses=[500] * 3) as rec_fairs, \
                    receiver(socks[1], statuses=[500, 503, 500]) as rec_all:
                fairs_rows = await settled(client, settings, fairs_only["id"], 3)
                all_rows = await settled(client, settings, everything["id"], 5, subject="rc-2")
        ids = [h["ce_id"] for h in sent]
        assert processed_once(rec_fairs, fairs_only["secret"]) == [ids[0], ids[2], ids[5]]
        assert processed_once(rec_all, everything["secret"]) == [ids[0], ids[1], ids[2], ids[4], ids[5]]
        for rec in (rec_fairs, rec_all):  # nothing sent again once answered 2xx, nothing out of order
            answered = [r.headers["webhook-id"] for r in rec.requests if 200 <= r.status < 300]
            assert len(answered) == len(set(answered))
            order = [r.headers["webhook-id"] for r in rec.requests]
            assert order == sorted(order, key=ids.index)
        first = next(r for r in fairs_rows if r["event_id"] == ids[0])
        assert [a["status_code"] for a in first["attempts"]][-4:] == [500, 500, 500, 200]
        assert all(a["status_code"] is None and "ConnectError" in a["error"] for a in first["attempts"][:-4])
        for row in [*fairs_rows, *all_rows]:
            assert row["status"] == "delivered"
            check_schedule(row, POLICY)
        # 3 gaps for the first event at each receiver (its 500s, then 200); more when later ones also failed
        assert check_arrivals(rec_fairs, fairs_rows, POLICY) >= 3
        assert check_arrivals(rec_all, all_rows, POLICY) >= 3
        assert len(jitter_fractions([*fairs_rows, *all_rows], POLICY)) > 3  # drawn at random, not fixed


class TestBadInput:
    @pytest.mark.sqlite_only(reason="a request's fields are checked before anything is read or stored")
    @pytest.mark.parametrize(("body", "field"), [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://hooks.example.vn/x"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "http://10.1.2.3/hook"}, "url"),
        ({"url": "http://192.168.1.10/hook"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
        ({"url": "http://[fd00:ec2::254]/"}, "url"),
        ({"url": "http://[fe80::1]/"}, "url"),
        ({"url": "http://127.0.0.1:8080/"}, "url"),
        ({"url": "http://2130706433/"}, "url"),  # 127.0.0.1 written as a number
        ({"url": "http://localhost/"}, "url"),
        ({"event_types": ["fair.exploded"]}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"provinces": [], "regions": []}, "provinces"),
        ({"provinces": ["Atlantis"]}, "provinces.0"),
    ])
    async def test_refuses_with_a_problem_naming_the_field(self, settings_for, body, field):
        app = make_app(settings_for, allow_loopback=False)
        async with running_app(app) as client:
            res = await client.post("/subscriptions", headers=rc(app.state.settings), json={
                "url": "https://hooks.example.vn/x", "provinces": ["08"], "event_types": ["fair.*"], **body})
        assert 400 <= res.status_code < 500 and res.status_code == 422, res.text
        assert res.headers["content-type"] == "application/problem+json"
        assert res.json()["errors"][0]["field"] == field


class TestCrossTopicOrder:
    async def test_an_event_ahead_of_the_one_placing_its_fair_is_delivered_right_after_it(self, settings_for):
        app = make_app(settings_for)
        settings = app.state.settings
        async with receiver() as rec, running_app(app) as client:
            sub = await subscribe(client, settings, rec.url, event_types=["*"])
            fair = fair_published("08")
            programme = markets.ProgrammeCreated(programme_id=unique("prog-"), centre_id="tq", name="Đưa hàng Việt",
                                                 year=2027, province_code="08", target_sessions=2)
            plan = booths.FloorplanPublished(fair_id=fair.fair_id, booth_count=1, booth_codes=["A1"])
            early = [await feed(app, plan),
                     await feed(app, markets.SessionCancelled(programme_id=programme.programme_id, session_id="s-1",
                                                              reason="biên phòng tạm dừng"))]
            placing = [await feed(app, fair), await feed(app, programme)]
            await settled(client, settings, sub["id"], 4)
            replayed = (await client.get(f"/subscriptions/{sub['id']}/events", params={"since": "2020-01-01T00:00:00Z"},
                                         headers=rc(settings))).json()
        ids = [r.headers["webhook-id"] for r in rec.requests]
        assert ids == [placing[0]["ce_id"], early[0]["ce_id"], placing[1]["ce_id"], early[1]["ce_id"]]
        assert {e["id"] for e in replayed["data"]} == set(ids)


class TestIsolation:
    async def test_a_receiver_found_slow_calls_from_its_own_pool_and_leaves_the_main_one_free(self, settings_for):
        settings = settings_for("subscriptions")
        app = create_app(settings, subscriptions=SubscriptionsSettings(
            webhook_allow_loopback=True, webhook_max_concurrency=1, webhook_slow_concurrency=1, webhook_slow_call_s=0.2,
            webhook_timeout_s=10, webhook_poll_s=0.05))
        async with receiver(delays=[0.5, 3]) as slow, receiver() as fast, running_app(app) as client:
            slow_sub = await subscribe(client, settings, slow.url, event_types=["*"], subject="rc-slow")
            fast_sub = await subscribe(client, settings, fast.url)
            fair = fair_published("08")
            await feed(app, fair)
            await settled(client, settings, slow_sub["id"], 1, subject="rc-slow")  # 0.5 s: found slow
            await feed(app, registration_approved(fair.fair_id))  # for the slow one only: holds a slot 3 s
            await eventually(lambda: len(slow.requests) == 2)
            await feed(app, fair_published("08"))
            await settled(client, settings, fast_sub["id"], 2)  # the only main slot was free
            slow_rows = await deliveries(client, settings, slow_sub["id"], subject="rc-slow")
        in_flight = next(r for r in slow_rows if r["event_type"] == "registration.approved")
        assert in_flight["attempts"] == []  # its call was still running when the fast one was delivered
