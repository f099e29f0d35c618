"""The fair's lifecycle, the registration workflow and eligibility, pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.registration.domain.eligibility import EligibilityRules, check_eligible, ineligibility_reasons
from services.registration.domain.fairs import (
    FAIR_TRANSITIONS,
    FairStatus,
    FairWindow,
    check_fair_transition,
    default_cancellation_deadline,
)
from services.registration.domain.registrations import (
    RegistrationStatus,
    check_can_cancel,
    check_can_register,
    check_can_request_changes,
    check_can_resubmit,
    decide_approval,
)
from shared.errors import Invalid, Rejected

NOW = datetime(2026, 11, 22, tzinfo=UTC)


class TestLifecycle:
    @pytest.mark.parametrize(("current", "target"), [(c, t) for c in FairStatus for t in FairStatus
                                                     if t in FAIR_TRANSITIONS.allowed[c]])
    def test_allows_the_moves_of_the_state_machine(self, current, target):
        check_fair_transition(current, target)

    @pytest.mark.parametrize(("current", "target"), [
        (FairStatus.DRAFT, FairStatus.CLOSED), (FairStatus.OPEN, FairStatus.RUNNING),
        (FairStatus.RUNNING, FairStatus.CANCELLED), (FairStatus.FINISHED, FairStatus.OPEN),
        (FairStatus.CANCELLED, FairStatus.OPEN), (FairStatus.OPEN, FairStatus.OPEN)])
    def test_refuses_the_others(self, current, target):
        with pytest.raises(Rejected) as info:
            check_fair_transition(current, target)
        assert info.value.code == "invalid-transition"

    def test_the_default_cancellation_deadline_is_the_first_day_in_vietnam(self):
        assert default_cancellation_deadline(date(2027, 1, 20)) == datetime(2027, 1, 19, 17, tzinfo=UTC)


class TestRegister:
    window = FairWindow(FairStatus.OPEN, NOW - timedelta(days=1), NOW + timedelta(days=1), 3)

    def test_inside_the_window_within_the_maximum(self):
        check_can_register(self.window, now=NOW, booths_requested=3)

    def test_refuses_outside_the_window(self):
        with pytest.raises(Rejected, match="window"):
            check_can_register(self.window, now=NOW + timedelta(days=2), booths_requested=1)

    def test_refuses_more_than_the_maximum_naming_the_field(self):
        with pytest.raises(Invalid) as info:
            check_can_register(self.window, now=NOW, booths_requested=4)
        assert info.value.field == "booths_requested"


class TestWorkflow:
    def test_approves_when_it_fits_else_waitlists(self):
        assert decide_approval(status=RegistrationStatus.SUBMITTED, capacity=10, approved_booths=7,
                               booths_requested=3) is RegistrationStatus.APPROVED
        assert decide_approval(status=RegistrationStatus.SUBMITTED, capacity=10, approved_booths=8,
                               booths_requested=3) is RegistrationStatus.WAITLISTED

    @pytest.mark.parametrize("status", ["approved", "rejected", "cancelled", "changes_requested"])
    def test_does_not_approve_from(self, status):
        with pytest.raises(Rejected):
            decide_approval(status=RegistrationStatus(status), capacity=10, approved_booths=0, booths_requested=1)

    def test_asks_for_changes_only_before_approval_and_takes_them_only_when_asked(self):
        check_can_request_changes(RegistrationStatus.SUBMITTED)
        check_can_request_changes(RegistrationStatus.WAITLISTED)
        with pytest.raises(Rejected):
            check_can_request_changes(RegistrationStatus.APPROVED)
        check_can_resubmit(RegistrationStatus.CHANGES_REQUESTED)
        with pytest.raises(Rejected):
            check_can_resubmit(RegistrationStatus.SUBMITTED)

    def test_an_exhibitor_cancels_only_before_the_deadline_an_organizer_any_time(self):
        check_can_cancel(RegistrationStatus.APPROVED, by_exhibitor=True, now=NOW, deadline=NOW + timedelta(hours=1))
        with pytest.raises(Rejected) as info:
            check_can_cancel(RegistrationStatus.APPROVED, by_exhibitor=True, now=NOW, deadline=NOW)
        assert info.value.code == "cancellation-deadline-passed"
        check_can_cancel(RegistrationStatus.APPROVED, by_exhibitor=False, now=NOW, deadline=NOW)
        with pytest.raises(Rejected):
            check_can_cancel(RegistrationStatus.CANCELLED, by_exhibitor=False, now=NOW, deadline=NOW)


class TestEligibility:
    def test_no_rules_admit_everyone(self):
        check_eligible(EligibilityRules(), kind="enterprise", is_cscnnt=False, province_code="01")

    def test_says_every_rule_that_fails(self):
        rules = EligibilityRules(frozenset({"cooperative"}), True, frozenset({"08"}))
        reasons = ineligibility_reasons(rules, kind="enterprise", is_cscnnt=False, province_code="01")
        assert len(reasons) == 3
        with pytest.raises(Rejected) as info:
            check_eligible(rules, kind="enterprise", is_cscnnt=False, province_code="01")
        assert info.value.code == "not-eligible" and info.value.status == 409
