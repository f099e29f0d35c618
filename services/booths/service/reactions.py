"""Use cases of the booths service that react to events (registration's and billing's).

Each runs inside the consumer's transaction (with the inbox record), so the state change and the
events it stages in the outbox commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from itertools import groupby

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from services.booths.domain import floorplan
from services.booths.domain.allocation.explain import assigned_reason, unmet_alone_reason
from services.booths.domain.allocation.greedy import best_fit
from services.booths.domain.rules import APPROVAL_SOLVER, ClaimState, RequestStatus, corner_count, release_reason
from services.booths.domain.zones import area_for
from services.booths.models import BoothFair, BoothRequest, StandardBooth
from services.booths.service import store, vacancy
from services.booths.service.store import Claim, Context
from shared import prefetch as prefetched
from shared.contracts import billing as bill
from shared.contracts import registration as reg
from shared.contracts.base import Event
from shared.contracts.booths import FloorplanPublished
from shared.uow import UnitOfWork

log = structlog.get_logger()

WAITING_FOR = {
    "organizer": "chờ ban tổ chức xếp gian / waiting for the organizer to assign booths",
    "exhibitor_picks": "chờ doanh nghiệp chọn gian trên sơ đồ / waiting for the exhibitor to pick booths",
}


def _actor(event: Event) -> str:
    return f"event:{event.event_name}"


async def build_floorplan(*, uow: UnitOfWork, event: reg.FairPublished) -> BoothFair | None:
    """Lay out the published fair's grid of standard booths, once per fair, and announce it."""
    session = uow.session
    if await session.get(BoothFair, event.fair_id) is not None:
        # A fair is published once; a second `fair.published` (a replay, a republish) changes nothing.
        log.info("floorplan.already_built", fair_id=event.fair_id)
        return None
    fair = BoothFair(id=event.fair_id, centre_id=event.centre_id, name=event.name,
                     allocation_mode=event.allocation_mode, capacity_booths=event.capacity_booths,
                     booths_per_row=event.booths_per_row)
    grid = floorplan.build_grid(event.capacity_booths, event.booths_per_row)
    session.add(fair)
    await session.flush()
    session.add_all([StandardBooth(fair_id=fair.id, **asdict(booth)) for booth in grid])
    uow.emit(FloorplanPublished(fair_id=fair.id, booth_count=len(grid), booth_codes=[booth.code for booth in grid]))
    store.audit(session, fair_id=fair.id, actor=_actor(event), action="plan", codes=(),
                detail=f"lưới {len(grid)} gian, {event.booths_per_row} gian mỗi dãy / grid of {len(grid)} booths")
    log.info("floorplan.built", fair_id=fair.id, booth_count=len(grid))
    return fair


async def update_fair(*, uow: UnitOfWork, ctx: Context, event: reg.FairUpdated) -> None:
    """Keep the fair's name and allocation mode current (the plan itself is the organizer's to change)."""
    session = uow.session
    ctx.layouts.forget(event.fair_id)
    fair = await store.lock_fair(session, event.fair_id)
    fair.name, fair.allocation_mode, fair.capacity_booths = event.name, event.allocation_mode, event.capacity_booths
    session.add(fair)


async def cancel_fair(*, uow: UnitOfWork, ctx: Context, event: reg.FairCancelled) -> list[str]:
    """Stop picks and drop the fair's live holds; assignments go with each registration's cancellation."""
    session = uow.session
    ctx.layouts.forget(event.fair_id)
    fair = await store.lock_fair(session, event.fair_id)
    fair.cancelled = True
    session.add(fair)
    holds = sorted((row for row in await store.live_claims(session, fair.id) if row.state == ClaimState.HELD),
                   key=lambda row: row.assignment_id)
    released: list[str] = []
    for _, rows in groupby(holds, key=lambda row: row.assignment_id):
        released += store.release(uow, ctx, list(rows), cause="fair_cancelled",
                                  reason=release_reason("fair_cancelled"), actor=_actor(event))
    return released


async def record_submission(*, uow: UnitOfWork, event: reg.RegistrationSubmitted) -> BoothRequest:
    """Know the request early, so the exhibitor can state its wishes (a corner) before approval."""
    session = uow.session
    request = await prefetched.get(session, BoothRequest, event.registration_id)
    if request is None:
        request = BoothRequest(registration_id=event.registration_id, fair_id=event.fair_id,
                               exhibitor_id=event.exhibitor_id, booths_requested=event.booths_requested)
        prefetched.remember(session, request)
    _copy_request(request, event)
    session.add(request)
    return request


def _copy_request(request: BoothRequest, event: reg.RegistrationSubmitted | reg.RegistrationApproved) -> None:
    request.exhibitor_name = event.exhibitor.name[:300]
    request.province_code = event.exhibitor.province_code
    request.booths_requested, request.sector = event.booths_requested, event.sector[:200]
    request.priority_score = event.priority_score


async def approve(*, uow: UnitOfWork, ctx: Context, event: reg.RegistrationApproved) -> BoothRequest:
    """Record an approved request; in `automatic` mode give it booths at once (or say why it cannot)."""
    session = uow.session
    fair = await store.lock_fair(session, event.fair_id)
    request = await prefetched.get(session, BoothRequest, event.registration_id)
    if request is None:
        request = BoothRequest(registration_id=event.registration_id, fair_id=event.fair_id,
                               exhibitor_id=event.exhibitor_id, booths_requested=event.booths_requested)
        prefetched.remember(session, request)
    # What the transaction has pending (an earlier event of a batch: its claims, releases, audit entries) is
    # written before anything is read; the reads that follow are Core statements that do not autoflush, and none
    # of them reads this request, so its changes are written once, by the commit's flush.
    await session.flush()
    if request.status == RequestStatus.ASSIGNED or await store.has_live_claims(session, event.registration_id):
        log.info("booths.already_assigned", fair_id=event.fair_id, registration_id=event.registration_id)
        return request
    with session.no_autoflush:  # the zones' query, when the fair's vacancy is read afresh
        _copy_request(request, event)
        request.approved_at = event.approved_at
        if APPROVAL_SOLVER.get(fair.allocation_mode) is None:  # only `automatic` places on approval
            store.mark(request, status=RequestStatus.WAITING, reason=WAITING_FOR.get(fair.allocation_mode, ""))
            session.add(request)
            return request
        await _assign_now(uow, ctx, fair, request, actor=_actor(event))
    return request


async def _assign_now(uow: UnitOfWork, ctx: Context, fair: BoothFair, request: BoothRequest, *,
                      actor: str) -> None:
    """The heuristic on one request, against the booths free right now (its area's free stretches, never
    the whole fair's booths: see vacancy.py)."""
    session = uow.session
    room = await vacancy.of_fair(session, ctx.vacancies, fair.id, lambda: store.zones_of(session, fair.id))
    wanted = store.to_request(request)
    area = area_for(room.zones, sector=wanted.sector, province_code=wanted.province_code)
    stretches = await room.stretches(session, area)
    choice = best_fit([stretch.length for stretch in stretches],
                      lambda index, start: stretches[index].corner_within(start, wanted.booths), wanted)
    if choice is None:
        reason = unmet_alone_reason(wanted, area, free=vacancy.free_count(stretches))
        store.mark(request, status=RequestStatus.WAITING, reason=reason)
        session.add(request)
        await store.write_audit(session, fair_id=fair.id, actor=actor, action="unmet",
                                registration_id=request.registration_id, detail=reason)
        log.warning("booths.unmet", fair_id=fair.id, registration_id=request.registration_id,
                    booths_requested=request.booths_requested, reason=reason)
        return
    block = await room.take(session, area, *choice, wanted.booths)
    reason = assigned_reason(wanted, area, block, with_priority=False)
    codes = tuple(booth.code for booth in block)
    await store.assign(uow, ctx, request, Claim(booth_codes=codes, reason=reason, operation="automatic",
                                                actor=actor, corner_count=corner_count(block)))
    log.info("booths.assigned", fair_id=fair.id, registration_id=request.registration_id, booth_codes=codes)


async def close_request(*, uow: UnitOfWork, event: reg.RegistrationRejected) -> None:
    """A rejected registration will never need booths."""
    session = uow.session
    request = await prefetched.get(session, BoothRequest, event.registration_id)
    if request is not None:
        store.mark(request, status=RequestStatus.CLOSED, reason=event.reason)
        session.add(request)


async def release_booths(*, uow: UnitOfWork, ctx: Context, event: reg.RegistrationCancelled) -> list[str]:
    """Free the live booths (and hold) of a cancelled registration; nothing to free, nothing sent."""
    session = uow.session
    await store.lock_fair(session, event.fair_id)
    reason = release_reason(event.reason)
    request = await prefetched.get(session, BoothRequest, event.registration_id)
    if request is not None:
        store.mark(request, status=RequestStatus.CLOSED, reason=reason)
        session.add(request)
    rows = await store.claims_of(session, event.registration_id)
    codes = store.release(uow, ctx, rows, cause="cancelled", reason=reason, actor=_actor(event),
                          plan=await store.plan_of(session, event.fair_id) if rows else None)
    if not codes:
        log.info("booths.nothing_to_release", fair_id=event.fair_id, registration_id=event.registration_id)
    else:
        log.info("booths.released", fair_id=event.fair_id, registration_id=event.registration_id, booth_codes=codes)
    return codes


async def mark_paid(*, uow: UnitOfWork, event: bill.InvoicePaid) -> None:
    """A paid registration's name may now show on the public map."""
    session = uow.session
    request = await prefetched.get(session, BoothRequest, event.registration_id)
    if request is not None and not request.paid:
        request.paid = True
        session.add(request)


async def unmark_paid(*, uow: UnitOfWork, event: bill.PaymentReversed) -> None:
    """A reversed payment left the invoice owing: the name leaves the public map until it is paid again."""
    if event.invoice_paid:
        return
    session = uow.session
    request = await prefetched.get(session, BoothRequest, event.registration_id)
    if request is not None and request.paid:
        request.paid = False
        session.add(request)



async def prefetch(session: AsyncSession, events: Sequence[Event]) -> list[object]:
    """Before a batch: its fairs locked (in id order, as every reaction would lock its own), then the booth
    requests its reactions read, in one query each (shared/prefetch.py) — read after the locks, as one by one."""
    fairs = await store.lock_fairs(session, {f for event in events if (f := getattr(event, "fair_id", None))})
    registrations = {r for event in events if (r := getattr(event, "registration_id", None))}
    return [*fairs, *await prefetched.load(session, BoothRequest, registrations)]
