"""The shared delivery plumbing on a real database: outbox, relay retries, inbox, bounded retries, DLQ."""

from __future__ import annotations

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from sqlmodel import Field, SQLModel, select

from shared.contracts.markets import SessionCancelled
from shared.db import Database
from shared.envelope import event_headers
from shared.inbox import InboxMessage
from shared.messaging import KERNEL_TABLES, EventConsumer, make_broker, raw_body, subscribe
from shared.outbox import OutboxMessage, OutboxPublishError, OutboxRelay, add_event
from shared.parking import ParkedEvent
from shared.settings import load_settings


class Effect(SQLModel, table=True):
    """One row per applied event."""

    __tablename__ = "test_effects"
    id: int | None = Field(default=None, primary_key=True)
    session_id: str


def cancelled(n: int = 1) -> SessionCancelled:
    return SessionCancelled(programme_id="p1", session_id=f"s{n}", reason="biên phòng tạm dừng")


@pytest.fixture
async def db(database_url):
    database = Database(database_url)
    await database.create_tables([*KERNEL_TABLES, Effect])
    yield database
    await database.dispose()


class TestOutbox:
    async def test_an_event_of_a_rolled_back_transaction_is_never_published(self, db):
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                add_event(session, cancelled(), source="/tests")
                raise RuntimeError("use case failed")
        async with db.sessions() as session:
            assert (await session.exec(select(OutboxMessage))).all() == []

    async def test_the_relay_retries_until_the_broker_takes_the_events_in_order(self, db):
        async with db.transaction() as session:
            for n in range(3):
                add_event(session, cancelled(n), source="/tests")
        published: list[str] = []
        failures = {"left": 2}

        async def flaky_publish(row: OutboxMessage) -> None:
            if failures["left"]:
                failures["left"] -= 1
                raise ConnectionError("broker down")
            published.append(row.key + ":" + row.header_dict()["ce_subject"])

        relay = OutboxRelay(db, flaky_publish)
        for _ in range(2):
            with pytest.raises(OutboxPublishError, match="broker down"):
                await relay.flush()
        async with db.sessions() as session:
            first = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).first()
            assert first.sent_at is None and first.attempts == 2 and "broker down" in first.last_error
        assert await relay.flush() == 3
        assert published == ["p1:s0", "p1:s1", "p1:s2"]
        assert await relay.flush() == 0


class TestConsumer:
    async def run_consumer(self, db, handler, messages, *, dlq_sink=None):
        settings = load_settings("tests", consumer_retry_backoff_s=0.0)
        broker = make_broker(settings)
        consumer = EventConsumer(name="tests", topics=("markets.events",), handlers={SessionCancelled: handler},
                                 db=db, broker=broker, max_attempts=3, backoff_s=0.0)
        subscribe(consumer, settings)
        if dlq_sink is not None:
            @broker.subscriber("markets.events.dlq", decoder=raw_body)
            async def on_dlq(message: KafkaMessage) -> None:
                dlq_sink.append(dict(message.headers))

        async with TestKafkaBroker(broker) as test_broker:
            for body, headers in messages:
                await test_broker.publish(body, topic="markets.events", key=b"p1", headers=headers)

    async def test_a_redelivered_event_is_applied_once(self, db):
        async def handler(session, event, meta):
            session.add(Effect(session_id=event.session_id))

        event = cancelled()
        headers = event_headers(event, source="/tests", correlation_id="c")
        body = event.model_dump_json().encode()
        await self.run_consumer(db, handler, [(body, headers), (body, headers)])
        async with db.sessions() as session:
            assert len((await session.exec(select(Effect))).all()) == 1

    async def test_a_failing_handler_is_retried_a_bounded_number_of_times_then_dead_lettered(self, db):
        calls = []

        async def handler(session, event, meta):
            session.add(Effect(session_id=event.session_id))
            calls.append(meta.event_id)
            raise ValueError("commune không tồn tại")

        dlq: list[dict] = []
        event = cancelled()
        await self.run_consumer(db, handler, [(event.model_dump_json().encode(),
                                               event_headers(event, source="/tests", correlation_id="c"))],
                                dlq_sink=dlq)
        assert len(calls) == 3
        assert dlq[0]["dlq_attempts"] == "3" and "commune" in dlq[0]["dlq_reason"]
        async with db.sessions() as session:  # every failed attempt rolled back, inbox included
            assert (await session.exec(select(Effect))).all() == []
            assert (await session.exec(select(InboxMessage))).all() == []

    async def test_a_malformed_event_is_dead_lettered_and_the_next_one_applied(self, db):
        async def handler(session, event, meta):
            session.add(Effect(session_id=event.session_id))

        good = cancelled(2)
        bad_headers = event_headers(cancelled(1), source="/tests", correlation_id="c")
        dlq: list[dict] = []
        await self.run_consumer(db, handler, [
            (b'{"programme_id": 5}', bad_headers),
            (b"{}", {"ce_type": "vn.hangviet.session.cancelled.v1"}),
            (b"{not json at all", bad_headers),
            (good.model_dump_json().encode(), event_headers(good, source="/tests", correlation_id="c")),
        ], dlq_sink=dlq)
        assert [d["dlq_attempts"] for d in dlq] == ["0", "0", "0"]
        assert "invalid" in dlq[0]["dlq_reason"] and "ce_id" in dlq[1]["dlq_reason"]
        async with db.sessions() as session:
            assert [e.session_id for e in (await session.exec(select(Effect))).all()] == ["s2"]


class Approval(SQLModel, table=True):
    """What the parking test's consumer needs before it can apply a session event."""

    __tablename__ = "test_approvals"
    programme_id: str = Field(primary_key=True)


class TestParking:
    """Events whose prerequisite arrives later on another topic wait in the database, in order."""

    async def test_an_event_waits_for_its_prerequisite_and_later_ones_keep_their_order(self, database_url):
        from shared.contracts.markets import ProgrammeCreated
        from shared.errors import NotYet

        db = Database(database_url)
        await db.create_tables([*KERNEL_TABLES, Effect, Approval])
        applied: list[str] = []

        async def on_cancelled(session, event, meta):
            if await session.get(Approval, event.programme_id) is None:
                raise NotYet(f"programme {event.programme_id} not known yet")
            applied.append(event.session_id)
            session.add(Effect(session_id=event.session_id))

        async def on_created(session, event, meta):
            session.add(Approval(programme_id=event.programme_id))

        settings = load_settings("tests")
        broker = make_broker(settings)
        consumer = EventConsumer(name="tests", topics=("markets.events", "registration.events"),
                                 handlers={SessionCancelled: on_cancelled, ProgrammeCreated: on_created},
                                 db=db, broker=broker, max_attempts=3, backoff_s=0.0)
        subscribe(consumer, settings)
        created = ProgrammeCreated(programme_id="p1", centre_id="tq", name="Đưa hàng Việt 2027", year=2027,
                                   province_code="08", target_sessions=22)
        async with TestKafkaBroker(broker) as test_broker:
            for n in (1, 2):
                ev = cancelled(n)
                await test_broker.publish(ev.model_dump_json().encode(), topic="markets.events", key=b"p1",
                                          headers=event_headers(ev, source="/tests", correlation_id="c"))
            assert applied == []
            # the prerequisite comes on another topic (only the topic differs; the contract is reused)
            await test_broker.publish(created.model_dump_json().encode(), topic="registration.events", key=b"p1",
                                      headers=event_headers(created, source="/tests", correlation_id="c"))
        assert applied == ["s1", "s2"]
        async with db.sessions() as session:
            assert (await session.exec(select(ParkedEvent))).all() == []
            assert len((await session.exec(select(Effect))).all()) == 2
        await db.dispose()
