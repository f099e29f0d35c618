"""Calendar feeds, pure: fold the stored history of fairs (fair.published / updated / cancelled) and market
sessions (session.scheduled / rescheduled / cancelled) into one all-day VEVENT each, with a stable UID and
a SEQUENCE that grows with every change, so calendar apps update or strike out what they already show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

from services.subscriptions.domain import matching

FAIR_TYPES = ("fair.published", "fair.updated", "fair.cancelled")
SESSION_TYPES = ("session.scheduled", "session.rescheduled", "session.cancelled")
UID_DOMAIN = "hangviet.vn"
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class Happening:
    """One stored event, as the calendar reads it."""

    event_type: str
    data: dict[str, Any]
    time: datetime


@dataclass(frozen=True)
class Entry:
    """A fair or a market session as the calendar shows it now."""

    uid: str
    summary: str
    starts_on: date
    ends_on: date
    location: str
    category: str
    created: datetime
    modified: datetime
    sequence: int = 0
    cancelled: bool = False
    site: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def calendar_types(event_types: Iterable[str]) -> list[str]:
    """The event names a filter's feed reads: fairs when it wants any fair event, sessions likewise."""
    patterns = list(event_types)
    wanted: list[str] = []
    for kind in (FAIR_TYPES, SESSION_TYPES):
        if any(matching.event_type_matches(patterns, name) for name in kind):
            wanted.extend(kind)
    return wanted


def _province(code: str | None) -> str:
    from shared.reference.geo import UnknownPlace, province

    try:
        return province(code).name if code else ""
    except UnknownPlace:
        return code or ""


def _commune(code: str | None) -> str:
    from shared.reference.geo import UnknownPlace, commune

    try:
        return commune(code).full_name if code else ""
    except UnknownPlace:
        return code or ""


def _dates(data: dict[str, Any]) -> tuple[date, date]:
    return date.fromisoformat(data["starts_on"]), date.fromisoformat(data["ends_on"])


def _fair(current: Entry | None, h: Happening) -> Entry | None:
    data = h.data
    if h.event_type == "fair.cancelled":
        return current and replace(current, cancelled=True, modified=h.time, sequence=current.sequence + 1,
                                   notes=(*current.notes, f"Đã hủy / cancelled: {data.get('reason', '')}"))
    starts_on, ends_on = _dates(data)
    place = ", ".join(p for p in (data.get("venue", ""), _province(data.get("province_code"))) if p)
    fresh = Entry(uid=f"fair-{data['fair_id']}@{UID_DOMAIN}", summary=data.get("name", "Hội chợ"),
                  starts_on=starts_on, ends_on=ends_on, location=place, category="Hội chợ triển lãm",
                  created=h.time, modified=h.time)
    if current is None:
        return fresh
    return replace(fresh, created=current.created, sequence=current.sequence + 1, notes=current.notes)


def _session(current: Entry | None, h: Happening) -> Entry | None:
    data = h.data
    if h.event_type == "session.cancelled":
        return current and replace(current, cancelled=True, modified=h.time, sequence=current.sequence + 1,
                                   notes=(*current.notes, f"Đã hủy / cancelled: {data.get('reason', '')}"))
    if h.event_type == "session.rescheduled" and current is None:
        return None  # the store began after it was scheduled: nothing to show it from
    starts_on, ends_on = _dates(data)
    commune = _commune(data.get("commune_code"))
    site = data.get("site_name") or (current.site if current else "") or commune
    place = ", ".join(p for p in (site, commune, _province(data.get("province_code"))) if p)
    fresh = Entry(uid=f"session-{data['session_id']}@{UID_DOMAIN}",
                  summary=f"Phiên chợ Đưa hàng Việt về miền núi – {site}", starts_on=starts_on, ends_on=ends_on,
                  location=place, category="Phiên chợ", created=h.time, modified=h.time, site=site)
    if current is None:
        return fresh
    note = f"Dời lịch / rescheduled: {data.get('reason', '')}".rstrip(": ")
    return replace(fresh, created=current.created, sequence=current.sequence + 1, notes=(*current.notes, note))


def entries(history: Iterable[Happening]) -> list[Entry]:
    """The calendar's entries after folding the history in order, by start date."""
    shown: dict[str, Entry | None] = {}
    for h in history:
        if h.event_type in FAIR_TYPES:
            key, fold = f"fair:{h.data.get('fair_id')}", _fair
        elif h.event_type in SESSION_TYPES:
            key, fold = f"session:{h.data.get('session_id')}", _session
        else:
            continue
        shown[key] = fold(shown.get(key), h)
    return sorted((e for e in shown.values() if e is not None), key=lambda e: (e.starts_on, e.uid))


def to_ical(items: Iterable[Entry], *, name: str) -> bytes:
    """An iCalendar (RFC 5545) document of the entries, all-day events in Vietnam's time; stamped with each
    entry's last change, so the same history gives the same bytes (and ETag)."""
    calendar = Calendar()
    calendar.add("prodid", "-//hangviet//subscriptions//VI")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for item in items:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", item.modified)
        event.add("created", item.created)
        event.add("last-modified", item.modified)
        event.add("sequence", item.sequence)
        event.add("summary", item.summary)
        event.add("dtstart", item.starts_on)
        event.add("dtend", item.ends_on + timedelta(days=1))  # all-day DTEND is exclusive
        event.add("location", item.location)
        event.add("categories", [item.category])
        event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        if item.notes:
            event.add("description", "\n".join(item.notes))
        calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document
