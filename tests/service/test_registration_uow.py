"""Registration's use cases on the kernel's recording unit of work: what they emit, with no outbox and no relay."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from services.registration.domain.fairs import FairStatus
from services.registration.domain.registrations import RegistrationStatus
from services.registration.models import TABLES, AuditEntry, Exhibitor, Fair, Registration
from services.registration.service import reactions
from services.registration.service.approvals import decide
from services.registration.service.common import Actor
from shared.contracts.billing import InvoiceOverdue
from shared.contracts.registration import RegistrationApproved, RegistrationCancelled, RegistrationWaitlisted
from shared.db import Database
from shared.envelope import EventMeta
from shared.errors import Rejected
from shared.messaging import KERNEL_TABLES
from shared.outbox import OutboxMessage
from shared.uow import RecordingUnitOfWork

NOW = datetime.now(UTC)
ORGANIZER = Actor("organizer", "can-bo-tq")


@pytest.fixture
async def db(database_url):
    """A fair of 3 booths, open, and three exhibitors who asked for 2 booths each."""
    database = Database(database_url, source="/services/registration")
    await database.create_tables([*KERNEL_TABLES, *TABLES])
    starts = (NOW + timedelta(days=30)).date()
    async with database.transaction() as session:
        session.add(Fair(id="f1", centre_id="tq", name="Hội chợ Tuyên Quang", kind="provincial", province_code="08",
                         venue="Quảng trường", starts_on=starts, ends_on=starts + timedelta(days=3),
                         registration_opens_at=NOW - timedelta(days=1), registration_closes_at=NOW + timedelta(days=9),
                         cancellation_deadline=NOW + timedelta(days=20), capacity_booths=3, booth_price_vnd=1_000_000,
                         max_booths_per_exhibitor=2, seller_name="Trung tâm", seller_tax_code="0100109106",
                         status=FairStatus.OPEN))
        for number in (1, 2, 3):
            session.add(Exhibitor(id=f"e{number}", legal_name=f"HTX số {number}", kind="cooperative",
                                  tax_code=f"010010910{number}", province_code="08"))
        await session.flush()
        for number in (1, 2, 3):
            session.add(Registration(id=f"r{number}", fair_id="f1", exhibitor_id=f"e{number}", booths_requested=2,
                                     submitted_at=NOW + timedelta(minutes=number)))
    yield database
    await database.dispose()


async def _fair_and(session, registration_id: str) -> tuple[Fair, Registration]:
    fair = await session.get(Fair, "f1")
    registration = await session.get(Registration, registration_id)
    assert fair is not None and registration is not None
    return fair, registration


async def test_approving_within_capacity_emits_approved_then_waitlisted_beyond_it(db):
    async with db.transaction() as session:
        uow = RecordingUnitOfWork(session)
        fair, first = await _fair_and(session, "r1")
        granted = await decide(uow, fair, first, ORGANIZER, 0)
        _, second = await _fair_and(session, "r2")
        granted = await decide(uow, fair, second, ORGANIZER, granted)
    assert granted == 2
    assert [type(e) for e in uow.emitted] == [RegistrationApproved, RegistrationWaitlisted]
    approved, waitlisted = uow.emitted
    assert isinstance(approved, RegistrationApproved) and approved.registration_id == "r1"
    assert approved.booths_requested == 2 and approved.exhibitor.kind == "cooperative" and not approved.promoted
    assert isinstance(waitlisted, RegistrationWaitlisted) and waitlisted.registration_id == "r2"
    assert waitlisted.position == 1
    assert (first.status, second.status) == (RegistrationStatus.APPROVED, RegistrationStatus.WAITLISTED)
    async with db.sessions() as session:
        actions = [a.action for a in (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()]
        assert actions == ["registration.approved", "registration.waitlisted"]
        assert (await session.exec(select(OutboxMessage))).all() == []  # the recording unit of work stages nothing


async def test_an_overdue_invoice_cancels_and_promotes_the_waitlist(db):
    async with db.transaction() as session:
        uow = RecordingUnitOfWork(session)
        fair, first = await _fair_and(session, "r1")
        granted = await decide(uow, fair, first, ORGANIZER, 0)
        for waiting in ("r2", "r3"):
            _, registration = await _fair_and(session, waiting)
            granted = await decide(uow, fair, registration, ORGANIZER, granted)
        uow.emitted.clear()
        overdue = InvoiceOverdue(fair_id="f1", invoice_id="i1", registration_id="r1", exhibitor_id="e1",
                                 due_on=date.today(), outstanding_vnd=2_000_000)
        meta = EventMeta(event_id="ev1", event_type="vn.hangviet.invoice.overdue", source="/services/billing",
                         subject="i1", time=NOW.isoformat(), correlation_id="c1")
        await reactions.cancel_unpaid(uow=uow, event=overdue, meta=meta)
    assert [type(e) for e in uow.emitted] == [RegistrationCancelled, RegistrationApproved]
    cancelled, promoted = uow.emitted
    assert isinstance(cancelled, RegistrationCancelled) and cancelled.registration_id == "r1"
    assert cancelled.reason == "unpaid" and cancelled.was_approved
    assert isinstance(promoted, RegistrationApproved) and promoted.registration_id == "r2" and promoted.promoted


async def test_a_final_registration_is_refused_and_emits_nothing(db):
    async with db.transaction() as session:
        uow = RecordingUnitOfWork(session)
        fair, registration = await _fair_and(session, "r1")
        registration.status = RegistrationStatus.REJECTED
        with pytest.raises(Rejected) as refused:
            await decide(uow, fair, registration, ORGANIZER, 0)
    assert refused.value.code == "invalid-transition"
    assert uow.emitted == []
