"""Fair use cases: create and change a fair, move it along its lifecycle, find fairs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.domain import fairs as fair_rules
from services.registration.domain import registrations as registration_rules
from services.registration.domain.fairs import FairStatus
from services.registration.models import Fair, Registration
from services.registration.schemas import FairCreate, FairUpdate
from services.registration.service import audit
from services.registration.service.approvals import cancel, promote_waitlisted
from services.registration.service.common import (
    Actor,
    approved_booths,
    centre_of,
    fair_info,
    fair_not_found,
    fair_of_centre,
    granted_booths,
    owns_fair,
)
from services.registration.service.fair_fields import apply_fields, rescore_live, snapshot
from shared.contracts import registration as ev
from shared.db import Database, utcnow
from shared.errors import Invalid
from shared.principal import Principal, Role
from shared.text import fold


def _today(now: datetime | None) -> date:
    """The date in Vietnam, which the fair's days are in."""
    return (now or utcnow()).astimezone(fair_rules.VIETNAM).date()


async def create_fair(*, db: Database, principal: Principal, data: FairCreate, now: datetime | None = None,
                      max_fair_days: int = fair_rules.DEFAULT_MAX_FAIR_DAYS) -> Fair:
    """Create a draft fair for the organizer's centre (its dates and amounts checked as of `now`)."""
    fair = Fair(centre_id=centre_of(principal), name=data.name, kind=data.kind, province_code=data.province_code,
                venue=data.venue, starts_on=data.starts_on, ends_on=data.ends_on,
                registration_opens_at=data.registration_opens_at,
                registration_closes_at=data.registration_closes_at,
                cancellation_deadline=fair_rules.default_cancellation_deadline(data.starts_on),
                capacity_booths=data.capacity_booths, booth_price_vnd=data.booth_price_vnd,
                is_free=data.is_free, max_booths_per_exhibitor=data.max_booths_per_exhibitor,
                seller_name=data.seller.name,
                seller_tax_code=data.seller.tax_code, seller_address=data.seller.address)
    apply_fields(fair, data, creating=True, today=_today(now), max_days=max_fair_days)
    async with db.transaction() as session:
        session.add(fair)
        await session.flush()
        audit.record(session, Actor.of(principal), "fair.created", entity="fair", entity_id=fair.id, fair_id=fair.id,
                     changes=snapshot(fair))
    return fair


async def update_fair(*, db: Database, principal: Principal, fair_id: str, data: FairUpdate,
                      now: datetime | None = None, max_fair_days: int = fair_rules.DEFAULT_MAX_FAIR_DAYS) -> Fair:
    """Change a fair before it starts; a published fair announces its new state, a bigger one promotes."""
    actor = Actor.of(principal)
    async with db.unit_of_work() as uow:
        session = uow.session
        fair = await fair_of_centre(session, fair_id, principal, lock=True)
        fair_rules.check_fair_editable(FairStatus(fair.status))
        before = snapshot(fair)
        apply_fields(fair, data, creating=False, today=_today(now), max_days=max_fair_days)
        granted = await approved_booths(session, fair.id)
        if fair.capacity_booths < granted:
            raise Invalid(f"Đã duyệt {granted} gian, không thể giảm sức chứa xuống {fair.capacity_booths} / "
                          f"{granted} booths are already approved", field="capacity_booths",
                          code="capacity-below-approved")
        changes = audit.diff(before, snapshot(fair))
        if not changes:
            return fair
        fair.updated_at = utcnow()
        session.add(fair)
        audit.record(session, actor, "fair.updated", entity="fair", entity_id=fair.id, fair_id=fair.id,
                     changes=changes)
        rescoring = sorted({"priority_policy", "registration_opens_at", "registration_closes_at"} & changes.keys())
        if rescoring:
            await rescore_live(session, fair, actor, changed=rescoring)
        if fair.status != FairStatus.DRAFT:
            uow.emit(ev.FairUpdated(**fair_info(fair)))
        if "capacity_booths" in changes:  # more booths; a smaller capacity never frees any
            old, new = changes["capacity_booths"]
            await promote_waitlisted(uow, fair, actor, cause=f"sức chứa tăng từ {old} lên {new} gian / "
                                                                 f"capacity raised from {old} to {new} booths")
    return fair


async def _move(session: AsyncSession, fair: Fair, target: FairStatus, actor: Actor,
                reason: str | None = None) -> str:
    fair_rules.check_fair_transition(FairStatus(fair.status), target)
    before = fair.status
    fair.status = target
    fair.updated_at = utcnow()
    session.add(fair)
    audit.record(session, actor, f"fair.{target}", entity="fair", entity_id=fair.id, fair_id=fair.id,
                 changes={"status": [before, target.value]}, reason=reason)
    return before


async def transition_fair(*, db: Database, principal: Principal, fair_id: str, target: FairStatus) -> Fair:
    """Publish, close, reopen, start or finish a fair, announcing the move."""
    if target is FairStatus.CANCELLED:
        raise ValueError("a cancellation cancels registrations too: use cancel_fair")
    async with db.unit_of_work() as uow:
        fair = await fair_of_centre(uow.session, fair_id, principal, lock=True)
        before = await _move(uow.session, fair, target, Actor.of(principal))
        if before == FairStatus.DRAFT:
            uow.emit(ev.FairPublished(**fair_info(fair)))
        elif target is FairStatus.CLOSED:
            uow.emit(ev.FairClosed(fair_id=fair.id, centre_id=fair.centre_id, closed_at=fair.updated_at))
        else:  # closed → open, closed → running, running → finished: no event of their own
            uow.emit(ev.FairUpdated(**fair_info(fair)))
    return fair


async def cancel_fair(*, db: Database, principal: Principal, fair_id: str, reason: str) -> Fair:
    """Cancel a fair: announce it, then cancel each of its live registrations (reason fair_cancelled)."""
    actor = Actor.of(principal)
    async with db.unit_of_work() as uow:
        session = uow.session
        fair = await fair_of_centre(session, fair_id, principal, lock=True)
        before = await _move(session, fair, FairStatus.CANCELLED, actor, reason)
        fair.cancel_reason = reason
        if before == FairStatus.DRAFT:
            return fair  # nobody outside this service knew the draft: nothing to announce
        uow.emit(ev.FairCancelled(fair_id=fair.id, centre_id=fair.centre_id, reason=reason))
        live = await session.exec(select(Registration).where(
            Registration.fair_id == fair.id, col(Registration.status).in_(registration_rules.LIVE_REGISTRATION_STATES))
            .order_by(col(Registration.submitted_at)).with_for_update())
        for registration in live.all():
            await cancel(uow, fair, registration, reason="fair_cancelled", actor=actor, note=reason)
    return fair


async def close_due_fairs(*, db: Database, now: datetime | None = None) -> list[str]:
    """Close the open fairs whose registration window has ended (the sweep behind the scenes)."""
    now = now or utcnow()
    async with db.sessions() as session:
        due = list((await session.exec(select(Fair.id).where(
            Fair.status == FairStatus.OPEN, col(Fair.registration_closes_at) <= now))).all())
    closed = []
    for fair_id in due:
        async with db.unit_of_work() as uow:
            session = uow.session
            fair = await session.get(Fair, fair_id, with_for_update=True, populate_existing=True)
            if fair is None or fair.status != FairStatus.OPEN or fair.registration_closes_at > now:
                continue
            await _move(session, fair, FairStatus.CLOSED, Actor("system", "window-closer"),
                        "hết thời hạn đăng ký / the registration window ended")
            uow.emit(ev.FairClosed(fair_id=fair.id, centre_id=fair.centre_id, closed_at=now))
            closed.append(fair_id)
    return closed


def _listed(principal: Principal | None) -> Any:
    """Which fairs a list shows: an organizer its own centre's, whatever their status (a token without a centre
    owns none); admins all; everyone else the published ones. Reading one published fair by id stays public."""
    if principal is not None and principal.is_admin():
        return True
    if principal is not None and principal.role is Role.ORGANIZER:
        return Fair.centre_id == (principal.centre_id or "")
    return Fair.status != FairStatus.DRAFT


def like_words(column: Any, query: str) -> list[Any]:
    """One LIKE per folded word of the query, wildcards in the query taken literally."""
    words = fold(query).split()
    escaped = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words]
    return [column.like(f"%{w}%", escape="\\") for w in escaped]


async def list_fairs(*, db: Database, principal: Principal | None = None, q: str | None = None,
                     status: FairStatus | None = None, province_code: str | None = None, kind: str | None = None,
                     mine: bool = False, limit: int = 100, offset: int = 0) -> list[tuple[Fair, int]]:
    """Fairs the caller may list, soonest first, with the booths already approved."""
    async with db.sessions() as session:
        query = select(Fair, granted_booths()).where(_listed(principal))
        if q:
            query = query.where(*like_words(col(Fair.search_text), q))
        for column, value in ((Fair.status, status), (Fair.province_code, province_code), (Fair.kind, kind)):
            if value:
                query = query.where(column == value)
        if mine:  # only an organizer (or admin) has a centre of its own: anyone else, or no centre, owns no fair
            owner = principal is not None and (principal.is_admin() or principal.role is Role.ORGANIZER)
            query = query.where(Fair.centre_id == ((owner and principal and principal.centre_id) or ""))
        query = query.order_by(col(Fair.starts_on), col(Fair.id)).offset(offset).limit(limit)
        return [(fair, int(granted)) for fair, granted in (await session.exec(query)).all()]


async def get_fair(*, db: Database, fair_id: str, principal: Principal | None = None) -> tuple[Fair, int]:
    """A fair: published ones are public, drafts only for their centre."""
    async with db.sessions() as session:
        row = (await session.exec(select(Fair, granted_booths()).where(Fair.id == fair_id))).first()
    fair, granted = row if row is not None else (None, 0)
    if fair is None or (fair.status == FairStatus.DRAFT and not (principal and owns_fair(principal, fair))):
        raise fair_not_found(fair_id)
    return fair, int(granted)

