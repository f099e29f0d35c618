"""Market-session rules, pure: a session's dates, overlaps at one commune, cancellation, the summary."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from shared.errors import Invalid, Rejected
from shared.states import Transitions

# Observed practice is 3–7 days per session (domain brief); 7 is the hard ceiling for any one session.
MAX_SESSION_DAYS = 7


class SessionStatus(StrEnum):
    """Where a market session is in its life (drafts of the scheduler come later)."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


SESSION_TRANSITIONS = Transitions(("phiên chợ", "market session"), {SessionStatus.SCHEDULED: {SessionStatus.CANCELLED}})


class ChangeKind(StrEnum):
    """What happened to a session, in its change log."""

    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class DateSpan:
    """Whole days from `starts_on` to `ends_on`, both included."""

    starts_on: date
    ends_on: date

    @property
    def days(self) -> int:
        """How many days the span covers (a one-day session counts 1)."""
        return (self.ends_on - self.starts_on).days + 1

    def overlaps(self, other: DateSpan) -> bool:
        """True if the two spans share at least one day."""
        return self.starts_on <= other.ends_on and other.starts_on <= self.ends_on


def stored_span(stored: Mapping[str, Any]) -> DateSpan:
    """The span of a stored period ({"starts_on": "YYYY-MM-DD", "ends_on": "YYYY-MM-DD", ...})."""
    return DateSpan(date.fromisoformat(stored["starts_on"]), date.fromisoformat(stored["ends_on"]))


@dataclass(frozen=True, slots=True)
class BookedSession:
    """A live session already holding a commune for some days."""

    session_id: str
    commune_code: str
    span: DateSpan


def check_session_dates(span: DateSpan, *, year: int) -> None:
    """A session ends on or after it starts, lasts at most a week, and falls inside the programme's year."""
    if span.ends_on < span.starts_on:
        raise Invalid("Ngày kết thúc trước ngày bắt đầu / the session ends before it starts", field="ends_on",
                      code="invalid-dates")
    if span.days > MAX_SESSION_DAYS:
        raise Invalid(f"Phiên chợ dài tối đa {MAX_SESSION_DAYS} ngày / a session lasts at most "
                      f"{MAX_SESSION_DAYS} days (this one {span.days})", field="ends_on",
                      code="session-too-long")
    if span.starts_on.year != year:
        raise Invalid(f"Phiên chợ phải thuộc năm {year} của chương trình / the session must start in the "
                      f"programme's year {year}", field="starts_on", code="outside-programme-year")
    if span.ends_on.year != year:
        raise Invalid(f"Phiên chợ phải kết thúc trong năm {year} / the session must end in the programme's "
                      f"year {year}", field="ends_on", code="outside-programme-year")


def check_commune_in_province(*, commune_province_code: str, programme_province_code: str,
                              commune_code: str) -> None:
    """A programme's sessions are held in communes of its own province."""
    if commune_province_code != programme_province_code:
        raise Invalid(f"Xã {commune_code} không thuộc tỉnh của chương trình ({programme_province_code}) / "
                      f"commune {commune_code} is not in the programme's province {programme_province_code}",
                      field="commune_code", code="commune-outside-province")


def check_no_overlap(span: DateSpan, *, commune_code: str, booked: Iterable[BookedSession]) -> None:
    """A commune hosts one session at a time: refuse days already held by a live session there."""
    for other in booked:
        if other.commune_code == commune_code and other.span.overlaps(span):
            raise Rejected(f"Xã {commune_code} đã có phiên chợ từ {other.span.starts_on} đến "
                           f"{other.span.ends_on} / commune {commune_code} already hosts session "
                           f"{other.session_id} on overlapping days", field="starts_on",
                           code="session-overlap")


def check_can_cancel(status: SessionStatus, span: DateSpan, *, today: date) -> None:
    """Only a scheduled session that has not yet ended can be cancelled (even on its first day)."""
    if status is not SessionStatus.SCHEDULED:
        raise Rejected(f"Phiên chợ đang ở trạng thái '{status}' / a {status} session cannot be cancelled",
                       code="invalid-transition")
    if span.ends_on < today:
        raise Rejected("Phiên chợ đã kết thúc / the session has already ended", code="session-ended")


@dataclass(frozen=True, slots=True)
class ProgrammeSummary:
    """How far a programme has come towards its target."""

    sessions_scheduled: int
    sessions_cancelled: int
    communes_covered: int
    booths_planned: int
    sessions_to_target: int


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the summary needs to know of one session."""

    status: SessionStatus
    commune_code: str
    booth_quota: int


def summarise(sessions: Iterable[SessionFacts], *, target_sessions: int) -> ProgrammeSummary:
    """Count live and cancelled sessions, distinct communes served and booths planned."""
    facts = list(sessions)
    live = [s for s in facts if s.status is SessionStatus.SCHEDULED]
    return ProgrammeSummary(
        sessions_scheduled=len(live),
        sessions_cancelled=len(facts) - len(live),
        communes_covered=len({s.commune_code for s in live}),
        booths_planned=sum(s.booth_quota for s in live),
        sessions_to_target=max(target_sessions - len(live), 0),
    )


def default_priority(*, mountain: bool, border: bool, island: bool, difficult: bool) -> int:
    """A site's priority from its flags: border and extremely difficult communes first, then islands, mountains."""
    return 1 + 3 * border + 3 * difficult + 2 * island + 1 * mountain


def default_site_name(kind: str, name: str) -> str:
    """The market's name when the organizer gives none: "Chợ xã Đồng Văn" — the unit's kind in lower case
    (it follows "Chợ"), the commune's own name as written (a proper noun keeps its capitals)."""
    return f"Chợ {kind.lower()} {name}"
