"""Confirming a proposal: its lines become sessions, and every change is announced (one transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import structlog
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.markets.domain import sessions as rules
from services.markets.domain.proposals import PLACING, PROPOSAL_TRANSITIONS, LineAction, ProposalStatus
from services.markets.domain.sessions import SESSION_TRANSITIONS, ChangeKind, DateSpan, SessionStatus
from services.markets.models import (
    MarketSession,
    Programme,
    Proposal,
    ProposalItem,
    SessionChange,
    SessionSupplier,
    Supplier,
)
from services.markets.service.inputs import fingerprint, load_inputs
from services.markets.service.programmes import booked_at, lock_commune, own_programme
from services.markets.service.proposals import check_draft, items_of, own_proposal, today_in_vietnam
from shared.contracts import markets as ev
from shared.db import Database, utcnow
from shared.errors import Rejected
from shared.principal import Principal
from shared.uow import UnitOfWork

log = structlog.get_logger()


@dataclass
class Confirmed:
    """What confirming changed."""

    proposal: Proposal
    scheduled: list[MarketSession] = field(default_factory=list)
    rescheduled: list[MarketSession] = field(default_factory=list)
    cancelled: list[MarketSession] = field(default_factory=list)


async def _check_commune_free(session: AsyncSession, item: ProposalItem, *, moving: str | None) -> None:
    """No other live session (of any programme) holds the commune on those days."""
    await lock_commune(session, item.commune_code)
    booked = [b for b in await booked_at(session, item.commune_code) if b.session_id != moving]
    rules.check_no_overlap(DateSpan(item.starts_on, item.ends_on), commune_code=item.commune_code, booked=booked)


async def _enrol(uow: UnitOfWork, programme: Programme, market_session: MarketSession,
                 supplier_ids: list[str], suppliers: dict[str, Supplier]) -> None:
    """The session's suppliers, replacing any it had, each announced."""
    session = uow.session
    await session.exec(delete(SessionSupplier).where(col(SessionSupplier.session_id) == market_session.id))
    for supplier_id in supplier_ids:
        supplier = suppliers.get(supplier_id)
        if supplier is None:  # dropped from the programme since the draft: the session goes without it
            continue
        session.add(SessionSupplier(session_id=market_session.id, supplier_id=supplier_id))
        uow.emit(ev.SupplierEnrolled(programme_id=programme.id, supplier_id=supplier_id,
                                     supplier_name=supplier.name, session_id=market_session.id))


async def _schedule(uow: UnitOfWork, programme: Programme, item: ProposalItem, by: str) -> MarketSession:
    session = uow.session
    await _check_commune_free(session, item, moving=None)
    market_session = MarketSession(programme_id=programme.id, province_code=programme.province_code,
                                   commune_code=item.commune_code, site_name=item.site_name,
                                   starts_on=item.starts_on, ends_on=item.ends_on, booth_quota=item.booth_quota)
    session.add(market_session)
    await session.flush()
    session.add(SessionChange(session_id=market_session.id, kind=ChangeKind.SCHEDULED, changed_by=by,
                              detail={"starts_on": str(item.starts_on), "proposal_item": item.id}))
    uow.emit(ev.SessionScheduled(
        programme_id=programme.id, session_id=market_session.id, province_code=programme.province_code,
        commune_code=item.commune_code, site_name=item.site_name, starts_on=item.starts_on, ends_on=item.ends_on,
        booth_quota=item.booth_quota))
    return market_session


async def _move(uow: UnitOfWork, programme: Programme, item: ProposalItem, market_session: MarketSession,
                by: str) -> MarketSession:
    session = uow.session
    await _check_commune_free(session, item, moving=market_session.id)
    before = {"commune_code": market_session.commune_code, "starts_on": str(market_session.starts_on)}
    market_session.commune_code, market_session.site_name = item.commune_code, item.site_name
    market_session.starts_on, market_session.ends_on = item.starts_on, item.ends_on
    market_session.booth_quota = item.booth_quota
    session.add(market_session)
    session.add(SessionChange(session_id=market_session.id, kind=ChangeKind.RESCHEDULED, changed_by=by,
                              detail={"from": before, "to": {"commune_code": item.commune_code,
                                                             "starts_on": str(item.starts_on)}, "note": item.note}))
    uow.emit(ev.SessionRescheduled(
        programme_id=programme.id, session_id=market_session.id, province_code=programme.province_code,
        commune_code=item.commune_code, starts_on=item.starts_on, ends_on=item.ends_on, reason=item.note))
    return market_session


def _cancel(uow: UnitOfWork, programme: Programme, item: ProposalItem, market_session: MarketSession,
            by: str) -> MarketSession:
    session = uow.session
    reason = f"Không còn chỗ trong lịch mới / no place in the re-plan ({item.note})"[:500]
    SESSION_TRANSITIONS.check(market_session.status, SessionStatus.CANCELLED)
    market_session.status, market_session.cancel_reason = SessionStatus.CANCELLED, reason
    market_session.cancelled_at = utcnow()
    session.add(market_session)
    session.add(SessionChange(session_id=market_session.id, kind=ChangeKind.CANCELLED, changed_by=by,
                              detail={"reason": reason}))
    uow.emit(ev.SessionCancelled(programme_id=programme.id, session_id=market_session.id, reason=reason))
    return market_session


def _check_fresh(proposal: Proposal, live: list[MarketSession], items: list[ProposalItem], today: date) -> None:
    if fingerprint(live) != proposal.basis:
        raise Rejected("Lịch đã thay đổi từ khi lập phương án; hãy lập lại / the confirmed sessions changed since "
                       "this draft was made: edit it (PATCH) or ask for a new one", code="stale-proposal")
    if any(i.action in PLACING and i.starts_on <= today for i in items):
        raise Rejected("Phương án có phiên đã qua ngày bắt đầu / a session of this draft would start today or "
                       "earlier: ask for a new one", code="proposal-dates-passed")


async def confirm_proposal(*, db: Database, principal: Principal, proposal_id: str,
                           today: date | None = None) -> Confirmed:
    """Turn a draft into sessions: schedule the new, move and cancel the confirmed ones it says to."""
    async with db.unit_of_work() as uow:
        done = await confirm(uow, principal=principal, proposal_id=proposal_id, today=today)
    log.info("proposal.confirmed", proposal_id=proposal_id, scheduled=len(done.scheduled),
             rescheduled=len(done.rescheduled), cancelled=len(done.cancelled))
    return done


async def confirm(uow: UnitOfWork, *, principal: Principal, proposal_id: str, today: date | None = None) -> Confirmed:
    """Confirm a draft in the caller's unit of work (one transaction; every change staged as an event)."""
    session = uow.session
    proposal = await own_proposal(session, proposal_id, principal)
    check_draft(proposal)
    programme = await own_programme(session, proposal.programme_id, principal)
    inputs = await load_inputs(session, programme)
    items = await items_of(session, proposal_id)
    _check_fresh(proposal, inputs.live, items, today_in_vietnam(today))
    live = {s.id: s for s in inputs.live}
    suppliers = {s.id: s for s in inputs.suppliers}
    done = Confirmed(proposal)
    for item in items:
        if item.action == LineAction.NEW:
            placed = await _schedule(uow, programme, item, principal.subject)
            done.scheduled.append(placed)
        elif item.action == LineAction.MOVE:
            placed = await _move(uow, programme, item, live[item.session_id or ""], principal.subject)
            done.rescheduled.append(placed)
        else:
            if item.action == LineAction.CANCEL:
                done.cancelled.append(_cancel(uow, programme, item, live[item.session_id or ""],
                                              principal.subject))
            continue
        await _enrol(uow, programme, placed, item.suppliers, suppliers)
    PROPOSAL_TRANSITIONS.check(proposal.status, ProposalStatus.CONFIRMED)
    proposal.status, proposal.confirmed_at, proposal.updated_at = ProposalStatus.CONFIRMED, utcnow(), utcnow()
    session.add(proposal)
    others = await session.exec(select(Proposal).where(
        Proposal.programme_id == programme.id, Proposal.status == ProposalStatus.DRAFT, Proposal.id != proposal.id))
    for other in others.all():
        PROPOSAL_TRANSITIONS.check(other.status, ProposalStatus.SUPERSEDED)
        other.status, other.updated_at = ProposalStatus.SUPERSEDED, utcnow()
        session.add(other)
    return done
