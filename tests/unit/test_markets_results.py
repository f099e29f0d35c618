"""Pure rules after the planning: reporting, the year summary, the iCalendar feed, re-plan lines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar

from services.markets.adapters.ical import FeedSession, feed
from services.markets.domain.planning import Blackout, PlannedSession
from services.markets.domain.replan import LiveSession, lines_of, why_it_must_move
from services.markets.domain.results import HeldFacts, ReportFacts, check_can_report, summarise_year
from services.markets.domain.sessions import DateSpan, SessionStatus
from shared.errors import Rejected

D = date.fromisoformat
S, C = SessionStatus.SCHEDULED, SessionStatus.CANCELLED


class TestSummariseYear:
    def test_counts_held_sessions_communes_and_money(self) -> None:
        sessions = [HeldFacts("a", S, "00721", ("s1", "s2")), HeldFacts("b", S, "00721", ("s2",)),
                    HeldFacts("c", S, "00769", ("s3",)), HeldFacts("d", C, "00802", ("s4",))]
        reports = [ReportFacts("a", 1000, 500_000_000, 12, {"nông sản": 300_000_000}),
                   ReportFacts("b", 800, 200_000_000, 10, {"nông sản": 50_000_000, "dệt may": 10})]
        got = summarise_year(sessions, reports, target=22)
        assert (got.sessions_scheduled, got.sessions_held, got.sessions_cancelled, got.sessions_to_target) == (
            3, 2, 1, 19)
        assert (got.communes_planned, got.communes_covered) == (2, 1)
        assert (got.visitors, got.revenue_vnd, got.enterprises_present, got.suppliers_enrolled) == (
            1800, 700_000_000, 22, 3)
        assert got.revenue_by_category == {"dệt may": 10, "nông sản": 350_000_000}


class TestCheckCanReport:
    def test_from_the_first_day_once(self) -> None:
        check_can_report(S, D("2027-03-01"), today=D("2027-03-01"), already=False)
        for status, today, already, code in ((S, "2027-02-28", False, "session-not-held"),
                                             (S, "2027-03-05", True, "already-reported"),
                                             (C, "2027-03-05", False, "invalid-transition")):
            with pytest.raises(Rejected) as err:
                check_can_report(status, D("2027-03-01"), today=D(today), already=already)
            assert err.value.code == code


class TestFeed:
    def test_all_day_events_with_exclusive_end_and_sequence(self) -> None:
        stamp = datetime(2027, 1, 5, 3, 0, tzinfo=UTC)
        body = feed("Chương trình 2027", [
            FeedSession("s1", "Xã Đồng Văn", "Tuyên Quang", "Chợ phiên", D("2027-03-13"), D("2027-03-15"), 30,
                        False, 0, stamp),
            FeedSession("s2", "Xã Mèo Vạc", "Tuyên Quang", "Chợ", D("2027-04-10"), D("2027-04-12"), 30, True, 2,
                        stamp)])
        cal = Calendar.from_ical(body)
        assert str(cal["x-wr-calname"]) == "Chương trình 2027"
        first, second = cal.walk("VEVENT")
        assert first.decoded("dtstart") == D("2027-03-13") and first.decoded("dtend") == D("2027-03-16")
        assert (str(first["status"]), str(second["status"]), int(second["sequence"])) == ("CONFIRMED", "CANCELLED", 2)
        assert str(first["uid"]) == "s1@markets.hangviet.vn"


class TestReplanLines:
    a = LiveSession("a", "00721", DateSpan(D("2027-03-13"), D("2027-03-15")))
    b = LiveSession("b", "00769", DateSpan(D("2027-05-09"), D("2027-05-11")))

    def test_only_a_future_session_in_a_blackout_must_move(self) -> None:
        closure = [Blackout(DateSpan(D("2027-03-01"), D("2027-03-31")), "biên giới tạm đóng")]
        assert why_it_must_move(self.a, closure, today=D("2027-02-01")) == "biên giới tạm đóng"
        assert why_it_must_move(self.a, closure, today=D("2027-03-13")) is None  # started: it stays
        assert why_it_must_move(self.b, closure, today=D("2027-02-01")) is None

    def test_a_mover_takes_the_nearest_placement_at_its_own_site_first(self) -> None:
        planned = [PlannedSession("00802", DateSpan(D("2027-03-20"), D("2027-03-22"))),
                   PlannedSession("00721", DateSpan(D("2027-06-12"), D("2027-06-14")))]
        lines = lines_of(planned, [self.b], [(self.a, "closure")], {})
        by_action = {line.action: line for line in lines}
        assert by_action["move"].session_id == "a" and by_action["move"].site == "00721"
        assert by_action["new"].site == "00802"
        assert by_action["keep"].session_id == "b"

    def test_a_mover_without_a_placement_is_cancelled(self) -> None:
        lines = lines_of([], [], [(self.a, "closure")], {})
        assert [(line.action, line.session_id) for line in lines] == [("cancel", "a")]
