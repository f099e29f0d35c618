"""Events of the markets service, on topic `markets.events`, keyed by programme id."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from shared.contracts.base import CommuneCode, ProgrammeEvent, ProvinceCode, Vnd

TOPIC = "markets.events"


class ProgrammeCreated(ProgrammeEvent):
    """A centre created its year's "Đưa hàng Việt về miền núi, biên giới" programme. Sent once."""

    event_name = "programme.created"
    topic = TOPIC
    centre_id: str
    name: str
    year: int
    province_code: ProvinceCode
    target_sessions: int = Field(ge=0)


class SessionEvent(ProgrammeEvent):
    """An event about one market session (phiên chợ) of a programme."""

    topic = TOPIC
    session_id: str

    def subject(self) -> str:
        return self.session_id


class SessionScheduled(SessionEvent):
    """A market session was confirmed for a commune and dates. Not sent for draft proposals."""

    event_name = "session.scheduled"
    province_code: ProvinceCode
    commune_code: CommuneCode
    site_name: str = ""
    starts_on: date
    ends_on: date
    booth_quota: int = Field(gt=0)


class SessionRescheduled(SessionEvent):
    """A confirmed session moved to other dates (or another commune), when a confirmed re-plan moves it (e.g.
    a blackout now covers it); `reason` says why. Its id stays: consumers update, not add."""

    event_name = "session.rescheduled"
    province_code: ProvinceCode
    commune_code: CommuneCode
    starts_on: date
    ends_on: date
    reason: str = ""


class SessionCancelled(SessionEvent):
    """A confirmed session will not take place (e.g. border guards suspend a gathering)."""

    event_name = "session.cancelled"
    reason: str


class SupplierEnrolled(ProgrammeEvent):
    """A supplier (enterprise, cooperative) joined the programme, optionally for one session: sent per supplier
    and session when a proposal is confirmed (again for a moved session). Not sent for drafts."""

    event_name = "supplier.enrolled"
    topic = TOPIC
    supplier_id: str
    supplier_name: str
    session_id: str | None = None


class SessionReported(SessionEvent):
    """The organizer recorded a held session's results. Sent once per session (a second report is refused);
    not sent for a session that has not started or was cancelled."""

    event_name = "session.reported"
    visitors: int = Field(ge=0)
    revenue_vnd: Vnd
    enterprises_present: int = Field(ge=0)
    commune_code: CommuneCode | None = None
    goods_categories: list[str] = Field(default_factory=list, description="goods categories sold")
