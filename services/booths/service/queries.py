"""Read side of the booths service: floor plans, assignments, requests, holds and the audit log, filtered by
who is asking.

Disclosure is decided here, not in the routes, so no endpoint can leak whose booth is whose: the fair's
own organizers (and admins) see every registration, exhibitor and name; an exhibitor sees only its own;
the public sees statuses, and the exhibitor's name only on assigned booths that are paid for — never on
a hold or an unpaid assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import and_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.booths.domain import rules
from services.booths.domain.geometry import neighbours
from services.booths.domain.zones import Zone
from services.booths.models import Assignment, AuditEntry, BoothFair, BoothRequest, StandardBooth
from services.booths.service.store import fair_not_found, organizes, to_plan_booth, zones_of
from shared.db import Database
from shared.principal import Principal, Role


@dataclass(frozen=True)
class Floorplan:
    """A fair's plan as one caller may see it."""

    fair: BoothFair
    booths: list[rules.BoothState]
    zones: list[Zone]
    neighbours: dict[str, list[str]]


@dataclass(frozen=True)
class AssignmentGroup:
    """The booths given to one registration in one decision."""

    assignment_id: str
    registration_id: str
    exhibitor_id: str
    booth_codes: list[str]
    corner_count: int
    reason: str
    assigned_at: datetime
    released_at: datetime | None
    release_reason: str | None


async def _fair(session: AsyncSession, fair_id: str) -> BoothFair:
    fair = await session.get(BoothFair, fair_id)
    if fair is None:
        raise fair_not_found(fair_id)
    return fair


def _own(principal: Principal | None, exhibitor_id: str | None) -> bool:
    return (principal is not None and principal.role is Role.EXHIBITOR and principal.exhibitor_id is not None
            and exhibitor_id == principal.exhibitor_id)


async def get_floorplan(*, db: Database, fair_id: str, principal: Principal | None) -> Floorplan:
    """Every booth of the fair with its status; whose booth it is only for those who may know."""
    async with db.sessions() as session:
        fair = await _fair(session, fair_id)
        booths = (await session.exec(select(StandardBooth).where(StandardBooth.fair_id == fair_id)
                                     .order_by(col(StandardBooth.hall), col(StandardBooth.y_m),
                                               col(StandardBooth.x_m)))).all()
        live = (await session.exec(select(Assignment).where(
            Assignment.fair_id == fair_id, col(Assignment.released_at).is_(None)))).all()
        requests = {r.registration_id: r for r in (await session.exec(
            select(BoothRequest).where(BoothRequest.fair_id == fair_id))).all()}
        zones = await zones_of(session, fair_id)
    holder = {row.booth_code: row for row in live}
    organizer = organizes(principal, fair)
    states = [_state(booth, holder.get(booth.code), requests, principal, organizer) for booth in booths]
    plan = [to_plan_booth(booth) for booth in booths]
    return Floorplan(fair=fair, booths=states, zones=zones, neighbours=neighbours(plan))


def _state(booth: StandardBooth, claim: Assignment | None, requests: dict[str, BoothRequest],
           principal: Principal | None, organizer: bool) -> rules.BoothState:
    status = rules.booth_status(blocked=booth.blocked,
                                 claim=rules.ClaimState(claim.state) if claim else None)
    plain = rules.BoothState(booth=to_plan_booth(booth), status=status)
    if claim is None:
        return plain
    request = requests.get(claim.registration_id)
    name = request.exhibitor_name if request else None
    if organizer or _own(principal, claim.exhibitor_id):
        return rules.BoothState(booth=plain.booth, status=status, registration_id=claim.registration_id,
                                 exhibitor_id=claim.exhibitor_id, exhibitor_name=name, held_until=claim.expires_at)
    if status is rules.BoothStatus.ASSIGNED and request is not None and request.paid:
        return rules.BoothState(booth=plain.booth, status=status, exhibitor_name=name)
    return plain


async def list_assignments(*, db: Database, fair_id: str, principal: Principal,
                           include_released: bool = False) -> list[AssignmentGroup]:
    """The fair's assignments for its organizers; an exhibitor's own only, for an exhibitor."""
    async with db.sessions() as session:
        fair = await _fair(session, fair_id)
        query = (select(Assignment, StandardBooth.corner)
                 .join(StandardBooth, and_(col(StandardBooth.fair_id) == col(Assignment.fair_id),
                                           col(StandardBooth.code) == col(Assignment.booth_code)))
                 .where(Assignment.fair_id == fair_id, Assignment.state == rules.ClaimState.ASSIGNED.value)
                 .order_by(col(Assignment.assigned_at), col(Assignment.assignment_id), col(Assignment.booth_code)))
        if not include_released:
            query = query.where(col(Assignment.released_at).is_(None))
        query = _visible(query, fair, principal, Assignment.exhibitor_id)
        rows = (await session.exec(query)).all()
    key = lambda pair: (pair[0].assignment_id, pair[0].assigned_at, pair[0].released_at)  # noqa: E731
    return [_group(list(group)) for _, group in groupby(rows, key=key)]


def _visible(query, fair: BoothFair, principal: Principal, column):  # type: ignore[no-untyped-def]
    """Restrict a query to the caller's own rows unless it organizes the fair; 404 for other roles."""
    if organizes(principal, fair):
        return query
    if principal.role is not Role.EXHIBITOR:
        raise fair_not_found(fair.id)
    return query.where(column == (principal.exhibitor_id or ""))


def _group(pairs: list[tuple[Assignment, bool]]) -> AssignmentGroup:
    first = pairs[0][0]
    return AssignmentGroup(
        assignment_id=first.assignment_id, registration_id=first.registration_id,
        exhibitor_id=first.exhibitor_id, booth_codes=[row.booth_code for row, _ in pairs],
        corner_count=sum(1 for _, corner in pairs if corner), reason=first.reason,
        assigned_at=first.assigned_at, released_at=first.released_at, release_reason=first.release_reason)


async def list_requests(*, db: Database, fair_id: str, principal: Principal,
                        status: str | None = None) -> list[BoothRequest]:
    """The fair's known registrations as booths sees them (an exhibitor: its own), oldest first."""
    async with db.sessions() as session:
        fair = await _fair(session, fair_id)
        query = select(BoothRequest).where(BoothRequest.fair_id == fair_id)
        if status:
            query = query.where(BoothRequest.status == status)
        query = _visible(query, fair, principal, BoothRequest.exhibitor_id)
        rows = await session.exec(query.order_by(col(BoothRequest.approved_at), col(BoothRequest.registration_id)))
        return list(rows.all())


async def list_holds(*, db: Database, fair_id: str, principal: Principal) -> list[Assignment]:
    """Live holds: all of them for the fair's organizers, an exhibitor's own for it."""
    async with db.sessions() as session:
        fair = await _fair(session, fair_id)
        query = select(Assignment).where(Assignment.fair_id == fair_id, col(Assignment.released_at).is_(None),
                                         Assignment.state == rules.ClaimState.HELD.value)
        query = _visible(query, fair, principal, Assignment.exhibitor_id)
        rows = await session.exec(query.order_by(col(Assignment.assigned_at), col(Assignment.booth_code)))
        return list(rows.all())


async def list_audit(*, db: Database, fair_id: str, principal: Principal, limit: int = 500) -> list[AuditEntry]:
    """The fair's audit log, newest first (organizers)."""
    async with db.sessions() as session:
        fair = await _fair(session, fair_id)
        if not organizes(principal, fair):
            raise fair_not_found(fair_id)
        rows = await session.exec(select(AuditEntry).where(AuditEntry.fair_id == fair_id)
                                  .order_by(col(AuditEntry.id).desc()).limit(limit))
        return list(rows.all())


def audit_codes(entry: AuditEntry) -> list[str]:
    """The booth codes an audit entry names."""
    return list(entry.booth_codes)
