"""Event contracts (v1) of every topic: one class per event type, documented where declared."""

from __future__ import annotations

from shared.contracts import billing, booths, markets, registration
from shared.contracts.base import Event

EVENT_CLASSES: tuple[type[Event], ...] = (
    registration.FairPublished,
    registration.FairUpdated,
    registration.FairClosed,
    registration.FairCancelled,
    registration.RegistrationSubmitted,
    registration.RegistrationApproved,
    registration.RegistrationWaitlisted,
    registration.RegistrationRejected,
    registration.RegistrationChangesRequested,
    registration.RegistrationCancelled,
    booths.FloorplanPublished,
    booths.BoothsHeld,
    booths.BoothsAssigned,
    booths.BoothsReleased,
    booths.BoothsBlocked,
    booths.BoothsUnblocked,
    booths.AllocationCompleted,
    markets.ProgrammeCreated,
    markets.SessionScheduled,
    markets.SessionRescheduled,
    markets.SessionCancelled,
    markets.SupplierEnrolled,
    markets.SessionReported,
    billing.InvoiceIssued,
    billing.PaymentReceived,
    billing.PaymentReversed,
    billing.InvoicePaid,
    billing.InvoiceOverdue,
    billing.InvoiceVoided,
    billing.InvoiceAuthorised,
    billing.SubsidyCommitted,
    billing.SubsidyReleased,
    billing.SubsidyExhausted,
)

EVENTS_BY_TYPE: dict[str, type[Event]] = {cls.ce_type(): cls for cls in EVENT_CLASSES}

EVENT_TOPICS: tuple[str, ...] = (registration.TOPIC, booths.TOPIC, markets.TOPIC, billing.TOPIC)
PARTITIONS = 3


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of a topic."""
    return f"{topic}.dlq"


def all_topics() -> dict[str, int]:
    """Every topic the platform needs, with its partition count (dead-letter topics get one)."""
    topics = {topic: PARTITIONS for topic in EVENT_TOPICS}
    topics.update({dlq_topic(topic): 1 for topic in EVENT_TOPICS})
    return topics


__all__ = ["EVENTS_BY_TYPE", "EVENT_CLASSES", "EVENT_TOPICS", "Event", "all_topics", "dlq_topic"]
