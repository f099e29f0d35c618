"""Routes of exhibitor profiles: create and change one's own, read, find without diacritics, audit."""

from __future__ import annotations

from fastapi import APIRouter, status

from services.registration.api.deps import (
    DbDep,
    Limit,
    Offset,
    ProvinceFilter,
    SearchQuery,
    audit_page,
    exhibitor_public,
)
from services.registration.schemas import (
    AuditLogPublic,
    ExhibitorCreate,
    ExhibitorPublic,
    ExhibitorsPublic,
    ExhibitorUpdate,
)
from services.registration.service import audit
from services.registration.service import exhibitors as cases
from shared.auth import CurrentPrincipal, Exhibitor, Organizer
from shared.contracts.registration import ExhibitorKind

router = APIRouter(prefix="/exhibitors", tags=["exhibitors"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ExhibitorPublic,
             summary="Create the calling exhibitor's profile, one per tax code (exhibitor)")
async def create_exhibitor(body: ExhibitorCreate, db: DbDep, principal: Exhibitor) -> ExhibitorPublic:
    return exhibitor_public(await cases.create_exhibitor(db=db, principal=principal, data=body))


@router.get("", response_model=ExhibitorsPublic,
            summary="Find exhibitors registered at one of the organizer's centre's fairs by name, tax code, place, "
                    "sector or product, diacritics optional (organizer)")
async def read_exhibitors(db: DbDep, principal: Organizer, q: SearchQuery = None,
                          province_code: ProvinceFilter = None,
                          kind: ExhibitorKind | None = None, cscnnt: bool | None = None, limit: Limit = 100,
                          offset: Offset = 0) -> ExhibitorsPublic:
    rows = await cases.search_exhibitors(db=db, principal=principal, q=q, province_code=province_code, kind=kind,
                                         cscnnt=cscnnt, limit=limit, offset=offset)
    return ExhibitorsPublic(data=[exhibitor_public(e) for e in rows], count=len(rows))


@router.get("/{exhibitor_id}", response_model=ExhibitorPublic,
            summary="An exhibitor's profile (itself; an organizer of a centre where it registered)")
async def read_exhibitor(exhibitor_id: str, db: DbDep, principal: CurrentPrincipal) -> ExhibitorPublic:
    return exhibitor_public(await cases.get_exhibitor(db=db, principal=principal, exhibitor_id=exhibitor_id))


@router.patch("/{exhibitor_id}", response_model=ExhibitorPublic,
              summary="Change one's own profile; anyone else's is not found (exhibitor)")
async def update_exhibitor(exhibitor_id: str, body: ExhibitorUpdate, db: DbDep,
                           principal: Exhibitor) -> ExhibitorPublic:
    return exhibitor_public(await cases.update_exhibitor(db=db, principal=principal, exhibitor_id=exhibitor_id,
                                                         data=body))


@router.get("/{exhibitor_id}/audit", response_model=AuditLogPublic,
            summary="Changes to a profile: who, when, what (the exhibitor itself; an organizer of a centre where "
                    "it registered)")
async def read_exhibitor_audit(exhibitor_id: str, db: DbDep, principal: CurrentPrincipal) -> AuditLogPublic:
    await cases.get_exhibitor(db=db, principal=principal, exhibitor_id=exhibitor_id)  # the same visibility
    return audit_page(await audit.exhibitor_audit(db=db, exhibitor_id=exhibitor_id))
