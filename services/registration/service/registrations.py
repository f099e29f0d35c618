"""Registration use cases: submit, ask to resubmit and resubmit, reject, cancel (and promote who waits)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.domain import fairs as fair_rules
from services.registration.domain import registrations as registration_rules
from services.registration.domain.eligibility import EligibilityRules, check_eligible
from services.registration.domain.fairs import FairStatus
from services.registration.domain.registrations import RegistrationStatus
from services.registration.models import Exhibitor, Fair, Registration, products_of
from services.registration.schemas import RegistrationCreate, RegistrationUpdate
from services.registration.service import audit
from services.registration.service.approvals import cancel, locked_registrations_of, promote_waitlisted
from services.registration.service.common import (
    Actor,
    exhibitor_info,
    fair_id_of,
    fair_not_found,
    fair_of_centre,
    is_exhibitor,
    joined,
    load_fair,
    lock_registration,
    owns_fair,
    registration_not_found,
    score_registration,
)
from shared.contracts import registration as ev
from shared.db import Database, utcnow
from shared.errors import Invalid, Rejected
from shared.group_commit import GroupCommit
from shared.principal import Principal, Role
from shared.text import fold
from shared.uow import UnitOfWork, new_id


def _duplicate() -> Rejected:
    return Rejected("Doanh nghiệp đã đăng ký hội chợ này / already registered for this fair",
                    code="duplicate-registration")


def _choice(value: str, options: list[str], field: str) -> str:
    """The fair's own spelling of a sector or zone; any value when the fair lists none."""
    if not value or not options:
        return value
    for option in options:
        if fold(option) == fold(value):
            return option
    raise Invalid(f"'{value}' không thuộc danh sách của hội chợ / not one of the fair's: {', '.join(options)}",
                  field=field, code=f"unknown-{field}")


@dataclass(frozen=True)
class _Submission:
    """One call of `submit_registration`, as its group commit queues it."""

    principal: Principal
    fair_id: str
    data: RegistrationCreate
    now: datetime


@dataclass
class _Submitted:
    """What a batch of submissions reads at once: their fairs and exhibitors, and who is registered where."""

    fairs: dict[str, Fair]
    exhibitors: dict[str, Exhibitor]
    taken: set[tuple[str, str]]


async def submit_registration(*, db: Database, principal: Principal, fair_id: str,
                              data: RegistrationCreate, now: datetime | None = None) -> Registration:
    """Register the calling exhibitor for N booths at an open fair, scored by the fair's priority policy.

    Submissions arriving together share one transaction (`shared.group_commit`): a rush of exhibitors costs a
    few statements per batch, not a transaction each, and every submission is still checked on its own."""
    async def submit(session: AsyncSession, batch: _Submitted, submission: _Submission) -> Registration:
        return await _submit(joined(db, session), batch, submission)

    submissions = GroupCommit.of(db, "registration.submit", load=_load_submissions, apply=submit,
                                 refusals=(Rejected,))
    try:
        registration: Registration = await submissions.run(_Submission(principal, fair_id, data, now or utcnow()))
    except IntegrityError as exc:  # the same exhibitor twice at the same instant: the unique index decides
        raise _duplicate() from exc
    return registration


# A batch's two reads, built once with the ids as expanding parameters (not a select per batch).
_FAIRS = select(Fair).where(col(Fair.id).in_(bindparam("fair_ids", expanding=True)))
# Each exhibitor with the batch's fairs it is already registered for (one row per such fair, or one with none).
_EXHIBITORS = select(Exhibitor, Registration.fair_id).outerjoin(Registration, and_(
    col(Registration.exhibitor_id) == col(Exhibitor.id),
    col(Registration.fair_id).in_(bindparam("fair_ids", expanding=True)))).where(
    col(Exhibitor.id).in_(bindparam("exhibitor_ids", expanding=True)))


async def _load_submissions(session: AsyncSession, batch: Sequence[_Submission]) -> _Submitted:
    fair_ids = list({s.fair_id for s in batch})
    exhibitor_ids = list({s.principal.exhibitor_id or "" for s in batch})
    fairs = await session.exec(_FAIRS, params={"fair_ids": fair_ids})
    exhibitors = (await session.exec(_EXHIBITORS, params={"fair_ids": fair_ids,
                                                          "exhibitor_ids": exhibitor_ids})).all()
    return _Submitted({f.id: f for f in fairs.all()}, {e.id: e for e, _ in exhibitors},
                      {(f, e.id) for e, f in exhibitors if f is not None})


async def _submit(uow: UnitOfWork, batch: _Submitted, submission: _Submission) -> Registration:
    """One submission of a batch: every check first, then the registration, its event and its audit entry."""
    fair = batch.fairs.get(submission.fair_id)
    if fair is None or fair.status == FairStatus.DRAFT:
        raise fair_not_found(submission.fair_id)
    exhibitor = batch.exhibitors.get(submission.principal.exhibitor_id or "")
    if exhibitor is None:
        raise Rejected("Chưa có hồ sơ doanh nghiệp / create your exhibitor profile first", code="no-profile")
    data, now = submission.data, submission.now
    _check_may_register(fair, exhibitor, data, now)
    if (fair.id, exhibitor.id) in batch.taken:
        raise _duplicate()
    # Every field with a default factory is given: pydantic inspects a factory's signature on each construction
    # (for a builtin such as `list`, by parsing its text signature), which cost more than the rest of a submit.
    registration = Registration(
        id=new_id(), fair_id=fair.id, exhibitor_id=exhibitor.id, booths_requested=data.booths_requested,
        sector=_choice(data.sector, fair.sectors, "sector"), zone=_choice(data.zone, fair.zones, "zone"),
        products=json.dumps(data.products, ensure_ascii=False), priority_reasons=[], submitted_at=now,
        updated_at=now)
    score_registration(fair, exhibitor, registration)
    batch.taken.add((fair.id, exhibitor.id))
    uow.session.add(registration)
    _announce_submission(uow, exhibitor, registration)
    audit.record(uow.session, Actor.of(submission.principal), "registration.submitted", entity="registration",
                 entity_id=registration.id, fair_id=fair.id,
                 changes={"booths_requested": registration.booths_requested, "sector": registration.sector,
                          "priority_score": registration.priority_score})
    return registration


def _check_may_register(fair: Fair, exhibitor: Exhibitor, data: RegistrationCreate, now: datetime) -> None:
    registration_rules.check_can_register(
        fair_rules.FairWindow(FairStatus(fair.status), fair.registration_opens_at, fair.registration_closes_at,
                          fair.max_booths_per_exhibitor), now=now, booths_requested=data.booths_requested)
    check_eligible(EligibilityRules.of(kinds=fair.eligible_kinds, cscnnt_only=fair.cscnnt_only,
                                       home_provinces=fair.home_provinces),
                   kind=exhibitor.kind, is_cscnnt=exhibitor.is_cscnnt, province_code=exhibitor.province_code)


def _announce_submission(uow: UnitOfWork, exhibitor: Exhibitor, registration: Registration) -> None:
    uow.emit(ev.RegistrationSubmitted(
        fair_id=registration.fair_id, registration_id=registration.id, exhibitor_id=exhibitor.id,
        exhibitor=exhibitor_info(exhibitor), booths_requested=registration.booths_requested,
        sector=registration.sector, zone=registration.zone, products=products_of(registration),
        priority_score=registration.priority_score, submitted_at=registration.submitted_at))


async def _locked(session: AsyncSession, principal: Principal, registration_id: str) -> tuple[Fair, Registration]:
    """Fair then registration under their locks, if the caller is its exhibitor or the fair's organizer."""
    fair_id = await fair_id_of(session, registration_id)
    fair = await load_fair(session, fair_id, lock=True) if fair_id else None
    registration = await lock_registration(session, registration_id) if fair else None
    if fair is None or registration is None or not (
            owns_fair(principal, fair) or is_exhibitor(principal, registration.exhibitor_id)):
        raise registration_not_found(registration_id)
    return fair, registration


async def request_changes(*, db: Database, principal: Principal, registration_id: str,
                          reason: str) -> Registration:
    """The organizer sends a registration back to its exhibitor, saying what to change."""
    async with db.unit_of_work() as uow:
        session = uow.session
        fair, registration = await _locked(session, principal, registration_id)
        if not owns_fair(principal, fair):
            raise registration_not_found(registration_id)
        fair_rules.check_fair_deciding(FairStatus(fair.status))
        before = registration.status
        registration_rules.check_can_request_changes(RegistrationStatus(before))
        registration.status = RegistrationStatus.CHANGES_REQUESTED
        registration.decision_reason = reason
        registration.updated_at = utcnow()
        session.add(registration)
        uow.emit(ev.RegistrationChangesRequested(fair_id=fair.id, registration_id=registration.id,
                                                 exhibitor_id=registration.exhibitor_id, reason=reason))
        audit.record(session, Actor.of(principal), "registration.changes_requested", entity="registration",
                     entity_id=registration.id, fair_id=fair.id,
                     changes={"status": [before, registration.status]}, reason=reason)
    return registration


async def resubmit_registration(*, db: Database, principal: Principal, registration_id: str,
                                data: RegistrationUpdate) -> Registration:
    """The exhibitor changes what was asked and the registration goes back to review, scored again."""
    async with db.transaction() as session:
        fair, registration = await _locked(session, principal, registration_id)
        if not is_exhibitor(principal, registration.exhibitor_id):
            raise registration_not_found(registration_id)
        fair_rules.check_fair_deciding(FairStatus(fair.status))
        registration_rules.check_can_resubmit(RegistrationStatus(registration.status))
        before = {"booths_requested": registration.booths_requested, "sector": registration.sector,
                  "zone": registration.zone, "products": products_of(registration), "status": registration.status}
        _apply_changes(fair, registration, data)
        exhibitor = await session.get(Exhibitor, registration.exhibitor_id)
        assert exhibitor is not None
        score_registration(fair, exhibitor, registration)
        registration.status = RegistrationStatus.SUBMITTED
        registration.updated_at = utcnow()
        session.add(registration)
        after = {"booths_requested": registration.booths_requested, "sector": registration.sector,
                 "zone": registration.zone, "products": products_of(registration), "status": registration.status,
                 "priority_score": registration.priority_score}
        audit.record(session, Actor.of(principal), "registration.resubmitted", entity="registration",
                     entity_id=registration.id, fair_id=fair.id, changes=audit.diff(before, after))
    return registration


def _apply_changes(fair: Fair, registration: Registration, data: RegistrationUpdate) -> None:
    given = data.model_dump(exclude_unset=True)
    if "booths_requested" in given and given["booths_requested"] is None:
        raise Invalid("Số gian không được để trống / booths_requested may not be null", field="booths_requested")
    if data.booths_requested is not None:
        registration_rules.check_booth_count(data.booths_requested, fair.max_booths_per_exhibitor)
        registration.booths_requested = data.booths_requested
    if "sector" in given:
        registration.sector = _choice(data.sector or "", fair.sectors, "sector")
    if "zone" in given:
        registration.zone = _choice(data.zone or "", fair.zones, "zone")
    if "products" in given:
        registration.products = json.dumps(data.products or [], ensure_ascii=False)


async def reject_registrations(*, db: Database, principal: Principal, fair_id: str | None,
                               registration_ids: list[str], reason: str) -> list[Registration]:
    """Reject one or several registrations of a fair, for a reason; all or nothing."""
    async with db.unit_of_work() as uow:
        session = uow.session
        if fair_id is None:  # one registration, named in the path
            fair, registration = await _locked(session, principal, registration_ids[0])
            if not owns_fair(principal, fair):
                raise registration_not_found(registration_ids[0])
            registrations = [registration]
        else:
            fair = await fair_of_centre(session, fair_id, principal, lock=True)
            registrations = await locked_registrations_of(session, fair, registration_ids)
        fair_rules.check_fair_deciding(FairStatus(fair.status))
        for index, registration in enumerate(registrations):
            try:
                registration_rules.check_can_reject(RegistrationStatus(registration.status))
            except Rejected as exc:
                exc.field = f"registration_ids.{index}" if fair_id else None
                raise
        for registration in registrations:
            _reject(uow, fair, registration, Actor.of(principal), reason)
    return registrations


def _reject(uow: UnitOfWork, fair: Fair, registration: Registration, actor: Actor, reason: str) -> None:
    before = registration.status
    registration.status = RegistrationStatus.REJECTED
    registration.decision_reason = reason
    registration.decided_at = registration.updated_at = utcnow()
    uow.session.add(registration)
    uow.emit(ev.RegistrationRejected(fair_id=fair.id, registration_id=registration.id,
                                     exhibitor_id=registration.exhibitor_id, reason=reason))
    audit.record(uow.session, actor, "registration.rejected", entity="registration", entity_id=registration.id,
                 fair_id=fair.id, changes={"status": [before, registration.status]}, reason=reason)


async def cancel_registration(*, db: Database, principal: Principal, registration_id: str, note: str | None = None,
                              now: datetime | None = None) -> Registration:
    """Its exhibitor (until the fair's cancellation deadline) or the fair's organizer ends a registration;
    booths it held go to the best waitlisted registrations."""
    now = now or utcnow()
    async with db.unit_of_work() as uow:
        fair, registration = await _locked(uow.session, principal, registration_id)
        by_exhibitor = principal.role is Role.EXHIBITOR
        fair_rules.check_fair_deciding(FairStatus(fair.status))
        registration_rules.check_can_cancel(RegistrationStatus(registration.status), by_exhibitor=by_exhibitor, now=now,
                                deadline=fair.cancellation_deadline)
        actor = Actor.of(principal)
        held = await cancel(uow, fair, registration, reason="exhibitor" if by_exhibitor else "organizer",
                            actor=actor, note=note)
        if held:
            await promote_waitlisted(uow, fair, actor, cause=(
                f"hồ sơ {registration.id} bị hủy, trả {registration.booths_requested} gian / registration "
                f"{registration.id} cancelled ({registration.cancel_reason}), {registration.booths_requested} "
                "booths freed"))
    return registration
