"""From a programme's stored rows to the scheduler's `PlanningProblem`, and the live-session fingerprint."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.markets.domain.calendar import public_holidays
from services.markets.domain.marketdays import rule_from_dict
from services.markets.domain.planning import Blackout, Booked, Pin, PlanningProblem, Rules, SiteSpec, SupplierSpec
from services.markets.domain.replan import LiveSession, why_it_must_move
from services.markets.domain.sessions import DateSpan, SessionStatus, stored_span
from services.markets.models import MarketSession, Programme, ProgrammePlan, SessionSupplier, Site, Supplier
from services.markets.service.programmes import cap_of, plan_of
from shared.errors import Rejected

FORBIDDEN = "ngày bị loại / a date the organizer forbade"
OTHER_PROGRAMME = "phiên của chương trình khác / another programme's session"


@dataclass
class Inputs:
    """Everything stored that a planning run reads."""

    programme: Programme
    plan: ProgrammePlan
    sites: list[Site]
    suppliers: list[Supplier]
    live: list[MarketSession]
    elsewhere: list[MarketSession]  # other programmes' live sessions at this programme's communes
    attends: dict[str, list[str]] = field(default_factory=dict)  # supplier id → session ids
    max_per_commune: int | None = None


async def load_inputs(session: AsyncSession, programme: Programme) -> Inputs:
    """Read the programme's settings, sites, suppliers and live sessions."""
    pid = programme.id
    sites = list((await session.exec(select(Site).where(Site.programme_id == pid)
                                     .order_by(col(Site.commune_code)))).all())
    suppliers = list((await session.exec(select(Supplier).where(Supplier.programme_id == pid)
                                         .order_by(col(Supplier.name)))).all())
    live = list((await session.exec(select(MarketSession).where(
        MarketSession.programme_id == pid, MarketSession.status == SessionStatus.SCHEDULED)
        .order_by(col(MarketSession.starts_on), col(MarketSession.id)))).all())
    communes = [s.commune_code for s in sites]
    elsewhere = list((await session.exec(select(MarketSession).where(
        col(MarketSession.commune_code).in_(communes), MarketSession.programme_id != pid,
        MarketSession.status == SessionStatus.SCHEDULED))).all()) if communes else []
    attends: dict[str, list[str]] = defaultdict(list)
    if live:
        rows = await session.exec(select(SessionSupplier).where(
            col(SessionSupplier.session_id).in_([s.id for s in live])))
        for row in rows.all():
            attends[row.supplier_id].append(row.session_id)
    return Inputs(programme, await plan_of(session, programme), sites, suppliers, live, elsewhere, dict(attends),
                  await cap_of(session, pid))


def fingerprint(live: list[MarketSession]) -> str:
    """A digest of the live sessions: a draft built on other sessions than today's is stale."""
    text = "|".join(f"{s.id},{s.commune_code},{s.starts_on},{s.ends_on}" for s in sorted(live, key=lambda s: s.id))
    return hashlib.sha256(text.encode()).hexdigest()


def _blackouts(stored: list[dict[str, Any]]) -> list[Blackout]:
    return [Blackout(stored_span(b), str(b.get("reason", ""))) for b in stored]


@dataclass(frozen=True, slots=True)
class Planning:
    """A problem for the scheduler, and how the live sessions were split."""

    problem: PlanningProblem
    kept: list[LiveSession]
    moving: list[tuple[LiveSession, str]]


def _site_blackouts(inputs: Inputs) -> dict[str, list[Blackout]]:
    by_site: dict[str, list[Blackout]] = defaultdict(list)
    for site in inputs.sites:
        by_site[site.commune_code] += _blackouts(site.blackouts)
    for other in inputs.elsewhere:
        by_site[other.commune_code].append(Blackout(DateSpan(other.starts_on, other.ends_on), OTHER_PROGRAMME))
    return by_site


def _rules(inputs: Inputs, first_day: date, sessions: int, blackouts: list[Blackout]) -> Rules:
    p, plan = inputs.programme, inputs.plan
    return Rules(first_day=first_day, last_day=date(p.year, 12, 31), sessions=sessions, session_days=p.session_days,
                 min_gap_days=plan.min_gap_days, max_concurrent=plan.max_concurrent,
                 market_day_mode="start" if plan.market_day_mode == "start" else "span",
                 travel_hours_per_day=plan.travel_hours_per_day, blackouts=tuple(blackouts),
                 booth_quota=p.booth_quota, enterprise_quota=p.enterprise_quota,
                 min_enterprises=min(plan.min_enterprises, p.enterprise_quota),
                 max_same_category=plan.max_same_category,
                 budget_vnd=p.budget_vnd, session_cost_vnd=plan.session_cost_vnd,
                 funded_support_vnd=plan.funded_support_vnd, max_per_commune=inputs.max_per_commune)


def _holidays(year: int) -> list[Blackout]:
    """The year's public holidays and Tết as blackouts of travel days too, with the neighbouring years' days a
    December or January trip could touch (1 January of the next year, the eve of an early Tết)."""
    edge = (date(year - 1, 12, 1), date(year + 1, 1, 31))
    days = [h for y in (year - 1, year, year + 1) for h in public_holidays(y) if edge[0] <= h.day <= edge[1]]
    return [Blackout(DateSpan(h.day, h.day), h.name, travel=True) for h in days]


def build_planning(inputs: Inputs, *, today: date, forbidden: list[date], pins: list[Pin]) -> Planning:
    """The scheduler's problem: confirmed sessions stay unless a blackout or forbidden date now covers them."""
    p = inputs.programme
    first_day = max(date(p.year, 1, 1), today + timedelta(1))
    if first_day > date(p.year, 12, 31):
        raise Rejected(f"Năm {p.year} của chương trình đã qua / the programme's year is over",
                       code="programme-year-over")
    common = _blackouts(inputs.plan.blackouts) + [Blackout(DateSpan(d, d), FORBIDDEN) for d in forbidden]
    holidays = _holidays(p.year) if inputs.plan.avoid_holidays else []
    by_site = _site_blackouts(inputs)
    travel = {s.commune_code: s.travel_hours for s in inputs.sites}
    kept: list[LiveSession] = []
    moving: list[tuple[LiveSession, str]] = []
    for s in inputs.live:
        live = LiveSession(s.id, s.commune_code, DateSpan(s.starts_on, s.ends_on))
        own = [b for b in by_site.get(s.commune_code, []) if b.reason != OTHER_PROGRAMME]
        why = why_it_must_move(live, common + own, today=today)
        if why is None:
            kept.append(live)
        else:
            moving.append((live, why))
    spans = {s.id: s.span for s in kept}
    sites = tuple(SiteSpec(s.commune_code, s.priority, s.capacity_booths, s.travel_hours, rule_from_dict(s.market_day),
                           tuple(by_site.get(s.commune_code, [])), s.max_sessions, s.name) for s in inputs.sites)
    suppliers = tuple(SupplierSpec(
        s.id, tuple(dict.fromkeys(s.categories)), tuple(stored_span(w) for w in s.availability),
        s.funded, s.max_sessions, s.booths,
        tuple(spans[i] for i in inputs.attends.get(s.id, []) if i in spans)) for s in inputs.suppliers)
    booked = tuple(Booked(s.id, s.site, s.span, travel.get(s.site, 0.0)) for s in kept)
    rules = _rules(inputs, first_day, max(p.target_sessions - len(kept), 0), common + holidays)
    return Planning(PlanningProblem(rules, sites, suppliers, booked, tuple(pins)), kept, moving)
