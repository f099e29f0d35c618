"""CloudEvents 1.0 in Kafka binary mode: the body is the event's JSON, the attributes are headers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.contracts import EVENTS_BY_TYPE
from shared.contracts.base import Event

CORRELATION_HEADER = "ce_correlationid"  # a CloudEvents extension attribute (lower-case alphanumerics)
# The CloudEvents distributed-tracing extension: the W3C trace context of the work that emitted the event.
TRACEPARENT_HEADER = "ce_traceparent"
REQUIRED_HEADERS = ("ce_specversion", "ce_id", "ce_type", "ce_source")


class MalformedEvent(ValueError):
    """A message that is not a valid event of ours: it goes to the dead-letter topic with this reason."""


@dataclass(frozen=True)
class EventMeta:
    """The CloudEvents attributes of one received or emitted event."""

    event_id: str
    event_type: str
    source: str
    subject: str
    time: str
    correlation_id: str
    traceparent: str | None = None


def event_headers(event: Event, *, source: str, correlation_id: str, event_id: str | None = None,
                  time: datetime | None = None) -> dict[str, str]:
    """The Kafka headers of an event (CloudEvents binary mode plus our correlation id)."""
    return {
        "ce_specversion": "1.0",
        "ce_id": event_id or str(uuid.uuid4()),
        "ce_source": source,
        "ce_type": event.ce_type(),
        "ce_time": (time or datetime.now(UTC)).isoformat(),
        "ce_subject": event.subject(),
        CORRELATION_HEADER: correlation_id,
        "content-type": "application/json",
    }


def decode_headers(raw: Mapping[str, bytes | str] | Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """Kafka headers as text, whatever shape the client gave them in."""
    items = raw.items() if isinstance(raw, Mapping) else raw
    return {k: v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for k, v in items}


def read_meta(headers: Mapping[str, str]) -> EventMeta:
    """The event's attributes; a message missing a required one is malformed."""
    missing = [name for name in REQUIRED_HEADERS if not headers.get(name)]
    if missing:
        raise MalformedEvent(f"missing CloudEvents header(s): {', '.join(missing)}")
    return EventMeta(
        event_id=headers["ce_id"],
        event_type=headers["ce_type"],
        source=headers["ce_source"],
        subject=headers.get("ce_subject", ""),
        time=headers.get("ce_time", ""),
        correlation_id=headers.get(CORRELATION_HEADER) or headers.get("correlation_id") or headers["ce_id"],
        traceparent=headers.get(TRACEPARENT_HEADER),
    )


def parse_event(meta: EventMeta, body: bytes) -> Event:
    """The event's contract model, validated; anything else is malformed, with the reason."""
    cls = EVENTS_BY_TYPE.get(meta.event_type)
    if cls is None:
        raise MalformedEvent(f"unknown event type {meta.event_type!r}")
    try:
        return cls.model_validate_json(body)
    except ValueError as exc:
        raise MalformedEvent(f"invalid {meta.event_type} body: {exc}") from exc
