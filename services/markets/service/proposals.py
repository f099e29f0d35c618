"""Use cases of proposals: ask the solver for a draft, edit and re-solve it, confirm it, leave it."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import structlog
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.markets.domain import proposals
from services.markets.domain.planning import Limits, Pin, PlanningProblem, SolveStats
from services.markets.domain.proposals import PLACING, PROPOSAL_TRANSITIONS, ProposalStatus
from services.markets.domain.replan import Line, lines_of
from services.markets.models import Proposal, ProposalItem, Supplier
from services.markets.schemas.plans import ProposalCreate, ProposalUpdate
from services.markets.service.inputs import Inputs, build_planning, fingerprint, load_inputs
from services.markets.service.programmes import VIETNAM, not_found, own_programme
from shared.db import Database, utcnow
from shared.errors import Invalid
from shared.principal import Principal

if TYPE_CHECKING:
    from services.markets.domain import scheduler

log = structlog.get_logger()
FEWER_TRIES = 3


@dataclass(frozen=True, slots=True)
class SolverConfig:
    """How long and how wide the solver may run for one request, how close to its bound the supplier stage
    must come, and how many run at once."""

    time_limit_s: float = 10.0
    max_time_limit_s: float = 60.0
    workers: int = 2
    gate: asyncio.Semaphore | None = None
    relative_gap: float = Limits().relative_gap

    def limits(self, asked: float | None) -> Limits:
        """The limits for a request that asked for `asked` seconds (capped)."""
        return Limits(min(asked or self.time_limit_s, self.max_time_limit_s), self.workers,
                      relative_gap=self.relative_gap)


@dataclass(frozen=True, slots=True)
class ProposalView:
    """A proposal, its lines and the names of the suppliers they mention."""

    proposal: Proposal
    items: list[ProposalItem]
    supplier_names: dict[str, str]


async def _names(session: AsyncSession, programme_id: str) -> dict[str, str]:
    rows = await session.exec(select(Supplier).where(Supplier.programme_id == programme_id))
    return {s.id: s.name for s in rows.all()}


class ScheduleInfeasible(Invalid):
    """No schedule meets every rule (422 `schedule-infeasible`): the blocking constraints, the target asked and
    the most sessions they allow (the route carries them in its problem document)."""

    def __init__(self, exc: scheduler.Infeasible) -> None:
        super().__init__("Không lập được lịch đáp ứng mọi điều kiện / no schedule meets every rule",
                         code="schedule-infeasible")
        self.detail = "; ".join(b.message for b in exc.blockers)
        self.target = exc.target
        self.max_sessions = exc.max_sessions
        self.blockers = [{"constraint": b.constraint, "limit": b.limit, "message": b.message} for b in exc.blockers]


class ScheduleTimeout(Invalid):
    """The solver found no schedule within its time limit (422 `schedule-timeout`)."""

    def __init__(self, exc: scheduler.NoPlanInTime, time_limit_s: float) -> None:
        super().__init__("Chưa tìm được lịch trong thời gian cho phép / no schedule found in time",
                         code="schedule-timeout")
        self.detail = f"{exc}; allow more time (time_limit_s) or relax the rules"
        self.time_limit_s = time_limit_s


def _plan_as_many_as_fit(problem: PlanningProblem, limits: Limits,
                         allow_fewer: bool) -> tuple[scheduler.Plan, list[scheduler.Blocker]]:
    """The plan for the target; with `allow_fewer`, for as many sessions as fit when the target cannot be met.

    The retries share the request's one deadline: together they never run past its time limit.
    """
    from services.markets.domain import scheduler  # OR-Tools is imported when a plan is first asked for, not at start

    deadline = scheduler.Deadline.after(limits.time_limit_s)
    try:
        return scheduler.plan(problem, limits, deadline), []
    except scheduler.Infeasible as exc:
        if not allow_fewer:
            raise
        first, current = exc, exc
    for _ in range(FEWER_TRIES):  # the explained maximum is a proven ceiling, not always reachable
        fewer = current.max_sessions
        if fewer is None or fewer >= problem.rules.sessions or any(b.constraint == "pin" for b in current.blockers):
            raise first
        problem = dataclasses.replace(problem, rules=dataclasses.replace(problem.rules, sessions=max(fewer, 0)))
        try:
            return scheduler.plan(problem, limits, deadline), first.blockers
        except scheduler.Infeasible as exc:
            current = exc
    raise first


async def _solve(inputs: Inputs, config: SolverConfig, asked: float | None, *, today: date, forbidden: list[date],
                 pins: list[Pin], pinned_moves: dict[tuple[str, date], str],
                 allow_fewer: bool = False) -> tuple[list[Line], dict[str, object]]:
    """Run the scheduler off the event loop (one run at a time per process) and turn its plan into lines."""
    from services.markets.domain import scheduler  # OR-Tools is imported when a plan is first asked for, not at start

    planning = build_planning(inputs, today=today, forbidden=forbidden, pins=pins)
    limits = config.limits(asked)
    gate = config.gate or asyncio.Semaphore(1)
    try:
        async with gate:
            result, short = await asyncio.to_thread(_plan_as_many_as_fit, planning.problem, limits, allow_fewer)
    except scheduler.Infeasible as exc:
        raise ScheduleInfeasible(exc) from exc
    except scheduler.NoPlanInTime as exc:
        raise ScheduleTimeout(exc, limits.time_limit_s) from exc
    lines = lines_of(list(result.sessions), planning.kept, planning.moving, pinned_moves)
    outcome: dict[str, object] = {"dates": _stats(result.dates), "suppliers": _stats(result.suppliers),
                                  "warnings": [b.message for b in short] + list(result.warnings),
                                  "time_limit_s": limits.time_limit_s,
                                  "sessions_to_place": planning.problem.rules.sessions,
                                  "sessions_placed": len(result.sessions),
                                  "communes": [dataclasses.asdict(s) for s in result.shares]}
    return lines, outcome


def _stats(stats: SolveStats | None) -> dict[str, object] | None:
    if stats is None:
        return None
    return {"status": stats.status, "objective": stats.objective, "best_bound": stats.best_bound,
            "first_solution_s": stats.first_solution_s, "wall_s": round(stats.wall_s, 3),
            "time_limit_s": stats.time_limit_s, "candidates": stats.candidates}


def _items(proposal_id: str, lines: list[Line], inputs: Inputs) -> list[ProposalItem]:
    sites = {s.commune_code: s for s in inputs.sites}
    live = {s.id: s for s in inputs.live}
    items = []
    for line in lines:
        site = sites.get(line.site)
        session = live.get(line.session_id or "")
        name = site.name if site is not None and line.action in PLACING else (
            session.site_name if session is not None else line.site)
        quota = min(inputs.programme.booth_quota, site.capacity_booths) if site is not None else (
            session.booth_quota if session is not None else inputs.programme.booth_quota)
        items.append(ProposalItem(proposal_id=proposal_id, action=line.action, session_id=line.session_id,
                                  commune_code=line.site, site_name=name, starts_on=line.span.starts_on,
                                  ends_on=line.span.ends_on, booth_quota=quota, pinned=line.pinned,
                                  suppliers=list(line.suppliers), note=line.note))
    return items


def today_in_vietnam(today: date | None = None) -> date:
    """`today` if given (tests), else today's date in Vietnam."""
    return today or datetime.now(VIETNAM).date()


async def create_proposal(*, db: Database, principal: Principal, programme_id: str, data: ProposalCreate,
                          config: SolverConfig, today: date | None = None) -> ProposalView:
    """Solve the programme's year (around its confirmed sessions) into a draft for the organizer."""
    async with db.sessions() as session:
        programme = await own_programme(session, programme_id, principal)
        inputs = await load_inputs(session, programme)
    forbidden = sorted(set(data.forbidden_dates))
    lines, outcome = await _solve(inputs, config, data.time_limit_s, today=today_in_vietnam(today), forbidden=forbidden,
                                  pins=[], pinned_moves={}, allow_fewer=data.allow_fewer)
    proposal = Proposal(programme_id=programme_id, basis=fingerprint(inputs.live), created_by=principal.subject,
                        forbidden_dates=[d.isoformat() for d in forbidden], outcome=outcome,
                        options={"time_limit_s": data.time_limit_s, "allow_fewer": data.allow_fewer})
    items = _items(proposal.id, lines, inputs)
    async with db.transaction() as session:
        session.add(proposal)
        await session.flush()
        session.add_all(items)
    log.info("proposal.created", programme_id=programme_id, proposal_id=proposal.id, items=len(items))
    return ProposalView(proposal, items, {s.id: s.name for s in inputs.suppliers})


async def own_proposal(session: AsyncSession, proposal_id: str, principal: Principal) -> Proposal:
    """The proposal if the caller's centre runs its programme; 404 otherwise."""
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None:
        raise not_found("proposal", proposal_id)
    await own_programme(session, proposal.programme_id, principal)
    return proposal


async def items_of(session: AsyncSession, proposal_id: str) -> list[ProposalItem]:
    """A proposal's lines, by date."""
    rows = await session.exec(select(ProposalItem).where(ProposalItem.proposal_id == proposal_id)
                              .order_by(col(ProposalItem.starts_on), col(ProposalItem.commune_code)))
    return list(rows.all())


async def get_proposal(*, db: Database, principal: Principal, proposal_id: str) -> ProposalView:
    """A proposal with its lines (its programme's organizer only)."""
    async with db.sessions() as session:
        proposal = await own_proposal(session, proposal_id, principal)
        return ProposalView(proposal, await items_of(session, proposal_id),
                            await _names(session, proposal.programme_id))


async def list_proposals(*, db: Database, principal: Principal, programme_id: str) -> list[Proposal]:
    """A programme's proposals, newest first."""
    async with db.sessions() as session:
        await own_programme(session, programme_id, principal)
        rows = await session.exec(select(Proposal).where(Proposal.programme_id == programme_id)
                                  .order_by(col(Proposal.created_at).desc()))
        return list(rows.all())


def check_draft(proposal: Proposal) -> None:
    """Only a draft can be edited, confirmed or discarded."""
    proposals.check_draft(proposal.status)


def _apply_pins(items: list[ProposalItem], data: ProposalUpdate) -> None:
    by_id = {i.id: i for i in items}
    for name, flag in (("pin", True), ("unpin", False)):
        for n, item_id in enumerate(getattr(data, name)):
            item = by_id.get(item_id)
            if item is None or item.action not in PLACING:
                raise Invalid(f"Dòng {item_id} không thể ghim / line {item_id} is not a new or moved session of "
                              "this draft", field=f"{name}.{n}", code="not-pinnable")
            item.pinned = flag


async def update_proposal(*, db: Database, principal: Principal, proposal_id: str, data: ProposalUpdate,
                          config: SolverConfig, today: date | None = None) -> ProposalView:
    """Pin or unpin lines, forbid or allow dates, and solve the draft again around the pins."""
    async with db.sessions() as session:
        proposal = await own_proposal(session, proposal_id, principal)
        check_draft(proposal)
        items = await items_of(session, proposal_id)
        inputs = await load_inputs(session, await own_programme(session, proposal.programme_id, principal))
    _apply_pins(items, data)
    forbidden = (set(map(date.fromisoformat, proposal.forbidden_dates)) | set(data.forbid_dates)) - set(
        data.allow_dates)
    pinned = [i for i in items if i.pinned]
    lines, outcome = await _solve(
        inputs, config, data.time_limit_s, today=today_in_vietnam(today), forbidden=sorted(forbidden),
        pins=[Pin(i.commune_code, i.starts_on) for i in pinned],
        pinned_moves={(i.commune_code, i.starts_on): i.session_id for i in pinned if i.session_id},
        allow_fewer=data.allow_fewer)
    new_items = _items(proposal_id, lines, inputs)
    async with db.transaction() as session:
        current = await own_proposal(session, proposal_id, principal)
        check_draft(current)  # confirmed or discarded while we were solving
        await session.exec(delete(ProposalItem).where(col(ProposalItem.proposal_id) == proposal_id))
        current.forbidden_dates = [d.isoformat() for d in sorted(forbidden)]
        current.outcome, current.basis, current.updated_at = outcome, fingerprint(inputs.live), utcnow()
        session.add(current)
        session.add_all(new_items)
    log.info("proposal.updated", proposal_id=proposal_id, pinned=len(pinned), forbidden=len(forbidden))
    return ProposalView(current, new_items, {s.id: s.name for s in inputs.suppliers})


async def discard_proposal(*, db: Database, principal: Principal, proposal_id: str) -> None:
    """Leave a draft unconfirmed for good."""
    async with db.transaction() as session:
        proposal = await own_proposal(session, proposal_id, principal)
        check_draft(proposal)
        PROPOSAL_TRANSITIONS.check(proposal.status, ProposalStatus.DISCARDED)
        proposal.status, proposal.updated_at = ProposalStatus.DISCARDED, utcnow()
        session.add(proposal)
    log.info("proposal.discarded", proposal_id=proposal_id)
