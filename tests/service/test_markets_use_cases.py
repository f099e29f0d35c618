"""Markets' use cases on the kernel's recording unit of work: what they stage, with no outbox and no relay."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from services.markets.app import TABLES
from services.markets.domain.sessions import ChangeKind, SessionStatus
from services.markets.models import Programme, SessionChange
from services.markets.schemas.programmes import SessionCreate
from services.markets.service.programmes import cancel, schedule
from shared.contracts.markets import SessionCancelled, SessionScheduled
from shared.db import Database
from shared.errors import NotFound, Rejected
from shared.messaging import KERNEL_TABLES
from shared.outbox import OutboxMessage
from shared.principal import Principal, Role
from shared.uow import RecordingUnitOfWork

YEAR = date.today().year + 1
DONG_VAN = "00721"  # a commune of Tuyên Quang (08)
ORGANIZER = Principal(Role.ORGANIZER, "can-bo-tq", centre_id="tq")


@pytest.fixture
async def db(database_url):
    database = Database(database_url, source="/services/markets")
    await database.create_tables([*KERNEL_TABLES, *TABLES])
    async with database.transaction() as session:
        session.add(Programme(id="p1", centre_id="tq", name="Phiên chợ vùng cao", year=YEAR, province_code="08",
                              target_sessions=4, session_days=3, booth_quota=40, enterprise_quota=10,
                              created_by="can-bo-tq"))
    yield database
    await database.dispose()


def session_body(start: str = "03-01", end: str = "03-03") -> SessionCreate:
    return SessionCreate.model_validate({"commune_code": DONG_VAN, "site_name": "Chợ trung tâm xã",
                                         "starts_on": f"{YEAR}-{start}", "ends_on": f"{YEAR}-{end}",
                                         "booth_quota": 40})


async def test_scheduling_then_cancelling_stages_one_event_each(db):
    async with db.transaction() as session:
        uow = RecordingUnitOfWork(session)
        placed = await schedule(uow, principal=ORGANIZER, programme_id="p1", data=session_body())
        called_off = await cancel(uow, principal=ORGANIZER, session_id=placed.id, reason="mưa lũ",
                                  today=date(YEAR, 1, 2))
    assert [type(e) for e in uow.emitted] == [SessionScheduled, SessionCancelled]
    scheduled, cancelled = uow.emitted
    assert isinstance(scheduled, SessionScheduled) and scheduled.session_id == placed.id
    assert scheduled.commune_code == DONG_VAN and scheduled.starts_on == date(YEAR, 3, 1)
    assert isinstance(cancelled, SessionCancelled) and cancelled.reason == "mưa lũ"
    assert called_off.status == SessionStatus.CANCELLED
    async with db.sessions() as session:
        kinds = [c.kind for c in (await session.exec(select(SessionChange).order_by(SessionChange.id))).all()]
        assert kinds == [ChangeKind.SCHEDULED, ChangeKind.CANCELLED]
        assert (await session.exec(select(OutboxMessage))).all() == []  # the recording unit of work stages nothing


async def test_a_refused_use_case_emits_nothing(db):
    async with db.transaction() as session:
        uow = RecordingUnitOfWork(session)
        placed = await schedule(uow, principal=ORGANIZER, programme_id="p1", data=session_body())
        with pytest.raises(Rejected) as overlap:
            await schedule(uow, principal=ORGANIZER, programme_id="p1", data=session_body("03-02", "03-04"))
        assert overlap.value.code == "session-overlap"
        await cancel(uow, principal=ORGANIZER, session_id=placed.id, reason="mưa", today=date(YEAR, 1, 2))
        with pytest.raises(Rejected) as twice:
            await cancel(uow, principal=ORGANIZER, session_id=placed.id, reason="mưa", today=date(YEAR, 1, 2))
        assert twice.value.code == "invalid-transition"
        with pytest.raises(NotFound):
            await schedule(uow, principal=Principal(Role.ORGANIZER, "x", centre_id="other"), programme_id="p1",
                           data=session_body("05-01", "05-02"))
    assert [type(e) for e in uow.emitted] == [SessionScheduled, SessionCancelled]
