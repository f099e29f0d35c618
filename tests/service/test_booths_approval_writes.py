"""What one `registration.approved` of an `automatic` fair writes, and how: its request once (at commit, not
again by an autoflush), its claims in one statement, its audit entry — every statement compiled once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import col, select

from services.booths.adapters.live import LiveFeed
from services.booths.models import TABLES, Assignment, AuditEntry
from services.booths.service import reactions
from services.booths.service.store import Context
from services.booths.settings import BoothsSettings
from shared.contracts.booths import BoothsAssigned
from shared.contracts.registration import RegistrationApproved, RegistrationSubmitted
from shared.db import Database
from shared.uow import RecordingUnitOfWork
from tests.service.batches import statements, uncached
from tests.service.booths_support import FakeClock, approved, fair_published


def _submitted(approval: RegistrationApproved) -> RegistrationSubmitted:
    return RegistrationSubmitted(
        fair_id=approval.fair_id, registration_id=approval.registration_id, exhibitor_id=approval.exhibitor_id,
        exhibitor=approval.exhibitor, booths_requested=approval.booths_requested, sector=approval.sector,
        priority_score=approval.priority_score, submitted_at=approval.approved_at)


def _writes(seen: list[str]) -> list[str]:
    """Each write as its verb and table (`UPDATE booth_requests`)."""
    words = [statement.split() for statement in seen]
    return [f"{w[0]} {w[2] if w[0] == 'INSERT' else w[1]}" for w in words if w[0] in ("INSERT", "UPDATE")]


async def test_an_approval_writes_its_request_once_its_claims_in_one_statement_and_its_audit_entry(
        tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/booths.db", source="/services/booths")
    await db.create_tables(TABLES)
    no_redis: Any = None  # nothing here reaches Redis: the live update waits for a commit
    ctx = Context(db=db, redis=no_redis, feed=LiveFeed(no_redis), settings=BoothsSettings(), clock=FakeClock())
    fair = fair_published()
    approval = approved(fair.fair_id, 3)
    try:
        async with db.transaction() as session:
            uow = RecordingUnitOfWork(session)
            await reactions.build_floorplan(uow=uow, event=fair)
            await reactions.record_submission(uow=uow, event=_submitted(approval))
        with statements(db.engine, lambda *_: True) as seen, uncached(db.engine) as compiled_each_time:
            async with db.transaction() as session:
                uow = RecordingUnitOfWork(session)
                request = await reactions.approve(uow=uow, ctx=ctx, event=approval)
        assert request.status == "assigned"
        assert _writes(seen) == ["INSERT booth_assignments", "INSERT booth_audit", "UPDATE booth_requests"]
        assert compiled_each_time == []
        (assigned,) = [e for e in uow.emitted if isinstance(e, BoothsAssigned)]
        async with db.sessions() as session:
            claims = (await session.exec(select(Assignment).where(
                Assignment.registration_id == approval.registration_id).order_by(col(Assignment.id)))).all()
            (entry,) = (await session.exec(select(AuditEntry).where(
                AuditEntry.registration_id == approval.registration_id))).all()
        assert [c.booth_code for c in claims] == assigned.booth_codes and len(claims) == 3
        assert {(c.assignment_id, c.fair_id, c.exhibitor_id, c.state, c.reason, c.released_at, c.expires_at)
                for c in claims} == {(assigned.assignment_id, fair.fair_id, approval.exhibitor_id, "assigned",
                                      assigned.reason, None, None)}
        assert (entry.action, entry.actor, entry.booth_codes, entry.detail) == (
            "automatic", "event:registration.approved", assigned.booth_codes, assigned.reason)
        assert request.approved_at == approval.approved_at and request.reason == assigned.reason
    finally:
        await db.dispose()
