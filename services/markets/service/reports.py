"""Use cases after the planning: a session's results, the programme's year summary, calendar feeds."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.markets.adapters import ical
from services.markets.domain import results
from services.markets.domain.sessions import SessionStatus
from services.markets.models import (
    MarketSession,
    Programme,
    SessionChange,
    SessionReport,
    SessionSupplier,
    Site,
)
from services.markets.schemas.plans import SessionReportCreate
from services.markets.service.programmes import not_found, owns
from services.markets.service.proposals import today_in_vietnam
from shared.contracts import markets as ev
from shared.db import Database
from shared.errors import Rejected
from shared.principal import Principal
from shared.reference import geo

log = structlog.get_logger()


async def report_session(*, db: Database, principal: Principal, session_id: str, data: SessionReportCreate,
                         today: date | None = None) -> SessionReport:
    """Record what a held session achieved, once, and announce it."""
    try:
        async with db.unit_of_work() as uow:
            session = uow.session
            market_session = await session.get(MarketSession, session_id)
            programme = await session.get(Programme, market_session.programme_id) if market_session else None
            if market_session is None or programme is None or not owns(principal, programme):
                raise not_found("session", session_id)
            already = await session.get(SessionReport, session_id) is not None
            results.check_can_report(SessionStatus(market_session.status), market_session.starts_on,
                                     today=today_in_vietnam(today), already=already)
            report = SessionReport(session_id=session_id, programme_id=programme.id, visitors=data.visitors,
                                   revenue_vnd=data.revenue_vnd, enterprises_present=data.enterprises_present,
                                   goods_sold=[g.model_dump() for g in data.goods_sold], note=data.note,
                                   reported_by=principal.subject)
            session.add(report)
            uow.emit(ev.SessionReported(
                programme_id=programme.id, session_id=session_id, visitors=data.visitors,
                revenue_vnd=data.revenue_vnd, enterprises_present=data.enterprises_present,
                commune_code=market_session.commune_code,
                goods_categories=list(dict.fromkeys(g.category for g in data.goods_sold))))
    except IntegrityError as exc:  # two reports at once: the second loses on the primary key
        raise Rejected("Phiên chợ đã có báo cáo / the session is already reported", code="already-reported") from exc
    log.info("session.reported", programme_id=programme.id, session_id=session_id)
    return report


async def get_report(*, db: Database, session_id: str) -> SessionReport:
    """A session's results (public: the programme reports them to partners)."""
    async with db.sessions() as session:
        report = await session.get(SessionReport, session_id)
        if report is None:
            raise not_found("session", session_id)
        return report


async def _sessions(session: AsyncSession, programme_id: str) -> list[MarketSession]:
    rows = await session.exec(select(MarketSession).where(MarketSession.programme_id == programme_id)
                              .order_by(col(MarketSession.starts_on), col(MarketSession.id)))
    return list(rows.all())


async def programme_summary(*, db: Database, programme_id: str) -> tuple[Programme, results.YearSummary]:
    """The programme's year: sessions planned, held, cancelled; communes covered, enterprises, revenue (public)."""
    async with db.sessions() as session:
        programme = await session.get(Programme, programme_id)
        if programme is None:
            raise not_found("programme", programme_id)
        sessions = await _sessions(session, programme_id)
        reports = (await session.exec(select(SessionReport).where(SessionReport.programme_id == programme_id))).all()
        ids = [s.id for s in sessions]
        links = (await session.exec(select(SessionSupplier).where(col(SessionSupplier.session_id).in_(ids)))).all() \
            if ids else []
    suppliers: dict[str, list[str]] = defaultdict(list)
    for link in links:
        suppliers[link.session_id].append(link.supplier_id)
    facts = [results.HeldFacts(s.id, SessionStatus(s.status), s.commune_code, tuple(suppliers[s.id]))
             for s in sessions]
    report_facts = [results.ReportFacts(r.session_id, r.visitors, r.revenue_vnd, r.enterprises_present,
                                        _by_category(r)) for r in reports]
    return programme, results.summarise_year(facts, report_facts, target=programme.target_sessions)


def _by_category(report: SessionReport) -> dict[str, int]:
    total: Counter[str] = Counter()
    for g in report.goods_sold:
        total[str(g["category"])] += int(g.get("revenue_vnd") or 0)
    return dict(total)


def _name(code: str, lookup: str) -> str:
    try:
        return geo.commune(code).full_name if lookup == "commune" else geo.province(code).name
    except KeyError:
        return ""


async def calendar(*, db: Database, programme_id: str, commune_code: str | None = None) -> tuple[str, bytes]:
    """The programme's (or one commune's) sessions as an iCalendar feed (public); its name and bytes."""
    async with db.sessions() as session:
        programme = await session.get(Programme, programme_id)
        if programme is None:
            raise not_found("programme", programme_id)
        sessions = [s for s in await _sessions(session, programme_id)
                    if commune_code is None or s.commune_code == commune_code]
        ids = [s.id for s in sessions]
        changes = (await session.exec(select(SessionChange).where(col(SessionChange.session_id).in_(ids)))).all() \
            if ids else []
    count: Counter[str] = Counter(c.session_id for c in changes)
    last = {c.session_id: c.changed_at for c in sorted(changes, key=lambda c: c.changed_at)}
    province = _name(programme.province_code, "province")
    entries = [ical.FeedSession(
        s.id, _name(s.commune_code, "commune"), province, s.site_name, s.starts_on, s.ends_on, s.booth_quota,
        s.status == SessionStatus.CANCELLED, max(count[s.id] - 1, 0), last.get(s.id, s.cancelled_at or s.created_at))
        for s in sessions]
    name = programme.name + (f" – {_name(commune_code, 'commune')}" if commune_code else "")
    return name, ical.feed(name, entries)


async def site_calendar(*, db: Database, site_id: str) -> tuple[str, bytes]:
    """One site's sessions as an iCalendar feed (public)."""
    async with db.sessions() as session:
        site = await session.get(Site, site_id)
        if site is None:
            raise not_found("site", site_id)
    return await calendar(db=db, programme_id=site.programme_id, commune_code=site.commune_code)
