"""HTTP routes of proposals: the solver's drafts, which the programme's organizer reviews, edits and confirms.

Roles: the programme's organizers (and admins) only; another centre's proposals answer 404, other roles 403.
A request that cannot be met answers 422 `schedule-infeasible` naming the blocking constraints (with the
most sessions they allow), or 422 `schedule-timeout`; the solver never runs past its time limit.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.markets.api.deps import DbDep, SolverDep
from services.markets.api.programmes import session_public
from services.markets.domain.proposals import LineAction
from services.markets.models import Proposal
from services.markets.schemas.plans import (
    ConfirmedPublic,
    ProposalCreate,
    ProposalItemPublic,
    ProposalPublic,
    ProposalsPublic,
    ProposalUpdate,
    SupplierRef,
)
from services.markets.service import confirm as service_confirm
from services.markets.service import proposals as service_proposals
from services.markets.service.proposals import ProposalView, ScheduleInfeasible, ScheduleTimeout
from shared.auth import Organizer
from shared.problems import Problem
from shared.reference import geo


def _commune_name(code: str) -> str:
    try:
        return geo.commune(code).full_name
    except KeyError:
        return ""


def _counts(view: ProposalView) -> dict[str, int]:
    counts = {str(action): 0 for action in LineAction}
    for item in view.items:
        counts[item.action] += 1
    return counts


def proposal_public(view: ProposalView) -> ProposalPublic:
    """Shape a proposal with its lines."""
    p = view.proposal
    items = [ProposalItemPublic.model_validate({
        **i.model_dump(), "commune_name": _commune_name(i.commune_code),
        "suppliers": [SupplierRef(id=s, name=view.supplier_names.get(s, "")) for s in i.suppliers]})
        for i in view.items]
    return ProposalPublic(id=p.id, programme_id=p.programme_id, status=p.status, forbidden_dates=p.forbidden_dates,
                          created_at=p.created_at, updated_at=p.updated_at, confirmed_at=p.confirmed_at,
                          counts=_counts(view), solver=p.outcome, items=items)


def _problem(exc: ScheduleInfeasible | ScheduleTimeout) -> Problem:
    """The 422 problem of a request the solver could not meet, with what blocked it."""
    if isinstance(exc, ScheduleInfeasible):
        return Problem(422, exc.message, type_=exc.code, detail=exc.detail, target=exc.target,
                       max_sessions=exc.max_sessions, blockers=exc.blockers)
    return Problem(422, exc.message, type_=exc.code, detail=exc.detail, time_limit_s=exc.time_limit_s)


def _summary(p: Proposal) -> dict[str, object]:
    return {"id": p.id, "status": p.status, "created_at": p.created_at.isoformat(),
            "updated_at": p.updated_at.isoformat(), "created_by": p.created_by}


router = APIRouter(tags=["proposals"])


@router.post("/programmes/{programme_id}/proposals", status_code=status.HTTP_201_CREATED,
             response_model=ProposalPublic,
             summary="Ask the solver for a draft schedule, or a re-plan around confirmed sessions (organizer)")
async def create_proposal(programme_id: str, body: ProposalCreate, db: DbDep, principal: Organizer,
                          solver: SolverDep) -> ProposalPublic:
    try:
        view = await service_proposals.create_proposal(db=db, principal=principal, programme_id=programme_id,
                                                       data=body, config=solver)
    except (ScheduleInfeasible, ScheduleTimeout) as exc:
        raise _problem(exc) from exc
    return proposal_public(view)


@router.get("/programmes/{programme_id}/proposals", response_model=ProposalsPublic,
            summary="A programme's proposals, newest first (organizer)")
async def read_proposals(programme_id: str, db: DbDep, principal: Organizer) -> ProposalsPublic:
    rows = await service_proposals.list_proposals(db=db, principal=principal, programme_id=programme_id)
    return ProposalsPublic(data=[_summary(p) for p in rows], count=len(rows))


@router.get("/proposals/{proposal_id}", response_model=ProposalPublic, summary="A proposal's lines (organizer)")
async def read_proposal(proposal_id: str, db: DbDep, principal: Organizer) -> ProposalPublic:
    return proposal_public(await service_proposals.get_proposal(db=db, principal=principal, proposal_id=proposal_id))


@router.patch("/proposals/{proposal_id}", response_model=ProposalPublic,
              summary="Pin lines, forbid dates, and solve the draft again (organizer)")
async def update_proposal(proposal_id: str, body: ProposalUpdate, db: DbDep, principal: Organizer,
                          solver: SolverDep) -> ProposalPublic:
    try:
        view = await service_proposals.update_proposal(db=db, principal=principal, proposal_id=proposal_id,
                                                       data=body, config=solver)
    except (ScheduleInfeasible, ScheduleTimeout) as exc:
        raise _problem(exc) from exc
    return proposal_public(view)


@router.post("/proposals/{proposal_id}/confirm", response_model=ConfirmedPublic,
             summary="Confirm a draft: sessions scheduled, moved, cancelled, and announced (organizer)")
async def confirm_proposal(proposal_id: str, db: DbDep, principal: Organizer) -> ConfirmedPublic:
    done = await service_confirm.confirm_proposal(db=db, principal=principal, proposal_id=proposal_id)
    view = await service_proposals.get_proposal(db=db, principal=principal, proposal_id=proposal_id)
    return ConfirmedPublic(proposal=proposal_public(view),
                           scheduled=[session_public(s) for s in done.scheduled],
                           rescheduled=[session_public(s) for s in done.rescheduled],
                           cancelled=[session_public(s) for s in done.cancelled])


@router.delete("/proposals/{proposal_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               summary="Discard a draft (organizer)")
async def discard_proposal(proposal_id: str, db: DbDep, principal: Organizer) -> Response:
    await service_proposals.discard_proposal(db=db, principal=principal, proposal_id=proposal_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


ROUTERS = (router,)
