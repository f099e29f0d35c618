"""Use cases of organizers working the map by hand: assign chosen booths, move, swap two exhibitors,
release, block and unblock. One transaction each; each emits its event and lands in the audit log, and a
refused operation (unknown booth, a block that is not contiguous, a taken booth) changes nothing."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from services.booths.domain.floorplan import Booth
from services.booths.domain.rules import (
    BoothStatus,
    ClaimState,
    RequestStatus,
    check_selection,
    corner_count,
    release_reason,
    span_label,
)
from services.booths.domain.zones import area_for
from services.booths.models import Assignment, BoothRequest, StandardBooth
from services.booths.service import store, vacancy
from services.booths.service.store import Claim, Context
from shared.contracts.booths import BoothsBlocked, BoothsUnblocked
from shared.errors import Invalid, NotFound, Rejected
from shared.principal import Principal

log = structlog.get_logger()


def actor_of(principal: Principal) -> str:
    """Who did it, for the audit log."""
    return f"{principal.role.value}:{principal.subject}"


async def approved_request(session: AsyncSession, fair_id: str, registration_id: str) -> BoothRequest:
    """The fair's approved registration (waiting for or holding booths); 404 / 409 otherwise."""
    request = await session.get(BoothRequest, registration_id)
    if request is None or request.fair_id != fair_id:
        raise NotFound(f"Không tìm thấy hồ sơ {registration_id} của hội chợ này / no registration "
                       f"{registration_id} at this fair", code="not-found", field="registration_id")
    if request.status not in (RequestStatus.WAITING, RequestStatus.ASSIGNED):
        raise Rejected(f"Hồ sơ chưa được duyệt hoặc đã đóng ({request.status}) / the registration is not "
                       f"approved or is closed ({request.status})", code="not-approved", field="registration_id")
    return request


async def select_booths(session: AsyncSession, request: BoothRequest, codes: Sequence[str],
                        also_mine: Sequence[str] = ()) -> tuple[tuple[Booth, ...], dict[str, StandardBooth]]:
    """The chosen booths if they may go to ``request`` (booths of ``also_mine`` registrations count as free)."""
    plan = await store.plan_of(session, request.fair_id)
    mine = {request.registration_id, *also_mine}
    taken = {c.booth_code: (request.registration_id if c.registration_id in mine else c.registration_id)
             for c in await store.live_claims(session, request.fair_id)}
    zones = await store.zones_of(session, request.fair_id)
    block = check_selection(plan={code: store.to_plan_booth(b) for code, b in plan.items()}, codes=codes,
                            request=store.to_request(request),
                            area=area_for(zones, sector=request.sector, province_code=request.province_code),
                            blocked={code for code, b in plan.items() if b.blocked}, taken=taken)
    return block, plan


def _assigned(rows: Sequence[Assignment], registration_id: str) -> list[Assignment]:
    found = [row for row in rows if row.state == ClaimState.ASSIGNED]
    if not found:
        raise Rejected(f"Hồ sơ {registration_id} chưa có gian / registration {registration_id} has no booths",
                       code="no-booths", field="registration_id")
    return found


async def assign_booths(*, ctx: Context, principal: Principal, fair_id: str, registration_id: str,
                        booth_codes: Sequence[str]) -> str:
    """Give chosen booths to an approved registration without booths; the assignment id."""
    async with ctx.unit_of_work() as uow:
        session = uow.session
        await store.organizer_fair(session, fair_id, principal)
        request = await approved_request(session, fair_id, registration_id)
        if await store.claims_of(session, registration_id):
            raise Rejected("Hồ sơ đã có gian; hãy chuyển gian / the registration already has booths: move them",
                           code="already-assigned", field="registration_id")
        block, _ = await select_booths(session, request, booth_codes)
        codes = tuple(b.code for b in block)
        span = span_label(codes)
        return await store.assign(uow, ctx, request, Claim(
            booth_codes=codes, reason=f"ban tổ chức chọn {span} / chosen by the organizer: {span}",
            operation="organizer", actor=actor_of(principal), corner_count=corner_count(block)))


async def move_booths(*, ctx: Context, principal: Principal, fair_id: str, registration_id: str,
                      booth_codes: Sequence[str], reason: str = "") -> str:
    """Move a registration to other booths (same number); keeps its assignment id."""
    async with ctx.unit_of_work() as uow:
        session = uow.session
        await store.organizer_fair(session, fair_id, principal)
        request = await approved_request(session, fair_id, registration_id)
        current = _assigned(await store.claims_of(session, registration_id), registration_id)
        block, plan = await select_booths(session, request, booth_codes)
        codes = tuple(b.code for b in block)
        old = tuple(sorted(row.booth_code for row in current))
        if set(codes) == set(old):
            raise Invalid("Đây đã là gian của hồ sơ / these already are its booths", field="booth_codes",
                          code="no-change")
        actor = actor_of(principal)
        store.release(uow, ctx, current, cause="moved", reason=release_reason("moved", reason), actor=actor,
                      plan=plan)
        await session.flush()  # the old claims end before the new ones start: the unique index sees no overlap
        span = span_label(codes)
        return await store.assign(uow, ctx, request, Claim(
            booth_codes=codes, reason=f"ban tổ chức chuyển sang {span} / moved by the organizer to {span}"
            + (f" — {reason}" if reason else ""), operation="move", actor=actor, corner_count=corner_count(block),
            assignment_id=current[0].assignment_id, previous_booth_codes=old))


async def swap_booths(*, ctx: Context, principal: Principal, fair_id: str, registration_ids: Sequence[str]) -> None:
    """Exchange the booths of two registrations asking for as many booths as each other."""
    first_id, second_id = registration_ids
    if first_id == second_id:
        raise Invalid("Cần hai hồ sơ khác nhau / two different registrations are needed", field="registration_ids")
    async with ctx.unit_of_work() as uow:
        session = uow.session
        await store.organizer_fair(session, fair_id, principal)
        first = await approved_request(session, fair_id, first_id)
        second = await approved_request(session, fair_id, second_id)
        first_rows = _assigned(await store.claims_of(session, first_id), first_id)
        second_rows = _assigned(await store.claims_of(session, second_id), second_id)
        first_codes = [row.booth_code for row in first_rows]
        second_codes = [row.booth_code for row in second_rows]
        first_block, plan = await select_booths(session, first, second_codes, also_mine=[second_id])
        second_block, _ = await select_booths(session, second, first_codes, also_mine=[first_id])
        actor, note = actor_of(principal), f"{span_label(sorted(first_codes))} ⇄ {span_label(sorted(second_codes))}"
        for rows in (first_rows, second_rows):
            store.release(uow, ctx, rows, cause="swapped", reason=release_reason("swapped", note), actor=actor,
                          plan=plan)
        await session.flush()
        for request, block, rows in ((first, first_block, first_rows), (second, second_block, second_rows)):
            codes = tuple(b.code for b in block)
            await store.assign(uow, ctx, request, Claim(
                booth_codes=codes, reason=f"ban tổ chức đổi gian {note} / swapped by the organizer: {note}",
                operation="swap", actor=actor, corner_count=corner_count(block),
                assignment_id=rows[0].assignment_id,
                previous_booth_codes=tuple(sorted(row.booth_code for row in rows))))


async def release_registration(*, ctx: Context, principal: Principal, fair_id: str, registration_id: str,
                               reason: str = "") -> list[str]:
    """Free a registration's booths (or hold); it stays approved and waits for booths again."""
    async with ctx.unit_of_work() as uow:
        session = uow.session
        await store.organizer_fair(session, fair_id, principal)
        request = await approved_request(session, fair_id, registration_id)
        rows = await store.claims_of(session, registration_id)
        if not rows:
            raise Rejected("Hồ sơ không có gian để trả / the registration has no booths to release",
                           code="no-booths", field="registration_id")
        why = "ban tổ chức trả gian / released by the organizer" + (f" — {reason}" if reason else "")
        codes = store.release(uow, ctx, rows, cause="organizer", reason=why, actor=actor_of(principal),
                              plan=await store.plan_of(session, fair_id))
        store.mark(request, status=RequestStatus.WAITING, reason=why)
        session.add(request)
        return codes


async def set_blocked(*, ctx: Context, principal: Principal, fair_id: str, booth_codes: Sequence[str],
                      blocked: bool, reason: str = "") -> list[str]:
    """Block (or unblock) booths; the codes whose state changed. A held or assigned booth cannot be blocked."""
    async with ctx.unit_of_work() as uow:
        session = uow.session
        await store.organizer_fair(session, fair_id, principal)
        plan = await store.plan_of(session, fair_id)
        unknown = [code for code in booth_codes if code not in plan]
        if unknown:
            raise Invalid(f"Không có gian {', '.join(unknown)} trong sơ đồ hội chợ này / no booth "
                          f"{', '.join(unknown)} in this fair's plan", field="booth_codes", code="unknown-booth")
        claimed = sorted({c.booth_code for c in await store.live_claims(session, fair_id)} & set(booth_codes))
        if blocked and claimed:
            raise Rejected(f"Gian {', '.join(claimed)} đang được giữ hoặc đã xếp; hãy trả gian trước / booth(s) "
                           f"{', '.join(claimed)} held or assigned: release first", field="booth_codes",
                           code="booth-taken")
        changed = sorted(code for code in set(booth_codes) if plan[code].blocked != blocked)
        for code in changed:
            plan[code].blocked = blocked
            session.add(plan[code])
        if changed:
            action = "block" if blocked else "unblock"
            ctx.layouts.forget(fair_id)
            vacancy.forget(session, fair_id)
            event = (BoothsBlocked if blocked else BoothsUnblocked)(fair_id=fair_id, booth_codes=changed,
                                                                    reason=reason)
            uow.emit(event)
            store.audit(session, fair_id=fair_id, actor=actor_of(principal), action=action, codes=changed,
                        detail=reason)
            status = BoothStatus.BLOCKED if blocked else BoothStatus.FREE
            ctx.feed.stage(uow, fair_id, dict.fromkeys(changed, status.value), action)
        return changed
