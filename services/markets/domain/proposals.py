"""Proposal rules, pure: a draft's statuses and their transitions, the actions of its lines."""

from __future__ import annotations

from enum import StrEnum

from shared.errors import Rejected
from shared.states import Transitions


class ProposalStatus(StrEnum):
    """Where a solver's draft is: the organizer edits a draft, then confirms or discards it; confirming one
    supersedes the programme's other drafts."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"
    SUPERSEDED = "superseded"


PROPOSAL_TRANSITIONS = Transitions(("phương án lịch", "schedule proposal"), {
    ProposalStatus.DRAFT: {ProposalStatus.CONFIRMED, ProposalStatus.DISCARDED, ProposalStatus.SUPERSEDED},
})


class LineAction(StrEnum):
    """What a line of a proposal does: a new session, a confirmed one kept, moved or cancelled."""

    NEW = "new"
    KEEP = "keep"
    MOVE = "move"
    CANCEL = "cancel"


# The lines that place a session on new days (the ones a pin may hold).
PLACING = frozenset({LineAction.NEW, LineAction.MOVE})


def check_draft(status: str) -> None:
    """Only a draft can be edited, confirmed or discarded."""
    if status != ProposalStatus.DRAFT:
        raise Rejected(f"Phương án đang ở trạng thái '{status}' / a {status} proposal cannot change",
                       code="invalid-transition")
