"""HTTP routes after the planning: session results, the year summary, iCalendar feeds.

Roles: the programme's organizers (and admins) record results (another centre's session answers 404,
other roles 403); results, summaries and calendar feeds are public, for regional centres and partners.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.markets.api.deps import DbDep
from services.markets.models import SessionReport
from services.markets.schemas.plans import ProgrammeSummaryPublic, SessionReportCreate, SessionReportPublic
from services.markets.service import reports as service_reports
from shared.auth import Organizer

CALENDAR = "text/calendar; charset=utf-8"


def report_public(report: SessionReport) -> SessionReportPublic:
    """Shape a report."""
    return SessionReportPublic.model_validate(report.model_dump())


def _calendar(name: str, body: bytes) -> Response:
    return Response(body, media_type=CALENDAR, headers={"Content-Disposition": 'inline; filename="phien-cho.ics"',
                                                        "Cache-Control": "public, max-age=300"})


router = APIRouter(tags=["results"])


@router.post("/sessions/{session_id}/report", status_code=status.HTTP_201_CREATED, response_model=SessionReportPublic,
             summary="Record a held session's results, once (organizer)")
async def create_report(session_id: str, body: SessionReportCreate, db: DbDep,
                        principal: Organizer) -> SessionReportPublic:
    return report_public(await service_reports.report_session(db=db, principal=principal, session_id=session_id,
                                                              data=body))


@router.get("/sessions/{session_id}/report", response_model=SessionReportPublic,
            summary="A session's results (public)")
async def read_report(session_id: str, db: DbDep) -> SessionReportPublic:
    return report_public(await service_reports.get_report(db=db, session_id=session_id))


@router.get("/programmes/{programme_id}/summary", response_model=ProgrammeSummaryPublic,
            summary="The programme's year: sessions held, communes covered, enterprises, revenue (public)")
async def read_summary(programme_id: str, db: DbDep) -> ProgrammeSummaryPublic:
    programme, summary = await service_reports.programme_summary(db=db, programme_id=programme_id)
    return ProgrammeSummaryPublic(programme_id=programme.id, year=programme.year, **asdict(summary))


@router.get("/programmes/{programme_id}/calendar.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}},
            summary="The programme's sessions as an iCalendar feed, optionally one commune's (public)")
async def read_calendar(programme_id: str, db: DbDep, commune_code: Annotated[
        str | None, Query(pattern=r"^[0-9]{5}$", description="only this commune's sessions")] = None) -> Response:
    return _calendar(*await service_reports.calendar(db=db, programme_id=programme_id, commune_code=commune_code))


@router.get("/sites/{site_id}/calendar.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}},
            summary="One site's sessions as an iCalendar feed (public)")
async def read_site_calendar(site_id: str, db: DbDep) -> Response:
    return _calendar(*await service_reports.site_calendar(db=db, site_id=site_id))


ROUTERS = (router,)
