"""Capacity rules: the waitlist's order, promotions, and "approved booths ≤ capacity" whatever happens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.registration.domain.capacity import Candidate, select_promotions, waitlist_order, waitlist_position
from services.registration.domain.registrations import RegistrationStatus, decide_approval

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def cand(rid: str, booths: int = 1, score: int = 0, minutes: int = 0) -> Candidate:
    return Candidate(rid, booths, score, T0 + timedelta(minutes=minutes))


class TestWaitlist:
    def test_orders_by_score_then_earliness_then_id(self):
        ranked = waitlist_order([cand("c", score=5, minutes=2), cand("b", score=9), cand("a", score=5, minutes=1),
                                 cand("d", score=5, minutes=1)])
        assert [c.registration_id for c in ranked] == ["b", "a", "d", "c"]

    def test_positions_count_those_ahead(self):
        waitlist = [cand("a", score=9), cand("b", score=5), cand("c", score=1)]
        assert waitlist_position(cand("x", score=6), waitlist) == 2
        assert waitlist_position(waitlist[0], waitlist) == 1


class TestPromotion:
    def test_promotes_the_best_that_fit_skipping_the_too_big(self):
        waitlist = [cand("big", booths=3, score=9), cand("small", booths=2, score=5), cand("late", booths=1, score=1)]
        promoted = select_promotions(waitlist, capacity=10, approved_booths=8)
        assert [c.registration_id for c in promoted] == ["small"]

    def test_promotes_nobody_when_nothing_is_free(self):
        assert select_promotions([cand("a")], capacity=5, approved_booths=5) == []
        assert select_promotions([cand("a")], capacity=5, approved_booths=7) == []


operations = st.lists(st.one_of(
    st.tuples(st.just("submit"), st.integers(min_value=1, max_value=4), st.integers(min_value=0, max_value=60)),
    st.tuples(st.just("approve"), st.integers(min_value=0, max_value=40)),
    st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=40)),
), max_size=80)


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(min_value=1, max_value=20), ops=operations)
def test_approved_booths_never_exceed_capacity(capacity, ops):
    """Any sequence of submissions, approvals and cancellations (each followed by the promotions it triggers)."""
    regs: dict[str, tuple[Candidate, RegistrationStatus]] = {}

    def approved() -> int:
        return sum(c.booths for c, s in regs.values() if s is RegistrationStatus.APPROVED)

    def promote() -> None:
        waiting = [c for c, s in regs.values() if s is RegistrationStatus.WAITLISTED]
        for c in select_promotions(waiting, capacity=capacity, approved_booths=approved()):
            regs[c.registration_id] = (c, RegistrationStatus.APPROVED)

    for step, op in enumerate(ops):
        ids = sorted(regs)
        if op[0] == "submit":
            rid = f"r{step}"
            regs[rid] = (cand(rid, op[1], op[2], step), RegistrationStatus.SUBMITTED)
        elif ids and op[0] == "approve":
            c, status = regs[ids[op[1] % len(ids)]]
            if status in (RegistrationStatus.SUBMITTED, RegistrationStatus.WAITLISTED):
                outcome = decide_approval(status=status, capacity=capacity, approved_booths=approved(),
                                          booths_requested=c.booths)
                regs[c.registration_id] = (c, outcome)
        elif ids and op[0] == "cancel":
            c, status = regs[ids[op[1] % len(ids)]]
            regs[c.registration_id] = (c, RegistrationStatus.CANCELLED)
            if status is RegistrationStatus.APPROVED:
                promote()
        assert approved() <= capacity
        # And nobody waits while their booths are free: the waitlist holds only those that do not fit.
        free = capacity - approved()
        assert all(c.booths > free for c, s in regs.values() if s is RegistrationStatus.WAITLISTED)
