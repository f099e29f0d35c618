"""A programme's year in figures, pure: sessions planned, held and cancelled, communes, enterprises, money."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from services.markets.domain.sessions import SessionStatus
from shared.errors import Rejected


@dataclass(frozen=True, slots=True)
class HeldFacts:
    """What the year summary needs of one session."""

    session_id: str
    status: SessionStatus
    commune_code: str
    suppliers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """What the year summary needs of one report."""

    session_id: str
    visitors: int
    revenue_vnd: int
    enterprises_present: int
    revenue_by_category: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class YearSummary:
    """The programme's year so far."""

    target_sessions: int
    sessions_scheduled: int
    sessions_held: int
    sessions_cancelled: int
    sessions_to_target: int
    communes_planned: int
    communes_covered: int
    enterprises_present: int
    suppliers_enrolled: int
    visitors: int
    revenue_vnd: int
    revenue_by_category: dict[str, int]


def summarise_year(sessions: Iterable[HeldFacts], reports: Iterable[ReportFacts], *, target: int) -> YearSummary:
    """Count sessions by state; communes, visitors, enterprises and revenue over the held (reported) ones."""
    facts = list(sessions)
    live = [s for s in facts if s.status is SessionStatus.SCHEDULED]
    done = {r.session_id: r for r in reports}
    held = [s for s in live if s.session_id in done]
    by_category: Counter[str] = Counter()
    for r in done.values():
        by_category.update(r.revenue_by_category)
    return YearSummary(
        target_sessions=target, sessions_scheduled=len(live), sessions_held=len(held),
        sessions_cancelled=len(facts) - len(live), sessions_to_target=max(target - len(live), 0),
        communes_planned=len({s.commune_code for s in live}), communes_covered=len({s.commune_code for s in held}),
        enterprises_present=sum(done[s.session_id].enterprises_present for s in held),
        suppliers_enrolled=len({k for s in live for k in s.suppliers}),
        visitors=sum(done[s.session_id].visitors for s in held),
        revenue_vnd=sum(done[s.session_id].revenue_vnd for s in held),
        revenue_by_category=dict(sorted(by_category.items())))


def check_can_report(status: SessionStatus, starts_on: date, *, today: date, already: bool) -> None:
    """A confirmed session can be reported once, from its first day on."""
    if status is not SessionStatus.SCHEDULED:
        raise Rejected(f"Phiên chợ đang ở trạng thái '{status}' / a {status} session has no results",
                       code="invalid-transition")
    if starts_on > today:
        raise Rejected(f"Phiên chợ chưa diễn ra (bắt đầu {starts_on}) / the session has not started yet",
                       code="session-not-held")
    if already:
        raise Rejected("Phiên chợ đã có báo cáo / the session is already reported", code="already-reported")
