"""Routes of one registration: read, decide, ask to resubmit, resubmit, cancel; and the caller's own list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from services.registration.api.deps import DbDep, registration_public, registrations_page
from services.registration.schemas import (
    OptionalReasonBody,
    ReasonBody,
    RegistrationPublic,
    RegistrationsPublic,
    RegistrationUpdate,
)
from services.registration.service import approvals, queries
from services.registration.service import registrations as cases
from shared.auth import CurrentPrincipal, Exhibitor, Organizer, Principal, Role, require

router = APIRouter(prefix="/registrations", tags=["registrations"])
ExhibitorOrOrganizer = Annotated[Principal, require(Role.EXHIBITOR, Role.ORGANIZER)]


@router.get("", response_model=RegistrationsPublic, summary="The calling exhibitor's own registrations (exhibitor)")
async def read_my_registrations(db: DbDep, principal: Exhibitor) -> RegistrationsPublic:
    return registrations_page(await queries.list_my_registrations(db=db, principal=principal))


@router.get("/{registration_id}", response_model=RegistrationPublic,
            summary="One registration (its exhibitor, the fair's organizer)")
async def read_registration(registration_id: str, db: DbDep, principal: CurrentPrincipal) -> RegistrationPublic:
    registration, position = await queries.get_registration(db=db, principal=principal,
                                                            registration_id=registration_id)
    return registration_public(registration, position)


@router.patch("/{registration_id}", response_model=RegistrationPublic,
              summary="Resubmit with the changes the organizer asked for; back to review (its exhibitor)")
async def update_registration(registration_id: str, body: RegistrationUpdate, db: DbDep,
                              principal: Exhibitor) -> RegistrationPublic:
    return registration_public(await cases.resubmit_registration(db=db, principal=principal,
                                                                 registration_id=registration_id, data=body))


@router.post("/{registration_id}/approve", response_model=RegistrationPublic,
             summary="Approve, or waitlist when the fair is full, answering the waitlist position and why: "
                     "registration.approved / .waitlisted (organizer)")
async def approve_registration(registration_id: str, db: DbDep, principal: Organizer) -> RegistrationPublic:
    registration = await approvals.approve_registration(db=db, principal=principal, registration_id=registration_id)
    return registration_public(registration, await queries.place_of(db=db, registration=registration))


@router.post("/{registration_id}/reject", response_model=RegistrationPublic,
             summary="Reject with a reason: registration.rejected (organizer)")
async def reject_registration(registration_id: str, body: ReasonBody, db: DbDep,
                              principal: Organizer) -> RegistrationPublic:
    rows = await cases.reject_registrations(db=db, principal=principal, fair_id=None,
                                            registration_ids=[registration_id], reason=body.reason)
    return registration_public(rows[0])


@router.post("/{registration_id}/request-changes", response_model=RegistrationPublic,
             summary="Ask the exhibitor to change and resubmit, saying what (organizer)")
async def request_changes(registration_id: str, body: ReasonBody, db: DbDep,
                          principal: Organizer) -> RegistrationPublic:
    return registration_public(await cases.request_changes(db=db, principal=principal,
                                                           registration_id=registration_id, reason=body.reason))


@router.post("/{registration_id}/cancel", response_model=RegistrationPublic,
             summary="Cancel: its exhibitor until the fair's deadline, or the organizer; registration.cancelled")
async def cancel_registration(registration_id: str, db: DbDep, principal: ExhibitorOrOrganizer,
                              body: OptionalReasonBody | None = None) -> RegistrationPublic:
    return registration_public(await cases.cancel_registration(
        db=db, principal=principal, registration_id=registration_id, note=body.reason if body else None))
