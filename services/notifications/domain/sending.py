"""The mail outbox's rules: where one mail stands and may go next, and how hard to try."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.states import Transitions


class MailStatus(StrEnum):
    """Where one mail of the outbox stands."""

    PENDING = "pending"  # to send (now, or at its next attempt)
    SENT = "sent"  # the SMTP server accepted it
    PARKED = "parked"  # gave up after the last attempt; a retry puts it back
    NO_ADDRESS = "no_address"  # the exhibitor has no e-mail address: recorded, visible, never sent


# A send moves a pending mail on; only a retry takes a parked one back; a mail without address stays so.
MAIL_TRANSITIONS = Transitions(("thư", "mail"), {
    MailStatus.PENDING: {MailStatus.SENT, MailStatus.PARKED},
    MailStatus.PARKED: {MailStatus.PENDING},
    MailStatus.SENT: set(),
    MailStatus.NO_ADDRESS: set(),
})


@dataclass(frozen=True)
class SendPolicy:
    """Exponential backoff from `base_s` capped at `max_s`; parked after `max_attempts` failures."""

    base_s: float = 30.0
    max_s: float = 3600.0
    max_attempts: int = 6


def retry_delay_s(attempts: int, policy: SendPolicy) -> float:
    """The wait after the `attempts`-th failure: base, doubled per failure, capped."""
    return min(policy.max_s, policy.base_s * 2.0 ** max(attempts - 1, 0))


def after_attempt(*, succeeded: bool, attempts: int, policy: SendPolicy) -> MailStatus:
    """Sent on success; parked once the attempts are spent; else pending (tried again later)."""
    if succeeded:
        return MailStatus.SENT
    return MailStatus.PARKED if attempts >= policy.max_attempts else MailStatus.PENDING
