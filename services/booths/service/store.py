"""What every use case of the booths service shares: the context it runs in, loading a fair's plan and
claims, and the two writes that change a booth's status — claiming and releasing — each of which stages
its event, its audit entry and its live update in the same transaction."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import bindparam, insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.booths.adapters import fastpath
from services.booths.adapters.live import LiveFeed, soon
from services.booths.domain import floorplan
from services.booths.domain.allocation.model import Request
from services.booths.domain.rules import REQUEST_TRANSITIONS, BoothStatus, ClaimState, RequestStatus
from services.booths.domain.zones import Zone, ZoneKind
from services.booths.models import Assignment, AuditEntry, BoothFair, BoothRequest, BoothZone, StandardBooth
from services.booths.service import vacancy
from services.booths.settings import BoothsSettings
from shared.contracts.booths import BoothsAssigned, BoothsReleased
from shared.db import Database, utcnow
from shared.errors import NotFound
from shared.principal import Principal, Role
from shared.uow import UnitOfWork, new_id

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Layout:
    """A fair and its plan as read at one moment."""

    fair: BoothFair
    plan: dict[str, floorplan.Booth]
    blocked: frozenset[str]
    zones: list[Zone]


class Layouts:
    """A few seconds' memory of each fair's plan, for the cheap checks in front of a crowd of picks.

    Never the final word: whatever it lets through is checked again, fresh, under the fair's lock.
    """

    def __init__(self, ttl_s: float = 5.0) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, Layout]] = {}

    async def get(self, session: AsyncSession, fair_id: str) -> Layout:
        """The fair's layout, from memory when recent; 404 for an unknown fair."""
        now = time.monotonic()
        cached = self._entries.get(fair_id)
        if cached and now - cached[0] < self.ttl_s:
            return cached[1]
        fair = await session.get(BoothFair, fair_id)
        if fair is None:
            raise fair_not_found(fair_id)
        rows = await plan_of(session, fair_id)
        layout = Layout(fair=fair, plan={code: to_plan_booth(row) for code, row in rows.items()},
                        blocked=frozenset(code for code, row in rows.items() if row.blocked),
                        zones=await zones_of(session, fair_id))
        self._entries[fair_id] = (now, layout)
        return layout

    def forget(self, fair_id: str) -> None:
        """Drop a fair's layout (this process changed it; others wait out the few seconds)."""
        self._entries.pop(fair_id, None)


@dataclass
class Context:
    """Where the use cases run: the database, Redis (holds' fast path), the live feed, the settings, the clock
    holds are taken and expire by, and two per-process memories: fairs' plans for picks (layouts) and their free
    stretches for approvals (vacancies)."""

    db: Database
    redis: aioredis.Redis
    feed: LiveFeed
    settings: BoothsSettings
    clock: Clock = utcnow
    layouts: Layouts = field(default_factory=Layouts)
    vacancies: vacancy.Vacancies = field(default_factory=vacancy.Vacancies)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """One transaction: its events go to the outbox, its after-commit actions run once it commits."""
        async with self.db.unit_of_work() as uow:
            yield uow

    def joined(self, session: AsyncSession) -> UnitOfWork:
        """A unit of work over the consumer's session (an event reaction runs in the consumer's transaction)."""
        return self.db.joined(session)


def organizes(principal: Principal | None, fair: BoothFair) -> bool:
    """Whether the caller is staff of the fair's centre (or an admin)."""
    if principal is None:
        return False
    return principal.is_admin() or (principal.role is Role.ORGANIZER and principal.centre_id is not None
                                    and principal.centre_id == fair.centre_id)


def is_exhibitor(principal: Principal | None, exhibitor_id: str | None) -> bool:
    """Whether the caller is this exhibitor: by role and id, never by the id alone (a token of any role may
    carry an `exhibitor_id` claim)."""
    return (principal is not None and principal.role is Role.EXHIBITOR and principal.exhibitor_id is not None
            and principal.exhibitor_id == exhibitor_id)


def fair_not_found(fair_id: str) -> NotFound:
    """The 404 of an unknown fair (or one the caller may not see)."""
    return NotFound(f"Không tìm thấy sơ đồ hội chợ / no floor plan for fair {fair_id}", code="not-found")


_LOCK_FAIR = select(BoothFair).where(BoothFair.id == bindparam("fair_id")).with_for_update()  # built once


async def lock_fair(session: AsyncSession, fair_id: str) -> BoothFair:
    """The fair, locked: one writer of a fair's booths at a time (PostgreSQL row lock; SQLite's BEGIN
    IMMEDIATE already serialises writers). The unique index stays the final guard if anything slips past.

    A lock lasts as long as its transaction, so the fair is read once per transaction: the consumer applies a
    batch of approvals of one fair in one transaction, and each asked for the lock it already held (a query,
    and an autoflush of the approval before it)."""
    locked = _locked_fairs(session)
    fair = locked.get(fair_id)
    if fair is None:
        fair = (await session.exec(_LOCK_FAIR, params={"fair_id": fair_id})).first()
        if fair is None:
            raise fair_not_found(fair_id)
        locked[fair_id] = fair
    return fair


async def lock_fairs(session: AsyncSession, fair_ids: Iterable[str]) -> list[BoothFair]:
    """The existing ones of these fairs, locked in id order (a batch of events touching several fairs: one
    query, and an order every locker of several fairs shares); later `lock_fair` calls find them held."""
    locked = _locked_fairs(session)
    wanted = sorted(set(fair_ids) - locked.keys())
    if not wanted:
        return []
    fairs = list((await session.exec(select(BoothFair).where(col(BoothFair.id).in_(wanted))
                                     .order_by(col(BoothFair.id)).with_for_update())).all())
    for fair in fairs:
        locked[fair.id] = fair
    return fairs


_LOCKED = "booths.locked_fairs"


def _locked_fairs(session: AsyncSession) -> dict[str, BoothFair]:
    """The fairs locked in the session's current transaction (a session's info outlives its transactions)."""
    owner = session.sync_session.get_transaction()
    kept: tuple[object, dict[str, BoothFair]] | None = session.info.get(_LOCKED)
    if kept is None or kept[0] is not owner or owner is None:
        kept = session.info[_LOCKED] = (owner, {})
    return kept[1]


async def organizer_fair(session: AsyncSession, fair_id: str, principal: Principal) -> BoothFair:
    """The fair, locked, if the caller organizes it; 404 otherwise."""
    fair = await lock_fair(session, fair_id)
    if not organizes(principal, fair):
        raise fair_not_found(fair_id)
    return fair


async def plan_of(session: AsyncSession, fair_id: str) -> dict[str, StandardBooth]:
    """The fair's booths by code."""
    rows = await session.exec(select(StandardBooth).where(StandardBooth.fair_id == fair_id))
    return {row.code: row for row in rows.all()}


async def live_claims(session: AsyncSession, fair_id: str) -> list[Assignment]:
    """Every live hold and assignment of the fair."""
    rows = await session.exec(select(Assignment).where(Assignment.fair_id == fair_id,
                                                       col(Assignment.released_at).is_(None)))
    return list(rows.all())


async def claims_of(session: AsyncSession, registration_id: str) -> list[Assignment]:
    """A registration's live holds and assignments."""
    rows = await session.exec(select(Assignment).where(Assignment.registration_id == registration_id,
                                                       col(Assignment.released_at).is_(None)))
    return sorted(rows.all(), key=lambda row: row.booth_code)


_LIVE_CLAIM = select(Assignment.__table__.c.id).where(  # type: ignore[attr-defined]
    Assignment.__table__.c.registration_id == bindparam("registration_id"),  # type: ignore[attr-defined]
    Assignment.__table__.c.released_at.is_(None)).limit(1)  # type: ignore[attr-defined]


async def has_live_claims(session: AsyncSession, registration_id: str) -> bool:
    """Whether a registration holds or has booths: one probe of the registration's index, built once, read as
    a bare row. Core, so it does not autoflush: a claim still pending in the session is not seen."""
    return (await session.exec(_LIVE_CLAIM, params={"registration_id": registration_id})).first() is not None


async def zones_of(session: AsyncSession, fair_id: str) -> list[Zone]:
    """The fair's zones."""
    rows = await session.exec(select(BoothZone).where(BoothZone.fair_id == fair_id).order_by(col(BoothZone.code)))
    return [to_zone(row) for row in rows.all()]


def to_zone(row: BoothZone) -> Zone:
    """The pure zone of a stored one."""
    return Zone(code=row.code, name=row.name, kind=ZoneKind(row.kind), sectors=tuple(row.sectors),
                province_code=row.province_code)


def to_plan_booth(row: StandardBooth) -> floorplan.Booth:
    """The pure floor-plan booth of a stored one."""
    return floorplan.Booth(code=row.code, row=row.row, col=row.col, x_m=row.x_m, y_m=row.y_m, corner=row.corner,
                           hall=row.hall, width_m=row.width_m, depth_m=row.depth_m, zone=row.zone)


def to_request(row: BoothRequest, rank: int = 0) -> Request:
    """The pure allocation request of a stored one."""
    return Request(registration_id=row.registration_id, booths=row.booths_requested, priority=row.priority_score,
                   sector=row.sector, province_code=row.province_code, wants_corner=row.wants_corner, rank=rank,
                   exhibitor_id=row.exhibitor_id)


async def free_booths(session: AsyncSession, fair_id: str) -> list[floorplan.Booth]:
    """The fair's booths neither blocked nor held nor assigned."""
    taken = select(Assignment.booth_code).where(Assignment.fair_id == fair_id, col(Assignment.released_at).is_(None))
    rows = await session.exec(select(StandardBooth).where(
        StandardBooth.fair_id == fair_id, col(StandardBooth.blocked).is_(False),
        col(StandardBooth.code).not_in(taken)))
    return [to_plan_booth(row) for row in rows.all()]


def audit(session: AsyncSession, *, fair_id: str, actor: str, action: str, registration_id: str | None = None,
          codes: Sequence[str] = (), detail: str = "") -> None:
    """Append one entry to the fair's audit log (written by the session's next flush)."""
    entry = AuditEntry(fair_id=fair_id, actor=actor, action=action, registration_id=registration_id,
                       booth_codes=list(codes), detail=detail[:4000])
    session.add(entry)
    vacancy.noted(session, entry)


_CLAIMS: Any = Assignment.__table__  # type: ignore[attr-defined]
_AUDIT_LOG: Any = AuditEntry.__table__  # type: ignore[attr-defined]
_INSERT_CLAIM, _INSERT_AUDIT = insert(_CLAIMS), insert(_AUDIT_LOG)  # Core, the rows as parameters: built once


async def write_audit(session: AsyncSession, *, fair_id: str, actor: str, action: str,
                      registration_id: str | None = None, codes: Sequence[str] = (), detail: str = "") -> None:
    """`audit`, written now by one Core INSERT: the same row, without an object to build and flush (an approval's
    path, where the ORM's share of the CPU was the larger one)."""
    result: Any = await session.exec(_INSERT_AUDIT, params={
        "fair_id": fair_id, "at": utcnow(), "actor": actor, "action": action, "registration_id": registration_id,
        "booth_codes": list(codes), "detail": detail[:4000]})
    vacancy.noted(session, vacancy.Written(fair_id=fair_id, action=action, id=result.inserted_primary_key[0]))


@dataclass(frozen=True)
class Claim:
    """Booths to give a registration: which, why, how (the event's ``operation``), by whom."""

    booth_codes: tuple[str, ...]
    reason: str
    operation: str
    actor: str
    corner_count: int = 0
    assignment_id: str = ""
    previous_booth_codes: tuple[str, ...] = ()


async def assign(uow: UnitOfWork, ctx: Context, request: BoothRequest, claim: Claim) -> str:
    """Assign booths to an approved registration and announce it (`booths.assigned`); the assignment id.

    The claims and the audit entry are written at once, by Core INSERTs (rows built as parameters, no ORM
    object): claims a caller released just before must be flushed first (move and swap do), the unique index
    of live booths sees the statements in the order they run."""
    session = uow.session
    assignment_id, now = claim.assignment_id or new_id(), ctx.clock()
    mark(request, status=RequestStatus.ASSIGNED, reason=claim.reason, at=now)
    session.add(request)
    rows = [{"assignment_id": assignment_id, "fair_id": request.fair_id, "booth_code": code,
             "registration_id": request.registration_id, "exhibitor_id": request.exhibitor_id,
             "state": ClaimState.ASSIGNED.value, "reason": claim.reason[:1000], "assigned_at": now,
             "expires_at": None, "released_at": None, "release_reason": None} for code in claim.booth_codes]
    if rows:
        await session.exec(_INSERT_CLAIM, params=rows[0] if len(rows) == 1 else rows)
    vacancy.claimed(session, request.fair_id, claim.booth_codes)
    uow.emit(BoothsAssigned(
        fair_id=request.fair_id, registration_id=request.registration_id, exhibitor_id=request.exhibitor_id,
        booth_codes=list(claim.booth_codes), assignment_id=assignment_id, corner_count=claim.corner_count,
        reason=claim.reason, operation=claim.operation,
        previous_booth_codes=list(claim.previous_booth_codes)))
    await write_audit(session, fair_id=request.fair_id, actor=claim.actor, action=claim.operation,
                      registration_id=request.registration_id, codes=claim.booth_codes, detail=claim.reason)
    ctx.feed.stage(uow, request.fair_id, dict.fromkeys(claim.booth_codes, BoothStatus.ASSIGNED.value),
                   claim.operation)
    return assignment_id


def release(uow: UnitOfWork, ctx: Context, rows: Sequence[Assignment], *, cause: str, reason: str,
            actor: str, plan: dict[str, StandardBooth] | None = None) -> list[str]:
    """End live claims and announce it (`booths.released`); the released codes (nothing: no event)."""
    if not rows:
        return []
    session = uow.session
    now, first = ctx.clock(), rows[0]
    for row in rows:
        row.released_at, row.release_reason = now, reason[:1000]
        session.add(row)
    codes = sorted(row.booth_code for row in rows)
    vacancy.forget(session, first.fair_id)
    uow.emit(BoothsReleased(fair_id=first.fair_id, registration_id=first.registration_id,
                            exhibitor_id=first.exhibitor_id, booth_codes=codes, reason=reason, cause=cause,
                            assignment_id=first.assignment_id))
    audit(session, fair_id=first.fair_id, actor=actor, action=f"release:{cause}",
          registration_id=first.registration_id, codes=codes, detail=reason)
    held = [row.booth_code for row in rows if row.state == ClaimState.HELD]
    if held:
        uow.after_commit(soon(lambda: fastpath.unreserve(ctx.redis, first.fair_id, held, first.assignment_id)))
    blocked = {code for code, booth in (plan or {}).items() if booth.blocked}
    ctx.feed.stage(uow, first.fair_id, {code: (BoothStatus.BLOCKED if code in blocked else BoothStatus.FREE).value
                                            for code in codes}, cause)
    return codes


def mark(request: BoothRequest, *, status: RequestStatus, reason: str, at: datetime | None = None) -> None:
    """Set where a request stands and why (a move its transition table refuses is a 409)."""
    REQUEST_TRANSITIONS.check(request.status, status)
    request.status, request.reason, request.recorded_at = status, reason[:1000], at or utcnow()
