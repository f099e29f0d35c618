"""The allocation run: every approved registration of a fair still without booths, placed at once by the
heuristic or by CP-SAT, each decision with its reason.

The solver works on a snapshot outside any transaction (it may think for seconds); the result is then
written under the fair's lock, and a placement whose booths or registration changed meanwhile is not
applied but reported as unmet — never forced.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.booths.domain.allocation.exact import solve_exact
from services.booths.domain.allocation.explain import Decision, explain
from services.booths.domain.allocation.greedy import solve_greedy
from services.booths.domain.allocation.model import Instance, Solution
from services.booths.domain.rules import RequestStatus, run_solver
from services.booths.models import AllocationRun, BoothFair, BoothRequest
from services.booths.service import store
from services.booths.service.assignments import actor_of
from services.booths.service.store import Claim, Context
from shared.contracts.booths import AllocationCompleted
from shared.principal import Principal

log = structlog.get_logger()
CHANGED = ("hồ sơ hoặc gian đã thay đổi trong lúc tính, chạy lại để xếp / the registration or its booths changed "
           "while solving: run the allocation again")


@dataclass(frozen=True)
class Outcome:
    """What an allocation run did."""

    run: AllocationRun
    assigned: list[Decision]
    unmet: list[Decision]
    allocation_mode: str = ""
    mode: str = "exact"
    mode_chosen_by: str = "fair"


async def _snapshot(ctx: Context, principal: Principal, fair_id: str) -> tuple[str, Instance]:
    async with ctx.db.sessions() as session:
        fair = await session.get(BoothFair, fair_id)
        if fair is None or not store.organizes(principal, fair):
            raise store.fair_not_found(fair_id)
        claimed = {c.registration_id for c in await store.live_claims(session, fair_id)}
        rows = (await session.exec(select(BoothRequest).where(BoothRequest.fair_id == fair_id,
                                                              BoothRequest.status == RequestStatus.WAITING)
                                   .order_by(col(BoothRequest.approved_at), col(BoothRequest.registration_id)))).all()
        requests = tuple(store.to_request(row, rank) for rank, row in enumerate(r for r in rows
                                                                                  if r.registration_id not in claimed))
        return fair.allocation_mode, Instance(booths=tuple(await store.free_booths(session, fair_id)),
                                              zones=tuple(await store.zones_of(session, fair_id)), requests=requests)


def solve(instance: Instance, *, mode: str, time_limit_s: float, workers: int) -> Solution:
    """The heuristic's answer, or CP-SAT's started from it."""
    quick = solve_greedy(instance)
    if mode == "heuristic" or not instance.requests:
        return quick
    exact = solve_exact(instance, time_limit_s=time_limit_s, workers=workers, hint=dict(quick.placements))
    return exact if exact.status != "unknown" and exact.objective >= quick.objective else quick


async def allocate(*, ctx: Context, principal: Principal, fair_id: str, mode: str | None = None,
                   time_limit_s: float | None = None) -> Outcome:
    """Place every waiting registration of the fair the solver can (``mode`` None: the fair's mode chooses)."""
    allocation_mode, instance = await _snapshot(ctx, principal, fair_id)
    mode, chosen_by = run_solver(allocation_mode, mode)
    limit = min(time_limit_s or ctx.settings.solver_time_limit_s, ctx.settings.solver_max_time_limit_s)
    solution = await asyncio.to_thread(solve, instance, mode=mode, time_limit_s=limit,
                                       workers=ctx.settings.solver_workers)
    decisions = explain(instance, solution.placements)
    async with ctx.unit_of_work() as uow:
        session = uow.session
        await store.lock_fair(session, fair_id)
        free = {b.code for b in await store.free_booths(session, fair_id)}
        claimed = {c.registration_id for c in await store.live_claims(session, fair_id)}
        rows = {r.registration_id: r for r in (await session.exec(
            select(BoothRequest).where(BoothRequest.fair_id == fair_id))).all()}
        assigned, unmet, actor = [], [], actor_of(principal)
        for decision in decisions:
            request = rows.get(decision.registration_id)
            applicable = (request is not None and request.status == RequestStatus.WAITING
                          and set(decision.booth_codes) <= free and decision.registration_id not in claimed)
            if decision.met and applicable and request is not None:
                await store.assign(uow, ctx, request, Claim(booth_codes=decision.booth_codes, reason=decision.reason,
                                                            operation="allocation", actor=actor,
                                                            corner_count=decision.corner_count))
                free -= set(decision.booth_codes)
                assigned.append(decision)
                continue
            reason = decision.reason if not decision.met else CHANGED
            unmet.append(Decision(decision.registration_id, (), reason))
            if request is not None and request.status == RequestStatus.WAITING:
                store.mark(request, status=RequestStatus.WAITING, reason=reason)
                session.add(request)
        run = _record(session, fair_id, solution, instance, assigned, actor, mode)
        uow.emit(AllocationCompleted(
            fair_id=fair_id, assigned_registrations=len(assigned), unmet_registration_ids=[d.registration_id
                                                                                        for d in unmet],
            solver=solution.solver, status=solution.status, objective=solution.objective, bound=solution.bound,
            run_id=run.id, mode=mode, mode_chosen_by=chosen_by))
    log.info("allocation.completed", fair_id=fair_id, mode=mode, mode_chosen_by=chosen_by, solver=solution.solver,
             status=solution.status,
             objective=solution.objective, bound=solution.bound, assigned=len(assigned), unmet=len(unmet),
             seconds=round(solution.seconds, 3))
    return Outcome(run=run, assigned=assigned, unmet=unmet, allocation_mode=allocation_mode, mode=mode,
                   mode_chosen_by=chosen_by)


def _record(session: AsyncSession, fair_id: str, solution: Solution, instance: Instance,
            assigned: list[Decision], actor: str, mode: str) -> AllocationRun:
    run = AllocationRun(fair_id=fair_id, solver=solution.solver, status=solution.status,
                        objective=solution.objective, bound=solution.bound, gap=solution.gap,
                        seconds=round(solution.seconds, 4), requests=len(instance.requests), assigned=len(assigned),
                        requested_by=actor)
    session.add(run)
    gap = f", gap {solution.gap:.2%}" if solution.gap is not None else ""
    store.audit(session, fair_id=fair_id, actor=actor, action="allocate",
                detail=f"{mode} → {solution.solver} ({solution.status}{gap}): {len(assigned)}/{len(instance.requests)} "
                       f"hồ sơ được xếp / registrations placed, objective {solution.objective}")
    return run
