"""Pure parts of the pull channels: a live stream's gap-aware cursor, and calendar feeds (parsed back with
the `icalendar` package, as a calendar app would)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar

from services.subscriptions.domain import ical
from services.subscriptions.domain.stream import Cursor, advance

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


class TestStreamCursor:
    def test_passes_contiguous_positions_at_once(self):
        passed, cursor = advance(Cursor(3), [4, 5, 6], now=0.0, gap_timeout_s=5)
        assert passed == 3 and cursor == Cursor(6)

    def test_stops_before_a_gap_while_the_missing_row_may_still_commit(self):
        passed, cursor = advance(Cursor(3), [4, 6, 7], now=10.0, gap_timeout_s=5)
        assert passed == 1 and cursor == Cursor(4, gap_since=10.0)
        passed, cursor = advance(cursor, [6, 7], now=12.0, gap_timeout_s=5)
        assert passed == 0 and cursor == Cursor(4, gap_since=10.0)  # the clock runs from the first sight

    def test_the_missing_row_arriving_closes_the_gap(self):
        passed, cursor = advance(Cursor(4, gap_since=10.0), [5, 6, 7], now=11.0, gap_timeout_s=5)
        assert passed == 3 and cursor == Cursor(7)

    def test_passes_a_gap_once_it_is_older_than_the_timeout(self):
        passed, cursor = advance(Cursor(4, gap_since=10.0), [6, 7, 9], now=15.0, gap_timeout_s=5)
        # 6 passes (the gap at 5 is old), then a new gap at 8 starts its own clock.
        assert passed == 2 and cursor == Cursor(7, gap_since=15.0)

    def test_nothing_new_changes_nothing(self):
        assert advance(Cursor(4), [], now=1.0, gap_timeout_s=5) == (0, Cursor(4))


def fair(event_type: str, at: datetime, **changes: object) -> ical.Happening:
    data = {"fair_id": "f1", "name": "Hội chợ Xuân Tuyên Quang 2027", "province_code": "08",
            "venue": "Quảng trường Nguyễn Tất Thành", "starts_on": "2027-01-20", "ends_on": "2027-01-26",
            "reason": "", **changes}
    return ical.Happening(event_type, data, at)


def session(event_type: str, at: datetime, **changes: object) -> ical.Happening:
    data = {"session_id": "s1", "programme_id": "p1", "province_code": "08", "commune_code": "00769",
            "site_name": "Chợ Mèo Vạc", "starts_on": "2027-03-06", "ends_on": "2027-03-08", **changes}
    return ical.Happening(event_type, data, at)


def parsed(history: list[ical.Happening]) -> dict[str, object]:
    document = ical.to_ical(ical.entries(history), name="Miền Bắc")
    calendar = Calendar.from_ical(document)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")} | {"_calendar": calendar, "_bytes": document}


class TestCalendarFeed:
    def test_a_published_fair_is_an_all_day_event_with_its_place(self):
        events = parsed([fair("fair.published", T0)])
        event = events["fair-f1@hangviet.vn"]
        assert event.decoded("dtstart") == date(2027, 1, 20)
        assert event.decoded("dtend") == date(2027, 1, 27)  # exclusive end of an all-day event
        assert str(event["summary"]) == "Hội chợ Xuân Tuyên Quang 2027"
        assert "Tuyên Quang" in str(event["location"]) and str(event["status"]) == "CONFIRMED"
        assert event.decoded("sequence") == 0
        calendar = events["_calendar"]
        assert str(calendar["x-wr-calname"]) == "Miền Bắc" and str(calendar["version"]) == "2.0"

    def test_an_update_moves_the_event_and_raises_its_sequence(self):
        events = parsed([fair("fair.published", T0), fair("fair.updated", T0 + timedelta(days=1),
                                                          starts_on="2027-02-01", ends_on="2027-02-03")])
        event = events["fair-f1@hangviet.vn"]
        assert event.decoded("dtstart") == date(2027, 2, 1) and event.decoded("sequence") == 1
        assert event.decoded("created") == T0 and event.decoded("last-modified") == T0 + timedelta(days=1)

    def test_a_cancelled_fair_stays_in_the_feed_struck_out(self):
        events = parsed([fair("fair.published", T0), fair("fair.cancelled", T0 + timedelta(hours=2),
                                                           reason="bão Yagi")])
        event = events["fair-f1@hangviet.vn"]
        assert str(event["status"]) == "CANCELLED" and event.decoded("sequence") == 1
        assert "bão Yagi" in str(event["description"])

    def test_market_sessions_are_scheduled_rescheduled_and_cancelled(self):
        history = [session("session.scheduled", T0),
                   session("session.rescheduled", T0 + timedelta(days=1), starts_on="2027-03-13",
                           ends_on="2027-03-15", reason="trùng chợ phiên")]
        event = parsed(history)["session-s1@hangviet.vn"]
        assert event.decoded("dtstart") == date(2027, 3, 13) and event.decoded("sequence") == 1
        assert "Chợ Mèo Vạc" in str(event["summary"])
        assert str(event["location"]) == "Chợ Mèo Vạc, Xã Mèo Vạc, Tuyên Quang"
        cancelled = parsed([*history, session("session.cancelled", T0 + timedelta(days=2),
                                              reason="biên phòng tạm dừng")])["session-s1@hangviet.vn"]
        assert str(cancelled["status"]) == "CANCELLED" and cancelled.decoded("sequence") == 2

    def test_changes_to_something_never_scheduled_show_nothing(self):
        events = parsed([session("session.rescheduled", T0), session("session.cancelled", T0),
                         fair("fair.cancelled", T0)])
        assert [k for k in events if not k.startswith("_")] == []

    def test_the_same_history_gives_the_same_bytes(self):
        history = [fair("fair.published", T0), session("session.scheduled", T0)]
        assert parsed(history)["_bytes"] == parsed(history)["_bytes"]

    def test_a_feed_reads_the_kinds_its_filter_wants(self):
        assert ical.calendar_types(["fair.published"]) == list(ical.FAIR_TYPES)
        assert ical.calendar_types(["session.*", "invoice.paid"]) == list(ical.SESSION_TYPES)
        assert ical.calendar_types(["*"]) == [*ical.FAIR_TYPES, *ical.SESSION_TYPES]
        assert ical.calendar_types(["registration.*"]) == []
