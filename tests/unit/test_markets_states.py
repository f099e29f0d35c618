"""Markets' stateful rows: a status enum and a transition table for sessions and proposals."""

from __future__ import annotations

import pytest

from services.markets.domain.proposals import PLACING, PROPOSAL_TRANSITIONS, LineAction, ProposalStatus, check_draft
from services.markets.domain.sessions import SESSION_TRANSITIONS, SessionStatus
from services.markets.domain.suppliers import SUPPLIER_KINDS
from shared.contracts.registration import EXHIBITOR_KINDS
from shared.errors import Rejected


def test_a_scheduled_session_may_be_cancelled_never_the_reverse():
    SESSION_TRANSITIONS.check(SessionStatus.SCHEDULED, SessionStatus.CANCELLED)
    with pytest.raises(Rejected) as err:
        SESSION_TRANSITIONS.check(SessionStatus.CANCELLED, SessionStatus.SCHEDULED)
    assert err.value.code == "invalid-transition"


@pytest.mark.parametrize("target", [ProposalStatus.CONFIRMED, ProposalStatus.DISCARDED, ProposalStatus.SUPERSEDED])
def test_only_a_draft_moves_on(target):
    PROPOSAL_TRANSITIONS.check(ProposalStatus.DRAFT, target)
    for final in (s for s in ProposalStatus if s is not ProposalStatus.DRAFT and s is not target):
        assert not PROPOSAL_TRANSITIONS.can(final, target)
    assert not PROPOSAL_TRANSITIONS.can(target, ProposalStatus.DRAFT)


def test_check_draft_refuses_every_other_status():
    check_draft("draft")
    for status in ("confirmed", "discarded", "superseded"):
        with pytest.raises(Rejected) as err:
            check_draft(status)
        assert err.value.code == "invalid-transition"


def test_line_actions_and_supplier_kinds():
    assert [str(a) for a in LineAction] == ["new", "keep", "move", "cancel"]
    assert PLACING == {"new", "move"}
    assert set(SUPPLIER_KINDS) == set(EXHIBITOR_KINDS) - {"cooperative_group"}
