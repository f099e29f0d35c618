"""HTTP routes of assignments, requests, the organizer's operations, allocation runs and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.booths.api.deps import CtxDep, OrganizerOrExhibitor
from services.booths.domain.rules import RequestStatus
from services.booths.schemas.assignments import (
    AllocateIn,
    AllocationPublic,
    AssignIn,
    AssignmentPublic,
    AssignmentsPublic,
    AuditLogPublic,
    AuditPublic,
    BlockIn,
    BoothsIn,
    DecisionPublic,
    ReasonIn,
    RequestPublic,
    RequestsPublic,
    SwapIn,
    UnmetRequestPublic,
    UnmetRequestsPublic,
)
from services.booths.service import allocation, queries
from services.booths.service import assignments as cases
from shared.auth import Organizer, Principal

router = APIRouter(prefix="/fairs", tags=["assignments"])


async def _assignments(ctx: CtxDep, fair_id: str, principal: Principal, registration_id: str) -> AssignmentPublic:
    groups = await queries.list_assignments(db=ctx.db, fair_id=fair_id, principal=principal)
    return next(AssignmentPublic(**vars(g)) for g in groups if g.registration_id == registration_id)


@router.get("/{fair_id}/assignments", response_model=AssignmentsPublic,
                 summary="Booth assignments: all for the fair's organizers, an exhibitor's own for it")
async def read_assignments(fair_id: str, ctx: CtxDep, principal: OrganizerOrExhibitor,
                           include_released: bool = False) -> AssignmentsPublic:
    groups = await queries.list_assignments(db=ctx.db, fair_id=fair_id, principal=principal,
                                            include_released=include_released)
    return AssignmentsPublic(data=[AssignmentPublic(**vars(g)) for g in groups], count=len(groups))


@router.post("/{fair_id}/assignments", response_model=AssignmentPublic, status_code=201,
                  summary="Assign chosen booths (a contiguous block in one row) to an approved registration "
                          "(organizers of the fair)")
async def create_assignment(fair_id: str, body: AssignIn, ctx: CtxDep, principal: Organizer) -> AssignmentPublic:
    await cases.assign_booths(ctx=ctx, principal=principal, fair_id=fair_id,
                                   registration_id=body.registration_id, booth_codes=body.booth_codes)
    return await _assignments(ctx, fair_id, principal, body.registration_id)


@router.post("/{fair_id}/assignments/{registration_id}/move", response_model=AssignmentPublic,
                  summary="Move a registration to other booths (organizers of the fair)")
async def move_assignment(fair_id: str, registration_id: str, body: BoothsIn, ctx: CtxDep,
                          principal: Organizer) -> AssignmentPublic:
    await cases.move_booths(ctx=ctx, principal=principal, fair_id=fair_id, registration_id=registration_id,
                                 booth_codes=body.booth_codes)
    return await _assignments(ctx, fair_id, principal, registration_id)


@router.post("/{fair_id}/assignments/{registration_id}/release", response_model=list[str],
                  summary="Release a registration's booths or hold; it stays approved (organizers of the fair)")
async def release_assignment(fair_id: str, registration_id: str, body: ReasonIn, ctx: CtxDep,
                             principal: Organizer) -> list[str]:
    return await cases.release_registration(ctx=ctx, principal=principal, fair_id=fair_id,
                                                 registration_id=registration_id, reason=body.reason)


@router.post("/{fair_id}/swap", response_model=AssignmentsPublic,
                  summary="Swap the booths of two registrations (organizers of the fair)")
async def swap_assignments(fair_id: str, body: SwapIn, ctx: CtxDep, principal: Organizer) -> AssignmentsPublic:
    await cases.swap_booths(ctx=ctx, principal=principal, fair_id=fair_id, registration_ids=body.registration_ids)
    data = [await _assignments(ctx, fair_id, principal, reg) for reg in body.registration_ids]
    return AssignmentsPublic(data=data, count=len(data))


@router.post("/{fair_id}/booths/block", response_model=list[str],
                  summary="Take booths out of use; the codes that changed (organizers of the fair)")
async def block_booths(fair_id: str, body: BlockIn, ctx: CtxDep, principal: Organizer) -> list[str]:
    return await cases.set_blocked(ctx=ctx, principal=principal, fair_id=fair_id, booth_codes=body.booth_codes,
                                        blocked=True, reason=body.reason)


@router.post("/{fair_id}/booths/unblock", response_model=list[str],
                  summary="Put blocked booths back into use; the codes that changed (organizers of the fair)")
async def unblock_booths(fair_id: str, body: BlockIn, ctx: CtxDep, principal: Organizer) -> list[str]:
    return await cases.set_blocked(ctx=ctx, principal=principal, fair_id=fair_id, booth_codes=body.booth_codes,
                                        blocked=False, reason=body.reason)


@router.get("/{fair_id}/unmet-requests", response_model=UnmetRequestsPublic,
                 summary="Approved registrations still without booths, with the reason (organizers)")
async def read_unmet_requests(fair_id: str, ctx: CtxDep, principal: Organizer) -> UnmetRequestsPublic:
    rows = await queries.list_requests(db=ctx.db, fair_id=fair_id, principal=principal,
                                       status=RequestStatus.WAITING)
    return UnmetRequestsPublic(data=[UnmetRequestPublic.model_validate(r.model_dump()) for r in rows],
                               count=len(rows))


@router.get("/{fair_id}/requests", response_model=RequestsPublic,
                 summary="Registrations as booths sees them, with status and reason: all for the fair's "
                         "organizers, an exhibitor's own for it")
async def read_requests(fair_id: str, ctx: CtxDep, principal: OrganizerOrExhibitor,
                        status: Annotated[str | None, Query(pattern=f"^({'|'.join(RequestStatus)})$")] = None,
                        ) -> RequestsPublic:
    rows = await queries.list_requests(db=ctx.db, fair_id=fair_id, principal=principal, status=status)
    return RequestsPublic(data=[RequestPublic.model_validate(r.model_dump()) for r in rows], count=len(rows))


@router.post("/{fair_id}/allocate", response_model=AllocationPublic,
                  summary="Allocate every approved registration without booths: `exact` (CP-SAT, time-limited) "
                          "or `heuristic`; without `mode` the fair's allocation mode chooses (`exact` for a "
                          "whole-fair run) (organizers of the fair)")
async def run_allocation(fair_id: str, body: AllocateIn, ctx: CtxDep, principal: Organizer) -> AllocationPublic:
    outcome = await allocation.allocate(ctx=ctx, principal=principal, fair_id=fair_id, mode=body.mode,
                                      time_limit_s=body.time_limit_s)
    run = outcome.run

    def shaped(decisions: list) -> list[DecisionPublic]:  # type: ignore[type-arg]
        return [DecisionPublic(registration_id=d.registration_id, booth_codes=list(d.booth_codes), reason=d.reason)
                for d in decisions]

    return AllocationPublic(run_id=run.id, fair_id=fair_id, allocation_mode=outcome.allocation_mode,
                            mode=outcome.mode, mode_chosen_by=outcome.mode_chosen_by,
                            solver=run.solver, status=run.status,
                            objective=run.objective, bound=run.bound, gap=run.gap, seconds=run.seconds,
                            requests=run.requests, assigned=shaped(outcome.assigned), unmet=shaped(outcome.unmet))


@router.get("/{fair_id}/audit", response_model=AuditLogPublic,
                 summary="Every change to the fair's booths, newest first (organizers of the fair)")
async def read_audit(fair_id: str, ctx: CtxDep, principal: Organizer,
                     limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> AuditLogPublic:
    rows = await queries.list_audit(db=ctx.db, fair_id=fair_id, principal=principal, limit=limit)
    data = [AuditPublic(at=r.at, actor=r.actor, action=r.action, registration_id=r.registration_id,
                        booth_codes=queries.audit_codes(r), detail=r.detail) for r in rows]
    return AuditLogPublic(data=data, count=len(data))
