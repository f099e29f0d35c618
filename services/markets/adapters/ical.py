"""iCalendar feeds of market sessions (RFC 5545), pure: one VEVENT per session, all-day dates.

A session keeps its UID for life; SEQUENCE grows with each change (rescheduled, cancelled) so calendar
apps update the event in place, and a cancelled session stays in the feed with STATUS:CANCELLED so
subscribers see it disappear rather than silently linger.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event

PRODID = "-//hangviet//markets//VI"
UID_DOMAIN = "markets.hangviet.vn"


@dataclass(frozen=True, slots=True)
class FeedSession:
    """What a calendar event shows of a session."""

    session_id: str
    commune_name: str
    province_name: str
    site_name: str
    starts_on: date
    ends_on: date
    booth_quota: int
    cancelled: bool
    sequence: int
    changed_at: datetime


def feed(name: str, sessions: Iterable[FeedSession]) -> bytes:
    """The calendar, as bytes ready to serve as text/calendar."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    for s in sessions:
        cal.add_component(_event(s))
    body: bytes = cal.to_ical()
    return body


def _event(s: FeedSession) -> Event:
    event = Event()
    event.add("uid", f"{s.session_id}@{UID_DOMAIN}")
    event.add("dtstamp", s.changed_at)
    event.add("dtstart", s.starts_on)
    event.add("dtend", s.ends_on + timedelta(1))  # DTEND of an all-day event is exclusive
    event.add("summary", f"Phiên chợ hàng Việt – {s.commune_name}")
    event.add("location", ", ".join(p for p in (s.site_name, s.commune_name, s.province_name) if p))
    event.add("description", f"Đưa hàng Việt về miền núi, biên giới: {s.booth_quota} gian hàng, "
                             f"{s.starts_on:%d/%m} – {s.ends_on:%d/%m/%Y}.")
    event.add("status", "CANCELLED" if s.cancelled else "CONFIRMED")
    event.add("sequence", s.sequence)
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["Đưa hàng Việt về miền núi"])
    return event
