"""Unit tests for services.markets.domain.sessions: pure rules, no fixtures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.markets.domain.sessions import (
    MAX_SESSION_DAYS,
    BookedSession,
    DateSpan,
    SessionFacts,
    SessionStatus,
    check_can_cancel,
    check_commune_in_province,
    check_no_overlap,
    check_session_dates,
    summarise,
)
from shared.errors import Invalid, Rejected

D = date.fromisoformat


def span(start: str, end: str) -> DateSpan:
    return DateSpan(D(start), D(end))


class TestDateSpan:
    def test_counts_both_ends(self) -> None:
        assert span("2027-03-01", "2027-03-01").days == 1
        assert span("2027-03-01", "2027-03-07").days == 7

    def test_spans_sharing_one_day_overlap(self) -> None:
        assert span("2027-03-01", "2027-03-03").overlaps(span("2027-03-03", "2027-03-05"))

    def test_back_to_back_spans_do_not_overlap(self) -> None:
        assert not span("2027-03-01", "2027-03-03").overlaps(span("2027-03-04", "2027-03-06"))

    @given(st.dates(), st.integers(0, 10), st.dates(), st.integers(0, 10))
    def test_overlap_is_symmetric_and_means_a_shared_day(self, a0: date, a_len: int, b0: date,
                                                         b_len: int) -> None:
        try:
            a, b = DateSpan(a0, a0 + timedelta(a_len)), DateSpan(b0, b0 + timedelta(b_len))
        except OverflowError:
            return
        a_days = {a0 + timedelta(i) for i in range(a_len + 1)}
        b_days = {b0 + timedelta(i) for i in range(b_len + 1)}
        assert a.overlaps(b) == b.overlaps(a) == bool(a_days & b_days)


class TestCheckSessionDates:
    def test_accepts_a_three_day_session_in_the_year(self) -> None:
        check_session_dates(span("2027-03-01", "2027-03-03"), year=2027)

    def test_accepts_a_one_day_session_and_a_full_week(self) -> None:
        check_session_dates(span("2027-03-01", "2027-03-01"), year=2027)
        check_session_dates(span("2027-03-01", "2027-03-07"), year=2027)

    def test_refuses_a_session_ending_before_it_starts(self) -> None:
        with pytest.raises(Invalid) as err:
            check_session_dates(span("2027-03-03", "2027-03-01"), year=2027)
        assert err.value.field == "ends_on"

    def test_refuses_a_session_longer_than_a_week(self) -> None:
        with pytest.raises(Invalid) as err:
            check_session_dates(span("2027-03-01", "2027-03-08"), year=2027)
        assert err.value.field == "ends_on"
        assert err.value.code == "session-too-long"
        assert MAX_SESSION_DAYS == 7

    def test_refuses_a_session_starting_in_another_year(self) -> None:
        with pytest.raises(Invalid) as err:
            check_session_dates(span("2026-12-30", "2027-01-01"), year=2027)
        assert err.value.field == "starts_on"

    def test_refuses_a_session_running_into_the_next_year(self) -> None:
        with pytest.raises(Invalid) as err:
            check_session_dates(span("2027-12-30", "2028-01-02"), year=2027)
        assert err.value.field == "ends_on"
        assert err.value.code == "outside-programme-year"


class TestCheckCommuneInProvince:
    def test_accepts_a_commune_of_the_province(self) -> None:
        check_commune_in_province(commune_code="00721", commune_province_code="08", programme_province_code="08")

    def test_refuses_a_commune_of_another_province(self) -> None:
        with pytest.raises(Invalid) as err:
            check_commune_in_province(commune_code="02683", commune_province_code="15",
                                      programme_province_code="08")
        assert err.value.field == "commune_code"


class TestCheckNoOverlap:
    booked = (BookedSession("s1", "00721", span("2027-03-01", "2027-03-03")),)

    def test_refuses_overlapping_days_at_the_same_commune(self) -> None:
        with pytest.raises(Rejected) as err:
            check_no_overlap(span("2027-03-03", "2027-03-05"), commune_code="00721", booked=self.booked)
        assert err.value.status == 409
        assert err.value.code == "session-overlap"

    def test_accepts_the_same_days_at_another_commune(self) -> None:
        check_no_overlap(span("2027-03-01", "2027-03-03"), commune_code="00769", booked=self.booked)

    def test_accepts_the_next_days_at_the_same_commune(self) -> None:
        check_no_overlap(span("2027-03-04", "2027-03-06"), commune_code="00721", booked=self.booked)


class TestCheckCanCancel:
    s = span("2027-03-01", "2027-03-03")

    def test_a_scheduled_session_can_be_cancelled_on_its_last_day(self) -> None:
        check_can_cancel(SessionStatus.SCHEDULED, self.s, today=D("2027-03-03"))

    def test_an_ended_session_cannot_be_cancelled(self) -> None:
        with pytest.raises(Rejected) as err:
            check_can_cancel(SessionStatus.SCHEDULED, self.s, today=D("2027-03-04"))
        assert err.value.code == "session-ended"

    def test_a_cancelled_session_cannot_be_cancelled_again(self) -> None:
        with pytest.raises(Rejected) as err:
            check_can_cancel(SessionStatus.CANCELLED, self.s, today=D("2027-01-01"))
        assert err.value.code == "invalid-transition"


class TestSummarise:
    def test_counts_live_sessions_communes_and_booths(self) -> None:
        facts = [SessionFacts(SessionStatus.SCHEDULED, "00721", 40),
                 SessionFacts(SessionStatus.SCHEDULED, "00721", 30),
                 SessionFacts(SessionStatus.SCHEDULED, "00769", 20),
                 SessionFacts(SessionStatus.CANCELLED, "00715", 60)]
        result = summarise(iter(facts), target_sessions=5)
        assert result.sessions_scheduled == 3
        assert result.sessions_cancelled == 1
        assert result.communes_covered == 2
        assert result.booths_planned == 90
        assert result.sessions_to_target == 2

    def test_never_reports_a_negative_remainder(self) -> None:
        facts = [SessionFacts(SessionStatus.SCHEDULED, "00721", 40)] * 3
        assert summarise(facts, target_sessions=2).sessions_to_target == 0
