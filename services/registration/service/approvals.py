"""Approvals within capacity: approve or waitlist, in bulk, promote from the waitlist, cancel and free booths.

Every capacity decision of a fair first takes the fair's row lock (SELECT … FOR UPDATE on PostgreSQL,
BEGIN IMMEDIATE on SQLite), then re-reads the registrations: concurrent approvals queue up behind it,
so the booths of approved registrations never exceed the fair's capacity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.domain import capacity
from services.registration.domain import fairs as fair_rules
from services.registration.domain import registrations as registration_rules
from services.registration.domain.capacity import Candidate
from services.registration.domain.fairs import FairStatus
from services.registration.domain.registrations import RegistrationStatus
from services.registration.models import Exhibitor, Fair, Registration
from services.registration.service import audit
from services.registration.service.common import (
    Actor,
    approved_booths,
    approved_booths_by_fair,
    candidate,
    exhibitor_info,
    fair_not_found,
    fair_of_centre,
    joined,
    owns_fair,
    registration_not_found,
    waitlist_candidates,
    waitlist_place,
)
from services.registration.service.documents import DocumentState, document_state
from shared.contracts import registration as ev
from shared.db import Database, utcnow
from shared.errors import NotFound, Rejected
from shared.group_commit import GroupCommit
from shared.principal import Principal
from shared.uow import UnitOfWork

log = structlog.get_logger()


@dataclass(frozen=True)
class _Approval:
    """One call of `approve_registration`, as its group commit queues it."""

    principal: Principal
    registration_id: str


@dataclass
class _Deciding:
    """What a batch of approvals reads at once, under the fairs' locks: the registrations with their fairs,
    and the booths each fair has granted so far (kept up to date as the batch decides)."""

    fair_of: dict[str, str]
    fairs: dict[str, Fair]
    registrations: dict[str, Registration]
    exhibitors: dict[str, Exhibitor]
    granted: dict[str, int]
    documents: DocumentState


async def approve_registration(*, db: Database, principal: Principal, registration_id: str) -> Registration:
    """Approve within the fair's capacity, else put on the waitlist; either way, announce it.

    Approvals arriving together share one transaction (`shared.group_commit`), decided one by one in arrival
    order under the fairs' locks, each against the booths left by those before it."""
    async def approve(session: AsyncSession, batch: _Deciding, approval: _Approval) -> Registration:
        return await _approve(joined(db, session), batch, approval)

    approvals = GroupCommit.of(db, "registration.approve", load=_load_approvals, apply=approve, refusals=(Rejected,))
    registration: Registration = await approvals.run(_Approval(principal, registration_id))
    return registration


# A batch's two locking reads, built once with the registration ids as an expanding parameter: building a select
# with its IN list and computing its cache key for every batch was ~10 % of an approval's CPU one at a time.
_LOCK_FAIRS = (select(Fair).where(col(Fair.id).in_(select(Registration.fair_id).where(
    col(Registration.id).in_(bindparam("ids", expanding=True))))).order_by(col(Fair.id)).with_for_update()
    .execution_options(populate_existing=True))
_LOCK_REGISTRATIONS = (select(Registration, Exhibitor).join(Exhibitor)
                       .where(col(Registration.id).in_(bindparam("ids", expanding=True)))
                       .order_by(col(Registration.id)).with_for_update(of=Registration)
                       .execution_options(populate_existing=True))


async def _load_approvals(session: AsyncSession, batch: Sequence[_Approval]) -> _Deciding:
    """The fairs locked first (in id order), then their registrations with their exhibitors, as every capacity
    decision does; then the booths each fair has granted."""
    ids = sorted({a.registration_id for a in batch})
    fairs = (await session.exec(_LOCK_FAIRS, params={"ids": ids})).all()
    # The exhibitors are held by the batch (and handed to `decide`): announcing an approval reads none.
    rows = (await session.exec(_LOCK_REGISTRATIONS, params={"ids": ids})).all()
    granted = await approved_booths_by_fair(session, {f.id for f in fairs})
    documents = await document_state(session, {f.id for f in fairs}, {r.id for r, _ in rows})
    return _Deciding({r.id: r.fair_id for r, _ in rows}, {f.id: f for f in fairs}, {r.id: r for r, _ in rows},
                     {e.id: e for _, e in rows}, granted, documents)


async def _approve(uow: UnitOfWork, batch: _Deciding, approval: _Approval) -> Registration:
    fair_id = batch.fair_of.get(approval.registration_id)
    if fair_id is None:
        raise registration_not_found(approval.registration_id)
    fair = batch.fairs[fair_id]
    if not owns_fair(approval.principal, fair):
        raise fair_not_found(fair_id)
    registration = batch.registrations[approval.registration_id]
    fair_rules.check_fair_deciding(FairStatus(fair.status))
    exhibitor = batch.exhibitors[registration.exhibitor_id]
    if batch.documents.requirements.get(fair.id) and registration_rules.may_become(
            RegistrationStatus(registration.status), RegistrationStatus.APPROVED):
        batch.documents.check(registration, exhibitor)
    batch.granted[fair.id] = await decide(uow, fair, registration, Actor.of(approval.principal),
                                          batch.granted[fair.id], exhibitor=exhibitor)
    return registration


async def bulk_approve(*, db: Database, principal: Principal, fair_id: str,
                       registration_ids: list[str]) -> list[Registration]:
    """Approve several registrations of a fair at once, best priority first; all or nothing."""
    async with db.unit_of_work() as uow:
        fair = await fair_of_centre(uow.session, fair_id, principal, lock=True)
        fair_rules.check_fair_deciding(FairStatus(fair.status))
        registrations = await locked_registrations_of(uow.session, fair, registration_ids)
        for index, registration in enumerate(registrations):
            if not registration_rules.may_become(RegistrationStatus(registration.status), RegistrationStatus.APPROVED):
                raise Rejected(f"Không thể duyệt hồ sơ {registration.id} ở trạng thái '{registration.status}' / "
                               f"cannot approve a {registration.status} registration",
                               code="invalid-transition", field=f"registration_ids.{index}")
        documents = await document_state(uow.session, [fair.id], registration_ids)
        exhibitors = {e.id: e for e in (await uow.session.exec(select(Exhibitor).where(
            col(Exhibitor.id).in_({r.exhibitor_id for r in registrations})))).all()}
        for index, registration in enumerate(registrations):
            documents.check(registration, exhibitors[registration.exhibitor_id], index=index)
        granted = await approved_booths(uow.session, fair.id)
        actor = Actor.of(principal)
        for registration in sorted(registrations, key=lambda r: capacity.rank_key(candidate(r))):
            granted = await decide(uow, fair, registration, actor, granted,
                                   exhibitor=exhibitors[registration.exhibitor_id])
    return registrations


async def locked_registrations_of(session: AsyncSession, fair: Fair, ids: list[str]) -> list[Registration]:
    """The named registrations of the fair, locked, in the order given; 404 naming the first unknown one."""
    if len(set(ids)) != len(ids):
        raise Rejected("Danh sách hồ sơ bị trùng / the list names a registration twice", code="duplicate-ids",
                       field="registration_ids", status=422)
    rows = await session.exec(select(Registration).where(
        Registration.fair_id == fair.id, col(Registration.id).in_(ids)).with_for_update()
        .execution_options(populate_existing=True))
    found = {r.id: r for r in rows.all()}
    for index, registration_id in enumerate(ids):
        if registration_id not in found:
            raise NotFound(f"Không tìm thấy hồ sơ {registration_id} trong hội chợ / registration not in this fair",
                           code="not-found", field=f"registration_ids.{index}")
    return [found[i] for i in ids]


async def decide(uow: UnitOfWork, fair: Fair, registration: Registration, actor: Actor, granted: int, *,
                 exhibitor: Exhibitor | None = None) -> int:
    """Approve or waitlist one registration (fair locked); returns the booths granted afterwards. `exhibitor`:
    the registration's, when the caller holds it (else the session finds it)."""
    session = uow.session
    before = registration.status
    outcome = registration_rules.decide_approval(status=RegistrationStatus(before), capacity=fair.capacity_booths,
                                     approved_booths=granted, booths_requested=registration.booths_requested)
    if outcome == before:
        return granted  # still no room for a waitlisted registration: nothing changes, nothing is sent
    registration.status = outcome
    registration.decided_at = registration.updated_at = utcnow()
    session.add(registration)
    free = capacity.free_booths(fair.capacity_booths, granted)
    wanted = registration.booths_requested
    if outcome is RegistrationStatus.APPROVED:
        await _announce_approval(uow, fair, registration, promoted=False, exhibitor=exhibitor)
        granted += wanted
        facts = _facts(fair, registration, before, free, free - wanted)
        why = (f"Còn {free} gian trống, xin {wanted} gian: được duyệt (điểm ưu tiên {registration.priority_score}) / "
               f"{wanted} of {free} free booths granted (priority score {registration.priority_score})")
    else:
        position = await _announce_waitlisting(uow, fair, registration)
        facts = _facts(fair, registration, before, free, free) | {"waitlist_position": position}
        why = (f"Chỉ còn {free} gian trống, xin {wanted} gian: vào danh sách chờ, vị trí {position} "
               f"(điểm ưu tiên {registration.priority_score}) / only {free} booths free for {wanted} requested: "
               f"waitlisted at position {position} (priority score {registration.priority_score})")
    registration.decision_reason = why  # the answer says what happened, not only the audit log
    audit.record(session, actor, f"registration.{outcome}", entity="registration", entity_id=registration.id,
                 fair_id=fair.id, changes=facts, reason=why)
    return granted


def _facts(fair: Fair, registration: Registration, before: str, free_before: int, free_after: int) -> dict[str, Any]:
    """What a capacity decision rested on, as its audit entry keeps it."""
    return {"status": [before, registration.status], "booths_requested": registration.booths_requested,
            "capacity_booths": fair.capacity_booths, "booths_free": [free_before, free_after],
            "priority_score": registration.priority_score}


async def promote_waitlisted(uow: UnitOfWork, fair: Fair, actor: Actor, *, cause: str) -> list[Registration]:
    """Booths freed up (fair locked): approve the best waitlisted registrations that now fit.

    `cause` says what freed the booths (a sentence, Vietnamese / English); each promotion's audit entry keeps it
    with the booths free at that moment, the registration's place on the waitlist and its score.
    """
    if fair.status not in fair_rules.DECIDING_FAIR_STATES:
        return []
    session = uow.session
    granted = await approved_booths(session, fair.id)
    free = capacity.free_booths(fair.capacity_booths, granted)
    queue = await waitlist_candidates(session, fair.id) if free else []
    ready = await _documents_complete(session, fair, queue)
    chosen = capacity.select_promotions(ready, capacity=fair.capacity_booths, approved_booths=granted)
    if not chosen:
        return []
    # Only the promoted ones are loaded whole (the waitlist may be thousands long), with their exhibitors.
    places = {c.registration_id: i for i, c in enumerate(capacity.waitlist_order(queue), start=1)}
    rows = {r.id: r for r in (await session.exec(
        select(Registration).where(col(Registration.id).in_([c.registration_id for c in chosen]))
        .with_for_update().execution_options(populate_existing=True))).all()}
    _held = list((await session.exec(select(Exhibitor).where(  # held: the identity map is weak, announcing reads it
        col(Exhibitor.id).in_({r.exhibitor_id for r in rows.values()})))).all())
    promoted = []
    for picked in chosen:
        registration = rows[picked.registration_id]
        position = places[picked.registration_id]
        registration_rules.REGISTRATION_TRANSITIONS.check(registration.status, RegistrationStatus.APPROVED)
        before = registration.status
        registration.status = RegistrationStatus.APPROVED
        registration.decided_at = registration.updated_at = utcnow()
        session.add(registration)
        await _announce_approval(uow, fair, registration, promoted=True)
        facts = _facts(fair, registration, before, free, free - picked.booths)
        registration.decision_reason = (f"{cause} — còn {free} gian trống, hồ sơ chờ vị trí {position} vừa đủ chỗ / "
                                        f"{free} booths free, waitlisted at position {position} and fits")
        audit.record(session, actor, "registration.promoted", entity="registration", entity_id=registration.id,
                     fair_id=fair.id, changes=facts | {"waitlist_position": position, "freed_by": cause},
                     reason=registration.decision_reason)
        free -= picked.booths
        promoted.append(registration)
    if promoted:
        log.info("registration.waitlist_promoted", fair_id=fair.id, promoted=[r.id for r in promoted], cause=cause)
    return promoted


async def _documents_complete(session: AsyncSession, fair: Fair, queue: list[Candidate]) -> list[Candidate]:
    """The waitlisted registrations a promotion may approve: a promotion is an approval, so those whose documents
    the fair requires are all accepted (one sent back or required since it was waitlisted keeps it waiting, in its
    place, while the next one that is ready moves up)."""
    if not queue:
        return queue
    ids = {c.registration_id for c in queue}
    state = await document_state(session, {fair.id}, ids)
    if not state.requirements.get(fair.id):
        return queue
    rows = (await session.exec(select(Registration, Exhibitor).join(Exhibitor)
                               .where(col(Registration.id).in_(ids)))).all()
    complete: set[str] = set()
    for registration, exhibitor in rows:
        try:
            state.check(registration, exhibitor)
        except Rejected:
            continue
        complete.add(registration.id)
    return [c for c in queue if c.registration_id in complete]


async def cancel(uow: UnitOfWork, fair: Fair, registration: Registration, *, reason: str, actor: Actor,
                 note: str | None = None) -> bool:
    """End a live registration (fair locked) and announce it; True when it held booths."""
    before = registration.status
    registration_rules.REGISTRATION_TRANSITIONS.check(before, RegistrationStatus.CANCELLED)
    registration.status = RegistrationStatus.CANCELLED
    registration.cancel_reason = reason
    registration.decision_reason = note or registration.decision_reason
    registration.updated_at = utcnow()
    uow.session.add(registration)
    held = before == RegistrationStatus.APPROVED
    uow.emit(ev.RegistrationCancelled(
        fair_id=fair.id, registration_id=registration.id, exhibitor_id=registration.exhibitor_id,
        reason=reason, was_approved=held, note=note or ""))
    audit.record(uow.session, actor, "registration.cancelled", entity="registration", entity_id=registration.id,
                 fair_id=fair.id, changes={"status": [before, registration.status], "cancel_reason": reason},
                 reason=note)
    return held


async def _announce_approval(uow: UnitOfWork, fair: Fair, registration: Registration, *, promoted: bool,
                             exhibitor: Exhibitor | None = None) -> None:
    if exhibitor is None:  # an awaited session.get costs a greenlet hand-off even when the identity map has it
        exhibitor = await uow.session.get(Exhibitor, registration.exhibitor_id)
    assert exhibitor is not None  # a foreign key guarantees it
    assert registration.decided_at is not None
    uow.emit(ev.RegistrationApproved(
        fair_id=fair.id, registration_id=registration.id, exhibitor_id=exhibitor.id,
        exhibitor=exhibitor_info(exhibitor), booths_requested=registration.booths_requested,
        sector=registration.sector, zone=registration.zone, priority_score=registration.priority_score,
        approved_at=registration.decided_at, promoted=promoted))


async def _announce_waitlisting(uow: UnitOfWork, fair: Fair, registration: Registration) -> int:
    """Send `registration.waitlisted`; returns the registration's place on the waitlist."""
    position = await waitlist_place(uow.session, fair.id, candidate(registration))
    uow.emit(ev.RegistrationWaitlisted(
        fair_id=fair.id, registration_id=registration.id, exhibitor_id=registration.exhibitor_id,
        position=position, priority_score=registration.priority_score,
        booths_requested=registration.booths_requested))
    return position
