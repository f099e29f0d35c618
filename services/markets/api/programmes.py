"""HTTP routes of the markets service: parse, authorise, call a use case, shape the reply.

Roles: organizers (and admins) create programmes, schedule and cancel sessions of their own centre's
programmes (another centre's answer 404, other roles 403). Reading is public: anyone may list
programmes and see their confirmed sessions; the programme's own centre also sees cancelled ones.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.markets.api.deps import DbDep
from services.markets.models import MarketSession, Programme, ProgrammePlan
from services.markets.schemas.programmes import (
    PlanningPublic,
    ProgrammeCreate,
    ProgrammeDetail,
    ProgrammePublic,
    ProgrammesPublic,
    SessionCancel,
    SessionCreate,
    SessionPublic,
    SessionsPublic,
    SummaryPublic,
)
from services.markets.service import programmes as service
from shared.auth import MaybePrincipal, Organizer
from shared.reference import geo


def _province_name(code: str) -> str:
    try:
        return geo.province(code).name
    except KeyError:  # a unit renamed or merged away since it was stored: the code still stands
        return ""


def _commune_name(code: str) -> str:
    try:
        return geo.commune(code).full_name
    except KeyError:
        return ""


def programme_public(programme: Programme, plan: ProgrammePlan | None = None,
                     max_per_commune: int | None = None) -> ProgrammePublic:
    """Shape a programme (with its planning settings, and its cap per commune, when given)."""
    planning = PlanningPublic.model_validate({**plan.model_dump(), "max_per_commune": max_per_commune}) \
        if plan is not None else None
    return ProgrammePublic.model_validate({**programme.model_dump(), "planning": planning,
                                           "province_name": _province_name(programme.province_code)})


def session_public(market_session: MarketSession) -> SessionPublic:
    """Shape a market session."""
    return SessionPublic.model_validate({**market_session.model_dump(),
                                         "commune_name": _commune_name(market_session.commune_code)})


programmes = APIRouter(prefix="/programmes", tags=["programmes"])


@programmes.post("", status_code=status.HTTP_201_CREATED, response_model=ProgrammePublic,
                 summary="Create a year's programme for the organizer's centre (organizer)")
async def create_programme(body: ProgrammeCreate, db: DbDep, principal: Organizer) -> ProgrammePublic:
    return programme_public(*await service.create_programme(db=db, principal=principal, data=body))


@programmes.get("", response_model=ProgrammesPublic,
                summary="Programmes: an organizer's own centre's, everyone else all (public)")
async def read_programmes(db: DbDep, principal: MaybePrincipal,
                          year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> ProgrammesPublic:
    rows = await service.list_programmes(db=db, principal=principal, year=year)
    return ProgrammesPublic(data=[programme_public(p) for p in rows], count=len(rows))


@programmes.get("/{programme_id}", response_model=ProgrammeDetail,
                summary="A programme with its sessions and summary (public: confirmed sessions only)")
async def read_programme(programme_id: str, db: DbDep, principal: MaybePrincipal) -> ProgrammeDetail:
    programme, plan, cap, sessions = await service.get_programme(db=db, principal=principal,
                                                                 programme_id=programme_id)
    summary = SummaryPublic.model_validate(service.summary_of(programme, sessions), from_attributes=True)
    return ProgrammeDetail(**programme_public(programme, plan, cap).model_dump(),
                           sessions=[session_public(s) for s in sessions], summary=summary)


@programmes.post("/{programme_id}/sessions", status_code=status.HTTP_201_CREATED,
                 response_model=SessionPublic,
                 summary="Schedule a market session in a commune of the programme's province (organizer)")
async def create_session(programme_id: str, body: SessionCreate, db: DbDep,
                         principal: Organizer) -> SessionPublic:
    scheduled = await service.schedule_session(db=db, principal=principal, programme_id=programme_id,
                                               data=body)
    return session_public(scheduled)


@programmes.get("/{programme_id}/sessions", response_model=SessionsPublic,
                summary="A programme's sessions, earliest first (public: confirmed sessions only)")
async def read_sessions(programme_id: str, db: DbDep, principal: MaybePrincipal) -> SessionsPublic:
    rows = await service.list_sessions(db=db, principal=principal, programme_id=programme_id)
    return SessionsPublic(data=[session_public(s) for s in rows], count=len(rows))


sessions = APIRouter(prefix="/sessions", tags=["sessions"])


@sessions.post("/{session_id}/cancel", response_model=SessionPublic,
               summary="Cancel a scheduled session, even at short notice (organizer)")
async def cancel_session(session_id: str, body: SessionCancel, db: DbDep,
                         principal: Organizer) -> SessionPublic:
    cancelled = await service.cancel_session(db=db, principal=principal, session_id=session_id,
                                             reason=body.reason)
    return session_public(cancelled)


ROUTERS = (programmes, sessions)
