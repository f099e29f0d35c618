"""The kernel applies a batch of events in one transaction: subscriptions then reads its subscriptions and
places once and writes the batch's events and deliveries just before the commit. What it stores and owes must
be what it would store and owe taking the same events one transaction each: the same events in the same
order, placed (late ones right after the event that places them) and owed to the same webhooks in the same
order — also when one event of the batch fails and the kernel splits the batch around it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlmodel import col, select

from services.subscriptions.handlers import make_consumer
from services.subscriptions.models import Delivery, StoredEvent
from services.subscriptions.service import reactions
from shared.contracts import booths, registration
from shared.contracts.base import Event
from shared.envelope import event_headers
from tests.conftest import running_app
from tests.service.test_subscriptions import (
    fair_published,
    rc,
    receiver,
    registration_approved,
    settled,
    subscribe,
)
from tests.service.test_subscriptions import make_app as subscriptions_app


def record(event: Event) -> SimpleNamespace:
    """A Kafka record of the event, as the broker hands it to the consumer."""
    headers = event_headers(event, source="/tests", correlation_id="c-batch")
    return SimpleNamespace(topic=event.topic, key=event.key().encode(), partition=0, offset=0,
                           value=event.model_dump_json().encode(),
                           headers=[(k, v.encode()) for k, v in headers.items()])


def event_id(rec: SimpleNamespace) -> str:
    return dict(rec.headers)["ce_id"].decode()


def scenario() -> list[SimpleNamespace]:
    """Two events ahead of their fair's fair.published, the fair, one after it, the fair moved to another
    province by fair.updated, one more after that, and a fair of another province."""
    fair, elsewhere = fair_published("08"), fair_published("15")
    moved = registration.FairUpdated(**{**fair.model_dump(), "province_code": "15"})
    return [record(e) for e in (
        booths.FloorplanPublished(fair_id=fair.fair_id, booth_count=1, booth_codes=["A1"]),  # 0: early
        registration_approved(fair.fair_id),  # 1: early
        fair,  # 2: places 0 and 1 right after itself
        registration_approved(fair.fair_id),  # 3: in 08
        moved,  # 4: now in 15
        registration_approved(fair.fair_id),  # 5: in 15
        elsewhere,  # 6: in 15
    )]


class TestBatches:
    @pytest.mark.parametrize(("split", "failing"), [
        ("one transaction", None), ("one per event", None), ("one transaction, the fourth fails once", 3)])
    async def test_stores_and_owes_a_batch_as_it_would_one_event_at_a_time(self, settings_for, monkeypatch,
                                                                          split, failing):
        app = subscriptions_app(settings_for)
        settings = app.state.settings
        records = scenario()
        ids = [event_id(r) for r in records]
        if failing is not None:
            real = reactions.structured_cloudevent
            failed: list[str] = []

            def fails_once(event, meta):
                if meta.event_id == ids[failing] and not failed:
                    failed.append(meta.event_id)
                    raise RuntimeError("a passing failure")
                return real(event, meta)

            monkeypatch.setattr(reactions, "structured_cloudevent", fails_once)
        told: list[str] = []
        consumer = make_consumer(db=app.state.runtime.db, broker=app.state.runtime.broker, settings=settings,
                                 wake=lambda: told.append("wake"), stored=lambda: told.append("stored"))
        async with receiver() as north, receiver() as south, receiver() as gone, running_app(app) as client:
            everything = await subscribe(client, settings, north.url, event_types=["*"])
            approvals = await subscribe(client, settings, north.url, event_types=["registration.*"],
                                        subject="rc-north-2")
            other = await subscribe(client, settings, south.url, provinces=["15"], event_types=["*"],
                                    subject="rc-centre")
            deactivated = await subscribe(client, settings, gone.url, event_types=["*"], subject="rc-gone")
            assert (await client.delete(f"/subscriptions/{deactivated['id']}",
                                        headers=rc(settings, subject="rc-gone"))).status_code == 200
            batches = [records] if split != "one per event" else [[r] for r in records]
            for batch in batches:
                await consumer.handle_batch(batch)
            await settled(client, settings, other["id"], 3, subject="rc-centre")
            async with app.state.runtime.db.sessions() as session:
                stored = (await session.exec(select(StoredEvent).order_by(col(StoredEvent.seq)))).all()
                owed = (await session.exec(select(Delivery).order_by(col(Delivery.id)))).all()
        assert [e.id for e in stored] == ids
        assert [e.province_code for e in stored] == ["08", "08", "08", "08", "15", "15", "15"]

        def owed_to(subscription: dict) -> list[int]:
            return [ids.index(d.event_id) for d in owed if d.subscription_id == subscription["id"]]

        assert owed_to(everything) == [2, 0, 1, 3]
        assert owed_to(approvals) == [1, 3]
        assert owed_to(other) == [4, 5, 6]
        assert owed_to(deactivated) == [] and gone.requests == []
        assert [r.headers["webhook-id"] for r in south.requests] == [ids[4], ids[5], ids[6]]
        commits = {"one transaction": 1, "one per event": 7, "one transaction, the fourth fails once": 3}[split]
        assert told.count("stored") == commits  # once per commit, none for the one rolled back
        assert 1 <= told.count("wake") <= commits and consumer.stats.applied == len(records)
