"""Use cases of the pull channels — replay, live stream, calendar feed — all read from the event store,
through a filter clipped to what the caller may see now."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.subscriptions.domain import ical, matching
from services.subscriptions.domain.access import reach_of
from services.subscriptions.domain.regions import Regions
from services.subscriptions.service import eventstore, subscriptions
from shared.db import Database
from shared.errors import Invalid
from shared.principal import Principal


async def subscription_filter(*, db: Database, principal: Principal, regions: Regions,
                              subscription_id: str) -> matching.Filter:
    """The filter of one of the caller's active subscriptions, clipped to the caller's reach today."""
    subscription = await subscriptions.get_active_subscription(db=db, principal=principal,
                                                         subscription_id=subscription_id)
    wanted, reach = subscription.wanted(), reach_of(principal, regions)
    provinces = reach.clip(wanted.provinces)
    if reach.centre_id is not None and wanted.centre_id != reach.centre_id:
        provinces = frozenset()  # an organizer's reach is its centre today: another centre's events are outside
    return replace(wanted, provinces=provinces)


def adhoc_filter(*, principal: Principal, regions: Regions, provinces: list[str], region_ids: list[str],
                 event_types: list[str], fair_id: str | None, programme_id: str | None) -> matching.Filter:
    """A filter given in a query string; a regional caller naming no place gets its whole region."""
    from shared.reference.geo import UnknownPlace, resolve_province

    codes = []
    for index, name in enumerate(provinces):
        try:
            codes.append(resolve_province(name).code)
        except UnknownPlace as exc:
            raise Invalid(f"Không rõ tỉnh / unknown province {name!r}", field=f"provinces.{index}",
                          code="unknown-province") from exc
    reach = reach_of(principal, regions)
    if not codes and not region_ids and reach.provinces is not None:
        codes = sorted(reach.provinces)
    return subscriptions.checked_filter(reach=reach, regions=regions, provinces=codes, region_ids=region_ids,
                                  event_types=event_types or [matching.WILDCARD], fair_id=fair_id,
                                  programme_id=programme_id)


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise Invalid("Cần múi giờ / give a timezone (Z or +07:00)", field=field, code="naive-time")
    return value


async def replay(*, db: Database, wanted: matching.Filter, since: datetime, until: datetime | None, after: int,
                 limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """A page of the matching events since a time, and the position to continue after (None: no more)."""
    rows = await eventstore.replay(db, wanted, since=_aware(since, "since"), until=_aware(until, "until"),
                                   after=after, limit=limit)
    following = rows[-1].seq if len(rows) == limit else None
    return [json.loads(r.body) for r in rows], following


async def stream_position(*, db: Database, last_event_id: str | None) -> int:
    """Where a stream starts: after the event the client saw last, else after the newest stored event."""
    if not last_event_id:
        return await eventstore.last_position(db)
    position = await eventstore.position_of(db, last_event_id.strip())
    if position is None:
        raise Invalid(f"Không biết sự kiện / unknown Last-Event-ID {last_event_id!r}: replay by time instead",
                      field="Last-Event-ID", code="unknown-event")
    return position


async def feed(*, db: Database, token: str) -> tuple[bytes, str]:
    """The calendar of a feed token's subscription, and the subscription's id."""
    subscription = await subscriptions.subscription_of_feed(db=db, token=token)
    wanted = subscription.wanted()
    rows = await eventstore.of_types(db, wanted, ical.calendar_types(wanted.event_types))
    history = [ical.Happening(r.event_type, json.loads(r.body).get("data", {}), r.time) for r in rows]
    name = subscription.description or "hangviet – " + ", ".join(subscription.regions or subscription.provinces)
    return ical.to_ical(ical.entries(history), name=name), subscription.id
