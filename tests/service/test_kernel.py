"""The shared delivery plumbing on a real database: outbox, relay retries, inbox, bounded retries, DLQ."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy import text, update
from sqlmodel import Field, SQLModel, col, select

import shared.runtime as runtime_module
from shared.contracts.markets import SessionCancelled
from shared.db import Database
from shared.envelope import event_headers
from shared.inbox import InboxMessage
from shared.messaging import KERNEL_TABLES, EventConsumer, make_broker, raw_body, subscribe
from shared.outbox import OutboxMessage, OutboxPublishError, OutboxRelay, PendingRow, add_event
from shared.outbox_notify import listen_dsn
from shared.parking import ParkedEvent
from shared.replay import replay_outbox
from shared.runtime import ServiceRuntime
from shared.settings import load_settings
from tests.conftest import POSTGRES_URL, empty_postgres_database
from tests.eventually import eventually
from tests.service.batches import statements


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


    async def test_marks_gather_over_passes_and_a_waiting_caller_gets_them_at_once(self, db):
        """Passes that publish one row each share one marking transaction (within `mark_every_s`); a caller that
        waits for the marks (flush's default, the stop) does not wait for the gathering."""
        async def publish(row: OutboxMessage) -> None:
            return None

        relay = OutboxRelay(db, publish, mark_every_s=3600)
        with statements(db.engine, lambda statement, _: statement.lstrip().upper().startswith(
                "UPDATE OUTBOX SET SENT_AT")) as marks:
            for n in range(4):
                async with db.transaction() as session:
                    add_event(session, cancelled(n), source="/tests")
                assert await relay.flush(wait_marked=False) == 1
            assert len(marks) == 1  # the first mark went at once; the next three gather
            assert await relay.flush() == 0  # nothing new to publish; waits for the three gathered marks
            assert len(marks) == 2
        async with db.sessions() as session:
            assert all(r.sent_at is not None for r in (await session.exec(select(OutboxMessage))).all())


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


class DeadLetters:
    """A stand-in broker for the consumer's dead letters (the consumer only publishes to the DLQ)."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    async def publish(self, body, *, topic, key, headers):
        self.sent.append({"topic": topic, "key": key, **headers})


def record(event, *, topic="markets.events", key="p1", headers=None, offset=0):
    from types import SimpleNamespace

    hdrs = headers if headers is not None else event_headers(event, source="/tests", correlation_id="c")
    return SimpleNamespace(topic=topic, key=key.encode(), partition=0, offset=offset,
                           value=event.model_dump_json().encode(), headers=[(k, v.encode()) for k, v in hdrs.items()])


class TestBatches:
    """The consumer's batch path: one transaction for a batch, the per-event path when anything fails."""

    def consumer(self, db, handlers, **kw):
        dlq = DeadLetters()
        return EventConsumer(name="tests", topics=("markets.events",), handlers=handlers, db=db, broker=dlq,
                             max_attempts=3, backoff_s=0.0, **kw), dlq

    async def effects(self, db):
        async with db.sessions() as session:
            return sorted(e.session_id for e in (await session.exec(select(Effect))).all())

    async def test_a_batch_applies_each_event_once_even_when_repeated_inside_it(self, db):
        async def handler(session, event, meta):
            session.add(Effect(session_id=event.session_id))

        consumer, dlq = self.consumer(db, {SessionCancelled: handler})
        records = [record(cancelled(n)) for n in range(50)]
        await consumer.handle_batch([*records, records[3], records[7]])
        await consumer.handle_batch(records[:10])  # a redelivery of a committed batch
        assert await self.effects(db) == sorted(f"s{n}" for n in range(50))
        assert (consumer.stats.applied, consumer.stats.duplicates, consumer.stats.batch_fallbacks) == (50, 12, 0)
        assert dlq.sent == []

    async def test_an_event_applied_alone_is_claimed_in_the_inbox_once_and_a_failed_apply_claims_nothing(self, db):
        fail = {"s2"}

        async def handler(session, event, meta):
            session.add(Effect(session_id=event.session_id))
            if event.session_id in fail:
                raise RuntimeError("not this time")

        consumer, dlq = self.consumer(db, {SessionCancelled: handler})
        first, second = record(cancelled(1)), record(cancelled(2))
        for one in (first, first, second):  # batches of one: the per-event path
            await consumer.handle_batch([one])
        async with db.sessions() as session:
            claimed = (await session.exec(select(InboxMessage.event_type).where(
                InboxMessage.consumer == "tests"))).all()
        assert await self.effects(db) == ["s1"]  # s2's effect rolled back with its claim, three times, then the DLQ
        assert claimed == ["vn.hangviet.session.cancelled.v1"]
        assert (consumer.stats.applied, consumer.stats.duplicates, len(dlq.sent)) == (1, 1, 1)

    async def test_one_failing_event_falls_back_to_one_at_a_time_and_only_it_is_dead_lettered(self, db):
        async def handler(session, event, meta):
            if event.session_id == "s4":
                raise ValueError("phiên chợ không tồn tại")
            session.add(Effect(session_id=event.session_id))

        consumer, dlq = self.consumer(db, {SessionCancelled: handler})
        await consumer.handle_batch([record(cancelled(n)) for n in range(8)])
        assert await self.effects(db) == [f"s{n}" for n in range(8) if n != 4]
        assert [d["dlq_attempts"] for d in dlq.sent] == ["3"] and "không tồn tại" in dlq.sent[0]["dlq_reason"]
        assert (consumer.stats.batch_fallbacks, consumer.stats.retried) == (1, 2)

    async def test_a_misspelt_type_of_ours_is_dead_lettered_and_a_foreign_one_counted(self, db):
        async def handler(session, event, meta):
            session.add(Effect(session_id=event.session_id))

        consumer, dlq = self.consumer(db, {SessionCancelled: handler})
        good = cancelled(1)
        misspelt = {**event_headers(good, source="/tests", correlation_id="c"),
                    "ce_type": "vn.hangviet.sesion.cancelled.v1"}
        foreign = {**event_headers(good, source="/tests", correlation_id="c"), "ce_type": "com.example.thing.v1"}
        known_not_handled = {**event_headers(good, source="/tests", correlation_id="c"),
                             "ce_type": "vn.hangviet.programme.created.v1"}
        await consumer.handle_batch([record(good, headers=misspelt), record(good, headers=foreign),
                                     record(good, headers=known_not_handled), record(good)])
        assert [d["dlq_reason"] for d in dlq.sent] == [
            "unknown event type 'vn.hangviet.sesion.cancelled.v1': no contract of that name"]
        assert (consumer.stats.foreign, consumer.stats.skipped, consumer.stats.applied) == (1, 1, 1)
        assert await self.effects(db) == ["s1"]

    async def test_a_failure_outside_the_handler_is_retried_then_dead_lettered_never_looped(self, database_url):
        bare = Database(database_url)  # no parked_events table: every attempt fails before the handler
        await bare.create_tables([OutboxMessage, InboxMessage, Effect])

        async def handler(session, event, meta):
            session.add(Effect(session_id=event.session_id))

        consumer, dlq = self.consumer(bare, {SessionCancelled: handler})
        await consumer.handle_batch([record(cancelled(1))])
        assert len(dlq.sent) == 1 and "parked_events" in dlq.sent[0]["dlq_reason"]
        assert consumer.stats.retried == 2
        await bare.dispose()


class Known(SQLModel, table=True):
    """The registrations the parking tests' consumer has seen approved."""

    __tablename__ = "test_known"
    subject: str = Field(primary_key=True)


class TestParkingQueues:
    """A parked event holds up its own registration (subject) only; fair-wide events wait for all of the fair."""

    @pytest.fixture
    async def pdb(self, database_url):
        database = Database(database_url)
        await database.create_tables([*KERNEL_TABLES, Effect, Known])
        yield database
        await database.dispose()

    def consumer(self, db, **kw):
        from shared.contracts.markets import ProgrammeCreated
        from shared.errors import NotYet

        async def on_cancelled(session, event, meta):
            if await session.get(Known, event.session_id) is None:
                raise NotYet(f"session {event.session_id} not known yet")
            session.add(Effect(session_id=event.session_id))

        async def on_created(session, event, meta):  # stands for a fair-wide event of the same key
            session.add(Effect(session_id="fair-wide"))

        dlq = DeadLetters()
        return EventConsumer(name="tests", topics=("markets.events",), db=db, broker=dlq, max_attempts=3,
                             backoff_s=0.0, handlers={SessionCancelled: on_cancelled, ProgrammeCreated: on_created},
                             **kw), dlq

    async def know(self, db, subject):
        async with db.transaction() as session:
            session.add(Known(subject=subject))

    async def effects(self, db):
        async with db.sessions() as session:
            return [e.session_id for e in (await session.exec(select(Effect).order_by(Effect.id))).all()]

    async def test_other_subjects_of_the_same_key_go_on_and_a_fair_wide_event_waits(self, pdb):
        from shared.contracts.markets import ProgrammeCreated

        consumer, dlq = self.consumer(pdb)
        for n in (2, 3):
            await self.know(pdb, f"s{n}")
        wide = ProgrammeCreated(programme_id="p1", centre_id="tq", name="Đưa hàng Việt 2027", year=2027,
                                province_code="08", target_sessions=22)
        # s1 waits for its prerequisite; s2 (same key, another subject) goes on; the fair-wide event queues;
        # a second s1 event queues behind the first.
        await consumer.handle_batch([record(cancelled(1)), record(cancelled(2))])
        await consumer.handle_batch([record(wide), record(cancelled(3))])
        assert await self.effects(pdb) == ["s2"]
        parked = await consumer.parked()
        assert [(p["subject"], p["event_type"]) for p in parked] == [
            ("s1", "vn.hangviet.session.cancelled.v1"), ("p1", "vn.hangviet.programme.created.v1"),
            ("s3", "vn.hangviet.session.cancelled.v1")]
        assert "not known yet" in parked[0]["reason"] and "queued behind" in parked[1]["reason"]
        assert all(p["dead_letter_in_s"] > 500 for p in parked)
        await self.know(pdb, "s1")
        await consumer.sweep()
        assert await self.effects(pdb) == ["s2", "s1", "fair-wide", "s3"]
        assert await consumer.parked() == [] and dlq.sent == []

    async def test_an_event_parked_past_its_time_to_live_is_dead_lettered_with_its_reason(self, pdb):
        from datetime import timedelta

        consumer, dlq = self.consumer(pdb, park_ttl=timedelta(seconds=0))
        await consumer.handle_batch([record(cancelled(1))])
        await consumer.sweep()
        assert len(dlq.sent) == 1 and "not known yet" in dlq.sent[0]["dlq_reason"]
        assert "still not applicable" in dlq.sent[0]["dlq_reason"]
        assert await consumer.parked() == [] and await self.effects(pdb) == []


class TestOutboxReplay:
    """A fresh embedded broker lost what the last one held: the recent outbox is published again, once."""

    async def sent_rows(self, db, ages_s):
        """Rows sent `age` seconds before now, oldest first; returns their ids."""
        now = datetime.now(UTC)
        async with db.transaction() as session:
            staged = [add_event(session, cancelled(n), source="/tests") for n in range(len(ages_s))]
        async with db.transaction() as session:
            ids = {row.event_id: row.id for row in (await session.exec(select(OutboxMessage).where(
                col(OutboxMessage.event_id).in_([s.event_id for s in staged])))).all()}
            for row, age in zip(staged, ages_s, strict=True):
                await session.exec(update(OutboxMessage).where(OutboxMessage.id == ids[row.event_id])
                                   .values(sent_at=now - timedelta(seconds=age), attempts=1))
        return [ids[row.event_id] for row in staged]

    async def unsent_ids(self, db):
        async with db.sessions() as session:
            return list((await session.exec(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))
                                            .order_by(OutboxMessage.id))).all())

    async def test_rows_sent_within_the_window_of_the_newest_send_are_published_again_in_order(self, db):
        # The newest send was two days ago (make run restarted late): the window counts back from it.
        ids = await self.sent_rows(db, [200_000, 176_000, 172_900, 172_800])
        assert await replay_outbox(db, window_s=3600, epoch="e1") == 3
        assert await self.unsent_ids(db) == ids[1:]
        published: list[int] = []

        async def publish(row: OutboxMessage) -> None:
            published.append(row.id)

        await OutboxRelay(db, publish).flush()
        assert published == ids[1:]

    async def test_a_second_start_on_the_same_broker_does_not_replay_again(self, db):
        await self.sent_rows(db, [10, 5])
        assert await replay_outbox(db, window_s=60, epoch="e1") == 2
        await OutboxRelay(db, _confirmed).flush()
        assert await replay_outbox(db, window_s=60, epoch="e1") == 0
        assert await self.unsent_ids(db) == []
        assert await replay_outbox(db, window_s=60, epoch="e2") == 2

    async def test_no_window_no_replay(self, db):
        await self.sent_rows(db, [1])
        assert await replay_outbox(db, window_s=0, epoch="e1") == 0
        assert await self.unsent_ids(db) == []


async def _confirmed(row: OutboxMessage) -> None:
    return None


@pytest.fixture
async def stalled_redis_url():
    """A 'Redis' that accepts connections and never answers (a frozen server); counts who connected."""
    connections: list[object] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.read()  # until the client gives up

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"redis://127.0.0.1:{port}/0", connections
    server.close()
    for writer in connections:
        writer.close()  # type: ignore[attr-defined]


class TestReadiness:
    async def test_a_service_without_redis_is_ready_while_redis_stalls_and_never_asks_it(
            self, database_url, stalled_redis_url):
        url, connections = stalled_redis_url
        runtime = ServiceRuntime.build(load_settings("tests", database_url=database_url, redis_url=url), tables=[],
                                       uses_broker=False)
        try:
            assert await runtime.readiness() == {"database": "ok"}
        finally:
            await runtime.db.dispose()
        assert connections == []

    async def test_a_service_with_redis_is_not_ready_while_redis_stalls_and_says_so_in_time(
            self, database_url, stalled_redis_url, monkeypatch):
        monkeypatch.setattr(runtime_module, "READINESS_TIMEOUT_S", 0.3)
        url, _ = stalled_redis_url
        runtime = ServiceRuntime.build(load_settings("tests", database_url=database_url, redis_url=url), tables=[],
                                       uses_redis=True, uses_broker=False)
        started = time.monotonic()
        try:
            checks = await runtime.readiness()
        finally:
            await runtime.redis.aclose()
            await runtime.db.dispose()
        assert checks == {"database": "ok", "redis": "error: no answer within 0.3s"}
        assert time.monotonic() - started < 2

    def test_each_service_declares_what_it_uses(self, tmp_path):
        from services.billing.app import create_app as billing
        from services.booths.app import create_app as booths
        from services.markets.app import create_app as markets
        from services.portal.app import create_app as portal
        from services.registration.app import create_app as registration
        from services.subscriptions.app import create_app as subscriptions

        apps = {"registration": registration, "booths": booths, "markets": markets, "billing": billing,
                "subscriptions": subscriptions, "portal": portal}
        declared = {name: set(make(load_settings(name, var_dir=tmp_path)).state.runtime.dependencies)
                    for name, make in apps.items()}
        assert declared == {"registration": {"database", "broker", "redis"}, "booths": {"database", "broker", "redis"},
                            "markets": {"database", "broker"}, "billing": {"database", "broker"},
                            "subscriptions": {"database", "broker"}, "portal": {"database"}}


class TestPreciseWaits:
    """An event parked with `NotYet(waits_for=…)` is retried when an event about that subject is applied, not
    after every unrelated one; the rest of its batch is applied together around it."""

    async def test_a_batch_splits_around_a_waiting_event_and_it_is_retried_only_for_its_subject(self, database_url):
        from shared.contracts.markets import ProgrammeCreated
        from shared.errors import NotYet

        db = Database(database_url)
        await db.create_tables([*KERNEL_TABLES, Effect, Known])
        tries: list[str] = []

        async def on_cancelled(session, event, meta):
            tries.append(event.session_id)
            if event.session_id == "s3" and await session.get(Known, "prog-b") is None:
                raise NotYet("programme prog-b not created yet", waits_for="prog-b")
            session.add(Effect(session_id=event.session_id))

        async def on_created(session, event, meta):
            session.add(Known(subject=event.programme_id))

        consumer = EventConsumer(name="tests", topics=("markets.events",), db=db, broker=DeadLetters(),
                                 max_attempts=3, backoff_s=0.0,
                                 handlers={SessionCancelled: on_cancelled, ProgrammeCreated: on_created})
        await consumer.handle_batch([record(cancelled(n)) for n in range(1, 7)])
        async with db.sessions() as session:
            assert sorted(e.session_id for e in (await session.exec(select(Effect))).all()) == [
                "s1", "s2", "s4", "s5", "s6"]
        assert [p["subject"] for p in await consumer.parked()] == ["s3"]
        assert consumer.stats.batch_fallbacks == 1
        tries.clear()
        await consumer.handle_batch([record(cancelled(n)) for n in range(7, 10)])  # unrelated: s3 not retried
        assert tries == ["s7", "s8", "s9"]

        def created(programme_id: str) -> ProgrammeCreated:
            return ProgrammeCreated(programme_id=programme_id, centre_id="tq", name="Đưa hàng Việt 2027", year=2027,
                                    province_code="08", target_sessions=22)

        await consumer.handle_batch([record(created("prog-b"), key="prog-b")])
        assert "s3" in tries and await consumer.parked() == []
        async with db.sessions() as session:
            assert len((await session.exec(select(Effect))).all()) == 9
        await db.dispose()


class TestCorrelationMiddleware:
    async def test_the_correlation_id_is_answered_back_and_bound_while_the_request_is_served(self):
        import httpx
        from fastapi import FastAPI

        from shared.logs import current_correlation_id
        from shared.web import CorrelationMiddleware

        app = FastAPI()
        app.add_middleware(CorrelationMiddleware)

        @app.get("/who")
        async def who() -> dict[str, str]:
            return {"seen": current_correlation_id()}

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            given = await client.get("/who", headers={"X-Correlation-ID": "demo-1"})
            made = await client.get("/who")
        assert given.headers["X-Correlation-ID"] == given.json()["seen"] == "demo-1"
        assert made.headers["X-Correlation-ID"] == made.json()["seen"] and len(made.json()["seen"]) >= 32


class TestRelayLease:
    async def test_a_commit_of_a_replica_wakes_the_relay_holding_the_lease(self, tmp_path):
        """Two processes on one PostgreSQL database: the one committing events does not hold the lease, and the
        holder polls once an hour. The commit's NOTIFY wakes the holder, which publishes the event."""
        if not POSTGRES_URL:
            pytest.skip("needs TEST_POSTGRES_URL (replicas share a PostgreSQL database; CI sets it)")
        url = await empty_postgres_database(POSTGRES_URL)
        holder_db, other_db = Database(url), Database(url)
        await holder_db.create_tables(KERNEL_TABLES)
        published: list[str] = []

        async def publish(row: PendingRow) -> None:
            published.append(row.event_id)

        holder = OutboxRelay(holder_db, publish, poll_interval_s=3600)
        running = asyncio.create_task(holder.run())
        try:
            await eventually(lambda: holder.listening.is_set() and holder._lease_until, what="the holder listening")
            async with other_db.transaction() as session:  # another process: nothing wakes the holder in-process
                staged = add_event(session, SessionCancelled(programme_id="p", session_id="s1", reason="x"),
                                   source="/tests")
            await eventually(lambda: staged.event_id in published, timeout=30, what="the event published")

            # The listening connection lost (PostgreSQL restarted, a proxy dropped it): opened again, woken again.
            holder.listening.clear()
            async with other_db.transaction() as session:
                await session.exec(text(  # type: ignore[call-overload]
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query LIKE 'LISTEN%'"))
            await eventually(holder.listening.is_set, timeout=30, what="listening again")
            async with other_db.transaction() as session:
                again = add_event(session, SessionCancelled(programme_id="p", session_id="s2", reason="x"),
                                  source="/tests")
            await eventually(lambda: again.event_id in published, timeout=30, what="the next event published")
        finally:
            holder.stop()
            await running
            await holder_db.dispose()
            await other_db.dispose()

    async def test_a_relay_without_the_lease_asks_for_it_again_only_a_poll_interval_later(self, db):
        """A replica's every commit wakes its relay; while another holds the lease, the relay does not read the
        lease row (a locking read) again before its next poll, and takes it over once it is given up."""
        holder = OutboxRelay(db, _confirmed, poll_interval_s=3600)
        other = OutboxRelay(db, _confirmed, poll_interval_s=3600)
        assert await holder._hold_lease() and not await other._hold_lease()
        with statements(db.engine, lambda statement, _: "outbox_lease" in statement) as seen:
            assert not await other._hold_lease()
        assert seen == [], "asked again at once"
        await holder.release()
        other._other_holds_until = 0.0  # its poll interval has passed
        assert await other._hold_lease(), "the lease given up is taken over at the next ask"

    def test_the_listening_connection_is_made_from_the_services_url(self):
        assert listen_dsn("postgresql+asyncpg://hangviet:s3cr%40t@db:5432/billing") == \
            "postgresql://hangviet:s3cr%40t@db:5432/billing"

    async def test_relays_starting_together_on_an_empty_lease_table_agree_on_one_holder(self, db):
        # Several relays on one database (replicas) took the first lease row at the same moment: the loser's
        # INSERT failed with a unique violation that reached its caller instead of "not mine".
        relays = [OutboxRelay(db, _confirmed) for _ in range(4)]
        held = await asyncio.gather(*(relay._hold_lease() for relay in relays))
        assert sorted(held) == [False, False, False, True]
        again = await asyncio.gather(*(relay._hold_lease() for relay in relays))
        assert again == held
