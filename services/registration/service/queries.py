"""Read-only use cases over registrations: one, a fair's, the caller's own, with waitlist positions."""

from __future__ import annotations

from typing import Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.registration.domain import capacity
from services.registration.domain.registrations import RegistrationStatus
from services.registration.models import Exhibitor, Fair, Registration
from services.registration.service.common import (
    candidate,
    fair_of_centre,
    is_exhibitor,
    owns_fair,
    registration_not_found,
    waitlist,
    waitlist_place,
)
from shared.db import Database
from shared.principal import Principal, Role

Order = Literal["submitted", "priority"]
Ranked = tuple[Registration, int | None]


async def positions(session: AsyncSession, fair_id: str) -> dict[str, int]:
    """Waitlist positions of a fair's waitlisted registrations, 1 = promoted first."""
    ordered = capacity.waitlist_order(candidate(r) for r in await waitlist(session, fair_id))
    return {c.registration_id: index for index, c in enumerate(ordered, start=1)}


async def waitlist_positions(*, db: Database, fair_id: str) -> dict[str, int]:
    """The fair's waitlist positions as they stand now."""
    async with db.sessions() as session:
        return await positions(session, fair_id)


async def place_of(*, db: Database, registration: Registration) -> int | None:
    """A registration's place on its fair's waitlist as it stands now (None unless waitlisted)."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None  # known without a session: opening one was ~8 % of an approval's CPU
    async with db.sessions() as session:
        return await _place(session, registration)


async def get_registration(*, db: Database, principal: Principal, registration_id: str) -> Ranked:
    """A registration its exhibitor or the fair's centre may read (404 for anyone else)."""
    async with db.sessions() as session:
        registration = await session.get(Registration, registration_id)
        if registration is not None:
            fair = await session.get(Fair, registration.fair_id)
            if is_exhibitor(principal, registration.exhibitor_id) or (fair is not None and owns_fair(principal, fair)):
                return registration, await _place(session, registration)
    raise registration_not_found(registration_id)


async def list_fair_registrations(*, db: Database, principal: Principal, fair_id: str,
                                  status: RegistrationStatus | None = None, order: Order = "submitted") -> list[Ranked]:
    """The registrations of one of the organizer's fairs, oldest first or in priority order."""
    async with db.sessions() as session:
        await fair_of_centre(session, fair_id, principal)
        query = select(Registration).where(Registration.fair_id == fair_id)
        if status:
            query = query.where(Registration.status == status)
        rows = list((await session.exec(query.order_by(col(Registration.submitted_at), col(Registration.id)))).all())
        if order == "priority":
            rows.sort(key=lambda r: capacity.rank_key(candidate(r)))
        places = await positions(session, fair_id)
        return [(r, places.get(r.id)) for r in rows]


async def export_rows(*, db: Database, principal: Principal, fair_id: str
                      ) -> tuple[Fair, list[tuple[Registration, Exhibitor]], dict[str, int]]:
    """A fair, its registrations with their exhibitors in priority order, and the waitlist positions."""
    async with db.sessions() as session:
        fair = await fair_of_centre(session, fair_id, principal)
        rows = list((await session.exec(select(Registration, Exhibitor).join(Exhibitor)
                                        .where(Registration.fair_id == fair_id))).all())
        rows.sort(key=lambda pair: capacity.rank_key(candidate(pair[0])))
        return fair, [(r, e) for r, e in rows], await positions(session, fair_id)


async def list_my_registrations(*, db: Database, principal: Principal) -> list[Ranked]:
    """The calling exhibitor's own registrations, newest first."""
    async with db.sessions() as session:
        rows = list((await session.exec(select(Registration).where(
            Registration.exhibitor_id == ((principal.role is Role.EXHIBITOR and principal.exhibitor_id) or ""))
            .order_by(col(Registration.submitted_at).desc()))).all())
        return [(registration, await _place(session, registration)) for registration in rows]


async def _place(session: AsyncSession, registration: Registration) -> int | None:
    """A waitlisted registration's place, counted by the database (None for any other status)."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return await waitlist_place(session, registration.fair_id, candidate(registration))
