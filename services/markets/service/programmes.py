"""Use cases of the markets service: one transaction each, events staged in the outbox."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.markets.domain import sessions as rules
from services.markets.domain.sessions import SESSION_TRANSITIONS, BookedSession, ChangeKind, DateSpan, SessionStatus
from services.markets.models import MarketSession, Programme, ProgrammeCap, ProgrammePlan, SessionChange
from services.markets.schemas.programmes import PlanningFields, ProgrammeCreate, SessionCreate, period_dict
from shared.contracts import markets as ev
from shared.db import Database, utcnow
from shared.errors import Forbidden, Invalid, NotFound, Rejected
from shared.principal import Principal, Role
from shared.reference import geo
from shared.uow import UnitOfWork

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Namespace of the PostgreSQL advisory locks that serialise scheduling at one commune ("mkts").
_COMMUNE_LOCK_NAMESPACE = 0x6D6B7473

log = structlog.get_logger()


def owns(principal: Principal | None, programme: Programme) -> bool:
    """True if the caller is the programme's centre (an organizer of it) or an admin."""
    if principal is None:
        return False
    return principal.is_admin() or (principal.role is Role.ORGANIZER and principal.centre_id is not None
                                    and principal.centre_id == programme.centre_id)


def not_found(what: str, ident: str) -> NotFound:
    labels = {"programme": "chương trình", "session": "phiên chợ", "site": "điểm chợ", "supplier": "nhà cung cấp",
              "proposal": "phương án lịch"}
    return NotFound(f"Không tìm thấy {labels[what]} / {what} {ident} not found", code="not-found")


async def own_programme(session: AsyncSession, programme_id: str, principal: Principal) -> Programme:
    """The programme if the caller's centre runs it; 404 otherwise (another centre's is not revealed)."""
    programme = await session.get(Programme, programme_id)
    if programme is None or not owns(principal, programme):
        raise not_found("programme", programme_id)
    return programme


PROGRAMME_FIELDS = ("name", "year", "province_code", "target_sessions", "session_days", "booth_quota",
                    "enterprise_quota", "budget_vnd")


def apply_planning(plan: ProgrammePlan, data: PlanningFields) -> None:
    """Copy the planning settings the caller gave onto the plan (the others keep their values)."""
    for name in PlanningFields.model_fields:
        value = getattr(data, name)
        if value is None or name == "max_per_commune":  # kept in its own table: see save_cap
            continue
        setattr(plan, name, [period_dict(p) for p in value] if name == "blackouts" else value)


async def plan_of(session: AsyncSession, programme: Programme) -> ProgrammePlan:
    """The programme's planning settings (the defaults for a programme made before planning existed)."""
    return await session.get(ProgrammePlan, programme.id) or ProgrammePlan(programme_id=programme.id)


async def cap_of(session: AsyncSession, programme_id: str) -> int | None:
    """The programme's cap of sessions per commune per year, None for none."""
    row = await session.get(ProgrammeCap, programme_id)
    return row.max_per_commune if row is not None else None


async def save_cap(session: AsyncSession, programme_id: str, data: PlanningFields) -> None:
    """Store the cap if the caller gave it (null clears it)."""
    if "max_per_commune" not in data.model_fields_set:
        return
    row = await session.get(ProgrammeCap, programme_id) or ProgrammeCap(programme_id=programme_id)
    row.max_per_commune = data.max_per_commune
    session.add(row)


async def create_programme(*, db: Database, principal: Principal,
                           data: ProgrammeCreate) -> tuple[Programme, ProgrammePlan, int | None]:
    """Create the organizer's centre's programme for a year and announce it."""
    if not principal.centre_id:
        raise Forbidden("Tài khoản không thuộc trung tâm nào / the token names no centre", code="no-centre")
    core = data.model_dump(include=set(PROGRAMME_FIELDS))
    programme = Programme(**core, centre_id=principal.centre_id, created_by=principal.subject)
    plan = ProgrammePlan(programme_id=programme.id)
    apply_planning(plan, data)
    try:
        async with db.unit_of_work() as uow:
            session = uow.session
            session.add(programme)
            await session.flush()  # the plan's foreign key needs the programme first (PostgreSQL checks at once)
            session.add(plan)
            await save_cap(session, programme.id, data)
            uow.emit(ev.ProgrammeCreated(
                programme_id=programme.id, centre_id=programme.centre_id, name=programme.name,
                year=programme.year, province_code=programme.province_code,
                target_sessions=programme.target_sessions))
    except IntegrityError as exc:
        raise Rejected(f"Trung tâm đã có chương trình '{data.name}' năm {data.year} / the centre already has "
                       f"a programme of that name in {data.year}", field="name",
                       code="duplicate-programme") from exc
    log.info("programme.created", programme_id=programme.id, centre_id=programme.centre_id,
             year=programme.year)
    return programme, plan, data.max_per_commune


async def list_programmes(*, db: Database, principal: Principal | None,
                          year: int | None = None) -> list[Programme]:
    """An organizer sees its centre's programmes; everyone else sees all of them."""
    query = select(Programme)
    if principal is not None and principal.role is Role.ORGANIZER:
        query = query.where(Programme.centre_id == (principal.centre_id or ""))
    if year is not None:
        query = query.where(Programme.year == year)
    async with db.sessions() as session:
        rows = await session.exec(query.order_by(col(Programme.year).desc(), col(Programme.name)))
        return list(rows.all())


async def _visible_sessions(session: AsyncSession, programme: Programme,
                            principal: Principal | None) -> list[MarketSession]:
    """All sessions for the programme's centre; only confirmed (scheduled) ones for anyone else."""
    query = select(MarketSession).where(MarketSession.programme_id == programme.id)
    if not owns(principal, programme):
        query = query.where(MarketSession.status == SessionStatus.SCHEDULED)
    rows = await session.exec(query.order_by(col(MarketSession.starts_on), col(MarketSession.created_at),
                                             col(MarketSession.id)))
    return list(rows.all())


async def get_programme(*, db: Database, principal: Principal | None,
                        programme_id: str) -> tuple[Programme, ProgrammePlan, int | None, list[MarketSession]]:
    """A programme (public) with its planning settings and the sessions the caller may see."""
    async with db.sessions() as session:
        programme = await session.get(Programme, programme_id)
        if programme is None:
            raise not_found("programme", programme_id)
        return (programme, await plan_of(session, programme), await cap_of(session, programme.id),
                await _visible_sessions(session, programme, principal))


def summary_of(programme: Programme, sessions: list[MarketSession]) -> rules.ProgrammeSummary:
    """The programme's progress over the given sessions."""
    facts = [rules.SessionFacts(SessionStatus(s.status), s.commune_code, s.booth_quota) for s in sessions]
    return rules.summarise(facts, target_sessions=programme.target_sessions)


def commune_of_programme(commune_code: str, programme: Programme) -> geo.Commune:
    """The commune, which must exist and lie in the programme's province."""
    try:
        commune = geo.commune(commune_code)
    except KeyError as exc:
        raise Invalid(f"Không có xã mã {commune_code} / no commune has code {commune_code}",
                      field="commune_code", code="unknown-commune") from exc
    rules.check_commune_in_province(commune_code=commune_code, commune_province_code=commune.province_code,
                                     programme_province_code=programme.province_code)
    return commune


async def lock_commune(session: AsyncSession, commune_code: str) -> None:
    """Serialise scheduling at one commune, so two overlapping sessions cannot both pass the check."""
    connection = await session.connection()
    # SQLite's BEGIN IMMEDIATE (shared.db) already serialises writers; PostgreSQL needs a lock.
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"),
                                 {"ns": _COMMUNE_LOCK_NAMESPACE, "key": int(commune_code)})


async def booked_at(session: AsyncSession, commune_code: str) -> list[BookedSession]:
    """The live sessions already holding the commune, in any programme."""
    rows = (await session.exec(select(MarketSession).where(
        MarketSession.commune_code == commune_code, MarketSession.status == SessionStatus.SCHEDULED))).all()
    return [BookedSession(r.id, r.commune_code, DateSpan(r.starts_on, r.ends_on)) for r in rows]


async def schedule_session(*, db: Database, principal: Principal, programme_id: str,
                           data: SessionCreate) -> MarketSession:
    """Confirm a market session at a commune of the programme's province and announce it."""
    async with db.unit_of_work() as uow:
        market_session = await schedule(uow, principal=principal, programme_id=programme_id, data=data)
    log.info("session.scheduled", programme_id=programme_id, session_id=market_session.id,
             commune_code=market_session.commune_code)
    return market_session


async def schedule(uow: UnitOfWork, *, principal: Principal, programme_id: str, data: SessionCreate) -> MarketSession:
    """Schedule a session in the caller's unit of work: checked, logged, announced."""
    session = uow.session
    span = DateSpan(data.starts_on, data.ends_on)
    programme = await own_programme(session, programme_id, principal)
    rules.check_session_dates(span, year=programme.year)
    commune_of_programme(data.commune_code, programme)
    await lock_commune(session, data.commune_code)
    rules.check_no_overlap(span, commune_code=data.commune_code, booked=await booked_at(session, data.commune_code))
    market_session = MarketSession(programme_id=programme.id, province_code=programme.province_code,
                                   **data.model_dump())
    session.add(market_session)
    await session.flush()
    session.add(SessionChange(session_id=market_session.id, kind=ChangeKind.SCHEDULED, changed_by=principal.subject,
                              detail={"starts_on": str(data.starts_on), "ends_on": str(data.ends_on)}))
    uow.emit(ev.SessionScheduled(
        programme_id=programme.id, session_id=market_session.id, province_code=programme.province_code,
        commune_code=market_session.commune_code, site_name=market_session.site_name,
        starts_on=market_session.starts_on, ends_on=market_session.ends_on,
        booth_quota=market_session.booth_quota))
    return market_session


async def list_sessions(*, db: Database, principal: Principal | None,
                        programme_id: str) -> list[MarketSession]:
    """The sessions of a programme the caller may see, earliest first."""
    _, _, _, sessions = await get_programme(db=db, principal=principal, programme_id=programme_id)
    return sessions


async def cancel_session(*, db: Database, principal: Principal, session_id: str, reason: str,
                         today: date | None = None) -> MarketSession:
    """Call off a scheduled session, even at short notice (border guards may suspend a gathering)."""
    async with db.unit_of_work() as uow:
        market_session = await cancel(uow, principal=principal, session_id=session_id, reason=reason, today=today)
    log.info("session.cancelled", programme_id=market_session.programme_id, session_id=market_session.id)
    return market_session


async def cancel(uow: UnitOfWork, *, principal: Principal, session_id: str, reason: str,
                 today: date | None = None) -> MarketSession:
    """Cancel a session in the caller's unit of work: checked, logged, announced."""
    today = today or datetime.now(VIETNAM).date()
    session = uow.session
    market_session = (await session.exec(
        select(MarketSession).where(MarketSession.id == session_id).with_for_update())).first()
    if market_session is None:
        raise not_found("session", session_id)
    programme = await session.get(Programme, market_session.programme_id)
    if programme is None or not owns(principal, programme):
        raise not_found("session", session_id)
    rules.check_can_cancel(SessionStatus(market_session.status),
                            DateSpan(market_session.starts_on, market_session.ends_on), today=today)
    SESSION_TRANSITIONS.check(market_session.status, SessionStatus.CANCELLED)
    market_session.status = SessionStatus.CANCELLED
    market_session.cancel_reason = reason
    market_session.cancelled_at = utcnow()
    session.add(market_session)
    session.add(SessionChange(session_id=market_session.id, kind=ChangeKind.CANCELLED, changed_by=principal.subject,
                              detail={"reason": reason}))
    uow.emit(ev.SessionCancelled(programme_id=programme.id, session_id=market_session.id, reason=reason))
    return market_session
