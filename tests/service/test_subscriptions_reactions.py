"""The subscriptions service's event use case on the kernel's recording unit of work: what one transaction takes in
and owes, and that the streams and the delivery worker are told once per transaction, only after its commit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from services.subscriptions.domain.delivery import DeliveryStatus
from services.subscriptions.models import TABLES, Delivery, StoredEvent, Subscription
from services.subscriptions.service import reactions
from services.subscriptions.service.per_transaction import Intake
from shared.contracts.base import Event
from shared.db import Database
from shared.envelope import EventMeta
from shared.uow import RecordingUnitOfWork
from tests.service.test_subscriptions import fair_published, registration_approved


@pytest.fixture
async def db(database_url):
    """A webhook subscription to the fair events of province 08."""
    database = Database(database_url, source="/services/subscriptions")
    await database.create_tables(TABLES)
    async with database.transaction() as session:
        session.add(Subscription(id="s1", owner="rc-north", url="https://receiver.example/hook", provinces=["08"],
                                 event_types=["fair.*"], secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    yield database
    await database.dispose()


def meta_of(event: Event, event_id: str) -> EventMeta:
    return EventMeta(event_id=event_id, event_type=event.ce_type(), source="/tests", subject=event.subject(),
                     time=datetime.now(UTC).isoformat(), correlation_id="c-1")


async def test_a_transaction_stores_every_event_owes_the_wanted_ones_and_tells_once_after_it_commits(db):
    fair = fair_published("08")
    told: list[Intake] = []
    async with db.transaction() as session:
        uow = RecordingUnitOfWork(session)
        for number, event in enumerate((fair, registration_approved(fair.fair_id), fair_published("01"))):
            intake = await reactions.take_event(uow, event=event, meta=meta_of(event, f"e{number}"),
                                                committed=told.append)
        assert len(uow.pending) == 1  # one wake-up for the whole transaction
        assert told == []  # not before the commit: the readers would look too early
    uow.run_after_commit()
    assert told == [intake] and (intake.taken, intake.owed) == (3, 1)
    assert uow.emitted == []  # the service emits no events
    async with db.sessions() as session:
        stored = (await session.exec(select(StoredEvent).order_by(StoredEvent.seq))).all()
        owed = (await session.exec(select(Delivery))).all()
    assert [e.id for e in stored] == ["e0", "e1", "e2"]
    assert [(d.subscription_id, d.event_id, d.status) for d in owed] == [("s1", "e0", DeliveryStatus.PENDING)]


async def test_a_transaction_without_a_listener_owes_alike(db):
    event = fair_published("08")
    async with db.transaction() as session:
        uow = RecordingUnitOfWork(session)
        intake = await reactions.take_event(uow, event=event, meta=meta_of(event, "e9"))
        assert uow.pending == []
    assert intake.owed == 1
