"""Routes of a fair's registrations: submit, list, waitlist, decide in bulk, export."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from services.registration.adapters import exports
from services.registration.api.deps import DbDep, registration_public, registrations_page
from services.registration.domain.registrations import RegistrationStatus
from services.registration.schemas import (
    BulkApprove,
    BulkReject,
    RegistrationCreate,
    RegistrationPublic,
    RegistrationsPublic,
)
from services.registration.service import approvals, queries
from services.registration.service import registrations as cases
from shared.auth import Exhibitor, Organizer

router = APIRouter(prefix="/fairs", tags=["registrations"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/{fair_id}/registrations", status_code=status.HTTP_201_CREATED, response_model=RegistrationPublic,
             summary="Register the calling exhibitor for booths: registration.submitted (exhibitor)")
async def create_registration(fair_id: str, body: RegistrationCreate, db: DbDep,
                              principal: Exhibitor) -> RegistrationPublic:
    registration = await cases.submit_registration(db=db, principal=principal, fair_id=fair_id, data=body)
    return registration_public(registration)


@router.get("/{fair_id}/registrations", response_model=RegistrationsPublic,
            summary="Registrations of one of the organizer's fairs (its organizer)")
async def read_fair_registrations(fair_id: str, db: DbDep, principal: Organizer,
                                  status: RegistrationStatus | None = None,
                                  order: queries.Order = "submitted") -> RegistrationsPublic:
    return registrations_page(await queries.list_fair_registrations(db=db, principal=principal, fair_id=fair_id,
                                                                    status=status, order=order))


@router.get("/{fair_id}/waitlist", response_model=RegistrationsPublic,
            summary="The waitlist in the policy's order, best first (its organizer)")
async def read_waitlist(fair_id: str, db: DbDep, principal: Organizer) -> RegistrationsPublic:
    return registrations_page(await queries.list_fair_registrations(
        db=db, principal=principal, fair_id=fair_id, status=RegistrationStatus.WAITLISTED, order="priority"))


@router.post("/{fair_id}/registrations/approve", response_model=RegistrationsPublic,
             summary="Approve several registrations, best priority first; beyond capacity they wait (its organizer)")
async def approve_registrations(fair_id: str, body: BulkApprove, db: DbDep, principal: Organizer
                                ) -> RegistrationsPublic:
    rows = await approvals.bulk_approve(db=db, principal=principal, fair_id=fair_id,
                                        registration_ids=body.registration_ids)
    places = await queries.waitlist_positions(db=db, fair_id=fair_id)
    return registrations_page([(r, places.get(r.id)) for r in rows])


@router.post("/{fair_id}/registrations/reject", response_model=RegistrationsPublic,
             summary="Reject several registrations for one reason: registration.rejected (its organizer)")
async def reject_registrations(fair_id: str, body: BulkReject, db: DbDep, principal: Organizer
                               ) -> RegistrationsPublic:
    rows = await cases.reject_registrations(db=db, principal=principal, fair_id=fair_id,
                                            registration_ids=body.registration_ids, reason=body.reason)
    return registrations_page([(r, None) for r in rows])


async def _export(db: DbDep, principal: Organizer, fair_id: str, kind: Literal["xlsx", "csv"]) -> Response:
    fair, rows, places = await queries.export_rows(db=db, principal=principal, fair_id=fair_id)
    name = f"dang-ky-{fair.id}.{kind}"
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    # Rendering thousands of rows is seconds of pure Python: on a worker thread, so the event loop keeps
    # answering everyone else meanwhile.
    if kind == "csv":
        return Response(await run_in_threadpool(lambda: exports.to_csv(exports.table(rows, places))),
                        media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})
    title = f"Danh sách đăng ký — {fair.name}"
    return Response(await run_in_threadpool(lambda: exports.to_xlsx(exports.table(rows, places), title=title)),
                    media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get("/{fair_id}/registrations.xlsx", summary="Registrations as an Excel workbook, Vietnamese headers "
                                                     "(its organizer)", response_class=Response)
async def export_registrations_xlsx(fair_id: str, db: DbDep, principal: Organizer) -> Response:
    return await _export(db, principal, fair_id, "xlsx")


@router.get("/{fair_id}/registrations.csv", summary="Registrations as CSV (UTF-8), Vietnamese headers "
                                                    "(its organizer)", response_class=Response)
async def export_registrations_csv(fair_id: str, db: DbDep, principal: Organizer) -> Response:
    return await _export(db, principal, fair_id, "csv")
