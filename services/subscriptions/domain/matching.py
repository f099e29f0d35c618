"""Matching rules, pure: which events a subscription wants and where an event happens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from shared.errors import Invalid

WILDCARD = "*"


def normalize_event_types(patterns: Iterable[str], known: Iterable[str]) -> list[str]:
    """The subscription's event-type patterns, deduplicated; each must name or prefix a known event."""
    names = frozenset(known)
    result: list[str] = []
    for pattern in (p.strip() for p in patterns):
        if not _pattern_is_known(pattern, names):
            raise Invalid(f"Loại sự kiện không tồn tại / unknown event type {pattern!r} "
                          "(use a name such as 'fair.published', a prefix such as 'fair.*', or '*')",
                          field="event_types", code="unknown-event-type")
        if pattern not in result:
            result.append(pattern)
    if not result:
        raise Invalid("Cần ít nhất một loại sự kiện / at least one event type is required",
                      field="event_types", code="empty")
    return result


def _pattern_is_known(pattern: str, names: frozenset[str]) -> bool:
    if pattern == WILDCARD:
        return True
    if pattern.endswith(".*"):
        prefix = pattern[:-1]
        return len(prefix) > 1 and any(name.startswith(prefix) for name in names)
    return pattern in names


def event_type_matches(patterns: Iterable[str], event_name: str) -> bool:
    """Whether an event name is wanted: exact name, `prefix.*`, or `*`."""
    for pattern in patterns:
        if pattern in (WILDCARD, event_name):
            return True
        if pattern.endswith(".*") and event_name.startswith(pattern[:-1]):
            return True
    return False


@dataclass(frozen=True)
class EventFacts:
    """What matching needs to know about a stored event: its name and where and what it is about."""

    event_name: str
    province_code: str | None
    fair_id: str | None = None
    programme_id: str | None = None
    centre_id: str | None = None


@dataclass(frozen=True)
class Filter:
    """What a subscription (or a stream) wants: event types in some provinces, optionally only one fair
    or programme; `centre_id` binds an organizing centre's subscription to its own fairs and programmes."""

    event_types: tuple[str, ...]
    provinces: frozenset[str]
    fair_id: str | None = None
    programme_id: str | None = None
    centre_id: str | None = None


def matches(wanted: Filter, event: EventFacts) -> bool:
    """Whether the filter wants the event; an unplaced event matches nothing, since every filter names
    its provinces."""
    if event.province_code is None or event.province_code not in wanted.provinces:
        return False
    if wanted.fair_id is not None and event.fair_id != wanted.fair_id:
        return False
    if wanted.programme_id is not None and event.programme_id != wanted.programme_id:
        return False
    if wanted.centre_id is not None and event.centre_id != wanted.centre_id:
        return False
    return event_type_matches(wanted.event_types, event.event_name)


def subscription_matches(*, event_types: Iterable[str], provinces: Iterable[str], event_name: str,
                         province_code: str | None) -> bool:
    """Types and provinces only (the common case of `matches`)."""
    return matches(Filter(tuple(event_types), frozenset(provinces)), EventFacts(event_name, province_code))


@dataclass(frozen=True)
class Placement:
    """What tells where an event happens: its own province, or the fair / programme it is about."""

    province_code: str | None = None
    fair_id: str | None = None
    programme_id: str | None = None


FAIR = "fair"
PROGRAMME = "programme"
# The events that say where a fair or a programme is; every later event about it is placed by its id.
PLACE_SOURCES: dict[str, tuple[str, str]] = {
    "fair.published": (FAIR, "fair_id"),
    "fair.updated": (FAIR, "fair_id"),
    "programme.created": (PROGRAMME, "programme_id"),
}


@dataclass(frozen=True)
class LearnedPlace:
    """A fair or programme's province (and organizing centre), as a placing event states it."""

    kind: str
    aggregate_id: str
    province_code: str
    centre_id: str | None = None


def place_learned(event_name: str, event: object) -> LearnedPlace | None:
    """What a fair.published / fair.updated / programme.created event teaches about places."""
    source = PLACE_SOURCES.get(event_name)
    if source is None:
        return None
    kind, id_field = source
    return LearnedPlace(kind=kind, aggregate_id=getattr(event, id_field),
                        province_code=getattr(event, "province_code"),  # noqa: B009 - duck-typed on purpose
                        centre_id=getattr(event, "centre_id", None))


def placed_later(facts: EventFacts, learned: LearnedPlace) -> EventFacts:
    """An unplaced event's facts once its fair or programme is known (a billing charge keyed by programme
    carries the programme id in `fair_id`)."""
    fair_id, programme_id = facts.fair_id, facts.programme_id
    if learned.kind == PROGRAMME and fair_id == learned.aggregate_id:
        fair_id, programme_id = None, learned.aggregate_id
    return EventFacts(facts.event_name, learned.province_code, fair_id, programme_id,
                      facts.centre_id or learned.centre_id)


def placement_of(event: object) -> Placement:
    """The fields of any event contract that say where it happens (its own top-level province, if any)."""
    return Placement(province_code=getattr(event, "province_code", None),
                     fair_id=getattr(event, "fair_id", None),
                     programme_id=getattr(event, "programme_id", None))


def place_event(placement: Placement, *, fairs: Mapping[str, str], programmes: Mapping[str, str]) -> str | None:
    """The event's province: its own, else its fair's, else its programme's (billing keys programme
    charges by programme id in `fair_id`), else unknown."""
    if placement.province_code:
        return placement.province_code
    if placement.fair_id:
        found = fairs.get(placement.fair_id) or programmes.get(placement.fair_id)
        if found:
            return found
    if placement.programme_id:
        return programmes.get(placement.programme_id)
    return None


def aggregate_ids(placement: Placement, *, programmes: Mapping[str, object]) -> tuple[str | None, str | None]:
    """(fair id, programme id) of an event; billing's programme charges carry the programme id in `fair_id`."""
    if placement.fair_id and placement.fair_id in programmes:
        return None, placement.fair_id
    return placement.fair_id, placement.programme_id
