"""Routes of fairs: create, change, move along the lifecycle, find, and the fair's audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from services.registration.api.deps import (
    DbDep,
    Limit,
    MaybePrincipal,
    Offset,
    ProvinceFilter,
    RulesDep,
    SearchQuery,
    audit_page,
    fair_public,
)
from services.registration.domain.fairs import FairStatus
from services.registration.schemas import AuditLogPublic, FairCreate, FairPublic, FairsPublic, FairUpdate, ReasonBody
from services.registration.service import audit
from services.registration.service import fairs as cases
from shared.auth import Organizer
from shared.contracts.registration import FairKind

router = APIRouter(prefix="/fairs", tags=["fairs"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=FairPublic,
             summary="Create a draft fair (organizer)")
async def create_fair(body: FairCreate, db: DbDep, principal: Organizer, rules: RulesDep) -> FairPublic:
    return fair_public(await cases.create_fair(db=db, principal=principal, data=body,
                                               max_fair_days=rules.max_fair_days))


@router.get("", response_model=FairsPublic,
            summary="Fairs, found without diacritics (anyone: published ones; organizers: their centre's, any status)")
async def read_fairs(db: DbDep, principal: MaybePrincipal, q: SearchQuery = None,
                     status: FairStatus | None = None, kind: FairKind | None = None,
                     province_code: ProvinceFilter = None,
                     mine: bool = False, limit: Limit = 100, offset: Offset = 0) -> FairsPublic:
    rows = await cases.list_fairs(db=db, principal=principal, q=q, status=status, kind=kind,
                                  province_code=province_code, mine=mine, limit=limit, offset=offset)
    return FairsPublic(data=[fair_public(f, n) for f, n in rows], count=len(rows))


@router.get("/{fair_id}", response_model=FairPublic, summary="One fair (anyone once published; drafts: its centre)")
async def read_fair(fair_id: str, db: DbDep, principal: MaybePrincipal) -> FairPublic:
    fair, approved = await cases.get_fair(db=db, fair_id=fair_id, principal=principal)
    return fair_public(fair, approved)


@router.patch("/{fair_id}", response_model=FairPublic, summary="Change a fair before it starts (its organizer)")
async def update_fair(fair_id: str, body: FairUpdate, db: DbDep, principal: Organizer, rules: RulesDep
                      ) -> FairPublic:
    return fair_public(await cases.update_fair(db=db, principal=principal, fair_id=fair_id, data=body,
                                               max_fair_days=rules.max_fair_days))


async def _move(db: DbDep, principal: Organizer, fair_id: str, target: FairStatus) -> FairPublic:
    return fair_public(await cases.transition_fair(db=db, principal=principal, fair_id=fair_id, target=target))


@router.post("/{fair_id}/publish", response_model=FairPublic,
             summary="Open a draft fair for registration: fair.published (its organizer)")
async def publish_fair(fair_id: str, db: DbDep, principal: Organizer) -> FairPublic:
    return await _move(db, principal, fair_id, FairStatus.OPEN)


@router.post("/{fair_id}/close", response_model=FairPublic, summary="Close registration: fair.closed (its organizer)")
async def close_fair(fair_id: str, db: DbDep, principal: Organizer) -> FairPublic:
    return await _move(db, principal, fair_id, FairStatus.CLOSED)


@router.post("/{fair_id}/reopen", response_model=FairPublic,
             summary="Reopen a closed fair's registration: fair.updated (its organizer)")
async def reopen_fair(fair_id: str, db: DbDep, principal: Organizer) -> FairPublic:
    return await _move(db, principal, fair_id, FairStatus.OPEN)


@router.post("/{fair_id}/start", response_model=FairPublic, summary="The fair opens its doors: fair.updated "
                                                                    "(its organizer)")
async def start_fair(fair_id: str, db: DbDep, principal: Organizer) -> FairPublic:
    return await _move(db, principal, fair_id, FairStatus.RUNNING)


@router.post("/{fair_id}/finish", response_model=FairPublic, summary="The fair is over: fair.updated (its organizer)")
async def finish_fair(fair_id: str, db: DbDep, principal: Organizer) -> FairPublic:
    return await _move(db, principal, fair_id, FairStatus.FINISHED)


@router.post("/{fair_id}/cancel", response_model=FairPublic,
             summary="Cancel the fair and its registrations: fair.cancelled, registration.cancelled (its organizer)")
async def cancel_fair(fair_id: str, body: ReasonBody, db: DbDep, principal: Organizer) -> FairPublic:
    return fair_public(await cases.cancel_fair(db=db, principal=principal, fair_id=fair_id, reason=body.reason))


@router.get("/{fair_id}/audit", response_model=AuditLogPublic,
            summary="Every change to the fair and its registrations: who, when, what, why (its organizer)")
async def read_fair_audit(fair_id: str, db: DbDep, principal: Organizer,
                          registration_id: Annotated[str | None, Query(max_length=64)] = None) -> AuditLogPublic:
    return audit_page(await audit.fair_audit(db=db, principal=principal, fair_id=fair_id,
                                             registration_id=registration_id))
