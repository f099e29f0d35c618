"""HTTP routes of exhibitors' self-service: holds on picked booths, confirmation, wishes."""

from __future__ import annotations

from fastapi import APIRouter

from services.booths.api.deps import CtxDep, OrganizerOrExhibitor
from services.booths.schemas.assignments import RequestPublic
from services.booths.schemas.holds import HoldIn, HoldPublic, HoldsPublic, PreferencesIn
from services.booths.service import holds as cases
from services.booths.service import queries
from shared.auth import Exhibitor

router = APIRouter(prefix="/fairs", tags=["holds"])


@router.post("/{fair_id}/holds", response_model=HoldPublic, status_code=201,
            responses={409: {"description": "a booth is already held or assigned (problem+json)"}},
            summary="Pick booths for one's approved registration: they are held until `expires_at`, then "
                    "released unless confirmed (exhibitors, fairs in exhibitor_picks mode)")
async def create_hold(fair_id: str, body: HoldIn, ctx: CtxDep, principal: Exhibitor) -> HoldPublic:
    hold = await cases.hold_booths(ctx=ctx, principal=principal, fair_id=fair_id,
                                   registration_id=body.registration_id, booth_codes=body.booth_codes)
    return HoldPublic(hold_id=hold.hold_id, registration_id=hold.registration_id, exhibitor_id=hold.exhibitor_id,
                      booth_codes=list(hold.booth_codes), expires_at=hold.expires_at)


@router.get("/{fair_id}/holds", response_model=HoldsPublic,
           summary="Live holds: all for the fair's organizers, an exhibitor's own for it")
async def read_holds(fair_id: str, ctx: CtxDep, principal: OrganizerOrExhibitor) -> HoldsPublic:
    rows = await queries.list_holds(db=ctx.db, fair_id=fair_id, principal=principal)
    grouped: dict[str, HoldPublic] = {}
    for row in rows:
        hold = grouped.setdefault(row.assignment_id, HoldPublic(
            hold_id=row.assignment_id, registration_id=row.registration_id, exhibitor_id=row.exhibitor_id,
            booth_codes=[], expires_at=row.expires_at or row.assigned_at))
        hold.booth_codes.append(row.booth_code)
    return HoldsPublic(data=list(grouped.values()), count=len(grouped))


@router.post("/{fair_id}/holds/{hold_id}/confirm", response_model=str,
            summary="Confirm a live hold: its booths are assigned (the exhibitor who holds it, or an organizer)")
async def confirm_hold(fair_id: str, hold_id: str, ctx: CtxDep, principal: OrganizerOrExhibitor) -> str:
    return await cases.confirm_hold(ctx=ctx, principal=principal, fair_id=fair_id, hold_id=hold_id)


@router.delete("/{fair_id}/holds/{hold_id}", response_model=list[str],
              summary="Give a hold up; its booths are free again (the exhibitor who holds it, or an organizer)")
async def delete_hold(fair_id: str, hold_id: str, ctx: CtxDep, principal: OrganizerOrExhibitor) -> list[str]:
    return await cases.drop_hold(ctx=ctx, principal=principal, fair_id=fair_id, hold_id=hold_id)


@router.put("/{fair_id}/requests/{registration_id}/preferences", response_model=RequestPublic,
           summary="State a wish for a corner booth (the registration's exhibitor, or an organizer)")
async def set_preferences(fair_id: str, registration_id: str, body: PreferencesIn, ctx: CtxDep,
                          principal: OrganizerOrExhibitor) -> RequestPublic:
    row = await cases.set_preferences(ctx=ctx, principal=principal, fair_id=fair_id, registration_id=registration_id,
                                      wants_corner=body.wants_corner)
    return RequestPublic.model_validate(row.model_dump())
