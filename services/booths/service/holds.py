"""Use cases of exhibitors picking their own booths (fairs in `exhibitor_picks` mode): hold, confirm, drop,
and the sweeper that releases holds nobody confirmed in time.

A pick passes three gates: the input is checked (4xx naming what is wrong); Redis SET NX per booth turns
away everyone but the first picker of each booth in microseconds (409); the database, under the fair's
lock and its unique index on live claims, has the final word (409 too). Whatever fails after Redis
agreed gives the Redis keys back; keys that could not be given back (Redis stalled, or a reservation cut
short that the server ran when it woke) are dropped by the sweeper once no live hold owns them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

import structlog
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.booths.adapters import fastpath
from services.booths.adapters.live import soon
from services.booths.domain.rules import (
    CLAIM_TRANSITIONS,
    BoothStatus,
    ClaimState,
    RequestStatus,
    check_selection,
    corner_count,
    release_reason,
    span_label,
)
from services.booths.domain.zones import area_for
from services.booths.models import Assignment, BoothFair, BoothRequest
from services.booths.service import store
from services.booths.service.assignments import actor_of, approved_request, select_booths
from services.booths.service.store import Context
from shared.contracts.booths import BoothsAssigned, BoothsHeld
from shared.errors import NotFound, Rejected
from shared.principal import Principal
from shared.tasks import raise_if_cancelling
from shared.uow import UnitOfWork, new_id

log = structlog.get_logger()
SWEEPER = "system:hold-expiry"
# A Redis key younger than this may belong to a pick still on its way to the database: the sweeper leaves it.
ORPHAN_GRACE_S = 10.0


@dataclass(frozen=True)
class Hold:
    """Booths held for a registration until ``expires_at``."""

    hold_id: str
    registration_id: str
    exhibitor_id: str
    booth_codes: tuple[str, ...]
    expires_at: datetime


def taken_problem(code: str) -> Rejected:
    """The 409 of a booth someone else holds or has."""
    return Rejected(f"Gian {code} vừa có doanh nghiệp khác giữ chỗ hoặc đã được xếp / booth {code} is already "
                    "held or assigned", code="booth-taken", field="booth_codes")


def _check_fair(fair: BoothFair) -> None:
    if fair.cancelled:
        raise Rejected("Hội chợ đã bị hủy / the fair was cancelled", code="fair-cancelled")
    if fair.allocation_mode != "exhibitor_picks":
        raise Rejected("Hội chợ này không cho doanh nghiệp tự chọn gian / this fair does not let exhibitors pick "
                       "booths", code="picks-not-allowed")


async def _own_request(session: AsyncSession, fair: BoothFair, principal: Principal,
                       registration_id: str) -> BoothRequest:
    request = await approved_request(session, fair.id, registration_id)
    if not (store.organizes(principal, fair) or store.is_exhibitor(principal, request.exhibitor_id)):
        raise NotFound(f"Không tìm thấy hồ sơ {registration_id} / registration {registration_id} not found",
                       code="not-found", field="registration_id")
    return request


async def _validate(session: AsyncSession, fair: BoothFair, principal: Principal, registration_id: str,
                    codes: Sequence[str]) -> tuple[BoothRequest, tuple[str, ...]]:
    _check_fair(fair)
    request = await _own_request(session, fair, principal, registration_id)
    if await store.claims_of(session, registration_id):
        raise Rejected("Hồ sơ đã giữ chỗ hoặc đã có gian / the registration already holds or has booths",
                       code="already-holding", field="registration_id")
    block, _ = await select_booths(session, request, codes)
    return request, tuple(b.code for b in block)


async def _precheck(ctx: Context, principal: Principal, fair_id: str, registration_id: str,
                    booth_codes: Sequence[str]) -> tuple[str, ...]:
    """Cheap checks before Redis, so bad input gets its 4xx rather than a 409: one query, the plan from memory."""
    async with ctx.db.sessions() as session:
        layout = await ctx.layouts.get(session, fair_id)
        _check_fair(layout.fair)
        request = await _own_request(session, layout.fair, principal, registration_id)
    block = check_selection(plan=layout.plan, codes=booth_codes, request=store.to_request(request),
                            area=area_for(layout.zones, sector=request.sector, province_code=request.province_code),
                            blocked=set(layout.blocked), taken={})
    return tuple(booth.code for booth in block)


async def hold_booths(*, ctx: Context, principal: Principal, fair_id: str, registration_id: str,
                      booth_codes: Sequence[str]) -> Hold:
    """Hold the picked booths for the exhibitor's approved registration until the hold expires."""
    codes = await _precheck(ctx, principal, fair_id, registration_id, booth_codes)
    hold_id = new_id()
    first_taken = await fastpath.reserve(ctx.redis, fair_id, codes, hold_id, ctx.settings.hold_ttl_s)
    if first_taken is not None:
        raise taken_problem(first_taken)
    try:
        return await _save_hold(ctx, principal, fair_id, registration_id, codes, hold_id)
    except IntegrityError as exc:
        await fastpath.unreserve(ctx.redis, fair_id, codes, hold_id)
        raise taken_problem(codes[0]) from exc
    except BaseException:
        await fastpath.unreserve(ctx.redis, fair_id, codes, hold_id)
        raise


async def _save_hold(ctx: Context, principal: Principal, fair_id: str, registration_id: str,
                     codes: Sequence[str], hold_id: str) -> Hold:
    async with ctx.unit_of_work() as uow:
        session = uow.session
        fair = await store.lock_fair(session, fair_id)
        request, codes = await _validate(session, fair, principal, registration_id, codes)
        now = ctx.clock()
        expires_at = now + timedelta(seconds=ctx.settings.hold_ttl_s)
        session.add_all([Assignment(assignment_id=hold_id, fair_id=fair_id, booth_code=code,
                                    registration_id=registration_id, exhibitor_id=request.exhibitor_id,
                                    state=ClaimState.HELD, assigned_at=now, expires_at=expires_at,
                                    reason="doanh nghiệp giữ chỗ / held by the exhibitor") for code in codes])
        uow.emit(BoothsHeld(fair_id=fair_id, registration_id=registration_id,
                                      exhibitor_id=request.exhibitor_id, booth_codes=list(codes),
                                      expires_at=expires_at, hold_id=hold_id))
        store.audit(session, fair_id=fair_id, actor=actor_of(principal), action="hold",
                    registration_id=registration_id, codes=codes, detail=f"đến / until {expires_at.isoformat()}")
        ctx.feed.stage(uow, fair_id, dict.fromkeys(codes, BoothStatus.HELD), "hold")
    log.info("booths.held", fair_id=fair_id, registration_id=registration_id, hold_id=hold_id, booth_codes=codes)
    return Hold(hold_id, registration_id, request.exhibitor_id, tuple(codes), expires_at)


async def _hold_rows(session: AsyncSession, fair: BoothFair, principal: Principal, hold_id: str) -> list[Assignment]:
    rows = (await session.exec(select(Assignment).where(Assignment.fair_id == fair.id,
                                                        Assignment.assignment_id == hold_id))).all()
    if not rows or not (store.organizes(principal, fair) or store.is_exhibitor(principal, rows[0].exhibitor_id)):
        raise NotFound(f"Không tìm thấy lượt giữ chỗ {hold_id} / hold {hold_id} not found", code="not-found")
    live = [row for row in rows if row.released_at is None and row.state == ClaimState.HELD]
    if not live:
        # Expired (released by the sweeper or by an earlier call): `hold-expired`, as a confirm that finds it
        # expired before the sweeper answers; given up or already confirmed: `hold-over`.
        expired = rows[0].release_reason == release_reason("hold_expired")
        raise Rejected(f"Lượt giữ chỗ đã kết thúc: {rows[0].release_reason or 'đã xác nhận / confirmed'} / "
                       "the hold is over", code="hold-expired" if expired else "hold-over")
    return sorted(live, key=lambda row: row.booth_code)


async def confirm_hold(*, ctx: Context, principal: Principal, fair_id: str, hold_id: str) -> str:
    """Turn a live hold into an assignment (`booths.assigned`, operation `pick`); 409 once it expired."""
    expired = False
    async with ctx.unit_of_work() as uow:
        session = uow.session
        fair = await store.lock_fair(session, fair_id)
        rows = await _hold_rows(session, fair, principal, hold_id)
        request = await _own_request(session, fair, principal, rows[0].registration_id)
        now = ctx.clock()
        if any(row.expires_at is not None and row.expires_at <= now for row in rows):
            expired = True  # the sweeper has not come by yet: release it here, and refuse after the commit
            _release_hold(uow, ctx, rows, request, cause="hold_expired", actor=SWEEPER)
        else:
            plan = await store.plan_of(session, fair_id)
            corners = corner_count([store.to_plan_booth(plan[row.booth_code]) for row in rows])
            _confirm(uow, ctx, fair, rows, request, now=now, actor=actor_of(principal), corners=corners)
    if expired:
        raise Rejected("Lượt giữ chỗ đã hết hạn, gian đã được trả / the hold expired and its booths were released",
                       code="hold-expired")
    return hold_id


def _confirm(uow: UnitOfWork, ctx: Context, fair: BoothFair, rows: list[Assignment], request: BoothRequest, *,
             now: datetime, actor: str, corners: int) -> None:
    session = uow.session
    codes = [row.booth_code for row in rows]
    reason = f"doanh nghiệp tự chọn {span_label(codes)} / picked by the exhibitor: {span_label(codes)}"
    for row in rows:
        CLAIM_TRANSITIONS.check(row.state, ClaimState.ASSIGNED)
        row.state, row.assigned_at, row.expires_at, row.reason = ClaimState.ASSIGNED, now, None, reason
        session.add(row)
    store.mark(request, status=RequestStatus.ASSIGNED, reason=reason, at=now)
    session.add(request)
    uow.emit(BoothsAssigned(fair_id=fair.id, registration_id=request.registration_id,
                                      exhibitor_id=request.exhibitor_id, booth_codes=codes,
                                      assignment_id=rows[0].assignment_id, corner_count=corners, reason=reason,
                                      operation="pick"))
    store.audit(session, fair_id=fair.id, actor=actor, action="pick", registration_id=request.registration_id,
                codes=codes, detail=reason)
    ctx.feed.stage(uow, fair.id, dict.fromkeys(codes, BoothStatus.ASSIGNED), "pick")
    hold_id = rows[0].assignment_id
    uow.after_commit(soon(lambda: fastpath.unreserve(ctx.redis, fair.id, codes, hold_id)))


def _release_hold(uow: UnitOfWork, ctx: Context, rows: list[Assignment], request: BoothRequest | None, *,
                  cause: str, actor: str) -> list[str]:
    codes = store.release(uow, ctx, rows, cause=cause, reason=release_reason(cause), actor=actor)
    if request is not None and request.status == RequestStatus.WAITING:
        store.mark(request, status=RequestStatus.WAITING, reason=release_reason(cause))
        uow.session.add(request)
    return codes


async def drop_hold(*, ctx: Context, principal: Principal, fair_id: str, hold_id: str) -> list[str]:
    """The exhibitor (or an organizer) gives a hold up before it expires."""
    async with ctx.unit_of_work() as uow:
        session = uow.session
        fair = await store.lock_fair(session, fair_id)
        rows = await _hold_rows(session, fair, principal, hold_id)
        request = await session.get(BoothRequest, rows[0].registration_id)
        return _release_hold(uow, ctx, rows, request, cause="hold_cancelled", actor=actor_of(principal))


async def release_expired(ctx: Context, *, now: datetime | None = None, limit: int = 200) -> int:
    """Release every hold past its expiry (`booths.released`, cause `hold_expired`); how many holds."""
    now = now or ctx.clock()
    async with ctx.db.sessions() as session:
        due = (await session.exec(select(Assignment.fair_id, Assignment.assignment_id).where(
            Assignment.state == ClaimState.HELD, col(Assignment.released_at).is_(None),
            col(Assignment.expires_at) <= now).order_by(col(Assignment.expires_at)).limit(limit))).all()
    holds = sorted({(fair_id, hold_id) for fair_id, hold_id in due})
    released = 0
    for fair_id, group in groupby(holds, key=lambda pair: pair[0]):
        async with ctx.unit_of_work() as uow:
            session = uow.session
            await store.lock_fair(session, fair_id)
            for _, hold_id in group:
                # Re-read under the lock: a confirm or another sweeper may have come first.
                rows = (await session.exec(select(Assignment).where(
                    Assignment.assignment_id == hold_id, Assignment.state == ClaimState.HELD,
                    col(Assignment.released_at).is_(None), col(Assignment.expires_at) <= now))).all()
                if rows:
                    request = await session.get(BoothRequest, rows[0].registration_id)
                    _release_hold(uow, ctx, list(rows), request, cause="hold_expired", actor=SWEEPER)
                    released += 1
    if released:
        log.info("booths.holds_expired", count=released)
    return released


async def drop_orphan_reservations(ctx: Context, *, grace_s: float | None = None) -> int:
    """Drop the Redis keys no live hold in the database owns (older than `grace_s`, ORPHAN_GRACE_S by default);
    how many. Left alone, each would keep a booth the map shows free unpickable for the rest of the hold time."""
    grace_s = ORPHAN_GRACE_S if grace_s is None else grace_s
    found = [r for r in await fastpath.reservations(ctx.redis, ctx.settings.hold_ttl_s) if r.age_s >= grace_s]
    if not found:
        return 0
    async with ctx.db.sessions() as session:
        live = set((await session.exec(select(Assignment.assignment_id, Assignment.booth_code).where(
            col(Assignment.assignment_id).in_({r.hold_id for r in found}), Assignment.state == ClaimState.HELD,
            col(Assignment.released_at).is_(None)))).all())
    orphans = sorted((r.fair_id, r.hold_id, r.code) for r in found if (r.hold_id, r.code) not in live)
    for (fair_id, hold_id), group in groupby(orphans, key=lambda orphan: orphan[:2]):
        codes = [code for _, _, code in group]
        await fastpath.unreserve(ctx.redis, fair_id, codes, hold_id)
        log.warning("booths.orphan_reservation_dropped", fair_id=fair_id, hold_id=hold_id, booth_codes=codes)
    return len(orphans)


async def sweep_forever(ctx: Context) -> None:
    """Release expired holds and drop orphaned Redis keys every few seconds, for the life of the service."""
    while True:
        try:
            await release_expired(ctx)
            await drop_orphan_reservations(ctx)
        except (SQLAlchemyError, OSError) as exc:  # a database hiccup: the next round retries
            log.warning("booths.hold_sweep_failed", error=str(exc))
        raise_if_cancelling()  # a cancellation swallowed in a round above still stops the loop
        await asyncio.sleep(ctx.settings.hold_sweep_interval_s)


async def set_preferences(*, ctx: Context, principal: Principal, fair_id: str, registration_id: str,
                          wants_corner: bool) -> BoothRequest:
    """The exhibitor's wish for a corner booth (before approval too), used by every solver."""
    async with ctx.unit_of_work() as uow:
        session = uow.session
        fair = await session.get(BoothFair, fair_id)
        request = await session.get(BoothRequest, registration_id)
        visible = fair is not None and request is not None and request.fair_id == fair_id and (
            store.organizes(principal, fair) or store.is_exhibitor(principal, request.exhibitor_id))
        if not visible or request is None:
            raise NotFound(f"Không tìm thấy hồ sơ {registration_id} / registration {registration_id} not found",
                           code="not-found")
        if request.status == RequestStatus.CLOSED:
            raise Rejected("Hồ sơ đã đóng / the registration is closed", code="closed")
        request.wants_corner = wants_corner
        session.add(request)
        store.audit(session, fair_id=fair_id, actor=actor_of(principal), action="preferences",
                    registration_id=registration_id, detail=f"wants_corner={wants_corner}")
        return request
