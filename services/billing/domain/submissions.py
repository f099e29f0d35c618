"""An invoice's way to the tax authority, pure: where its submission stands and which step may follow which."""

from __future__ import annotations

from enum import StrEnum

from shared.states import Transitions


class SubmissionStatus(StrEnum):
    """pending → authorised; or → awaiting_authority_code (→ authorised by hand); or → sent (K symbols); or
    → failed."""

    PENDING = "pending"  # to be sent (again) at next_attempt_at
    AWAITING_CODE = "awaiting_authority_code"  # handed over (the local folder); the code is not back yet
    AUTHORISED = "authorised"  # the authority's code is stored
    SENT = "sent"  # handed over, an invoice without code (K symbol): nothing comes back
    FAILED = "failed"  # given up: too many failed attempts, or the provider refused the document


# A late answer wins: a send that outlived its lease may still bring the documents' receipt or the code after a
# second try gave up (failed); an operator may type the code in at any point before it is stored.
SUBMISSION_TRANSITIONS: Transitions[SubmissionStatus] = Transitions(("lần gửi hóa đơn", "invoice submission"), {
    SubmissionStatus.PENDING: {SubmissionStatus.AWAITING_CODE, SubmissionStatus.SENT, SubmissionStatus.AUTHORISED,
                               SubmissionStatus.FAILED},
    SubmissionStatus.AWAITING_CODE: {SubmissionStatus.AUTHORISED},
    SubmissionStatus.FAILED: {SubmissionStatus.PENDING, SubmissionStatus.AWAITING_CODE, SubmissionStatus.SENT,
                              SubmissionStatus.AUTHORISED},
    SubmissionStatus.SENT: set(),
    SubmissionStatus.AUTHORISED: set(),
})
