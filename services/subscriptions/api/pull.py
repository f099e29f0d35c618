"""HTTP routes of the pull channels: replay of stored events, the live stream (SSE), calendar feeds.
Replay and streams: the owning subscriber (regional, organizer) and admin, a regional token only ever
getting its region's events, and only while the subscription is active (409 `inactive` once deactivated;
an open stream ends); a feed is public to whoever holds its secret address."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from sse_starlette import EventSourceResponse

from services.subscriptions.api import stream
from services.subscriptions.api.deps import DbDep, RegionsDep, SettingsDep, SignalDep, Subscriber
from services.subscriptions.domain.matching import Filter
from services.subscriptions.schemas.events import EventsPage
from services.subscriptions.service import pull
from services.subscriptions.service import subscriptions as service
from services.subscriptions.settings import SubscriptionsSettings
from shared.db import Database

pulls = APIRouter(tags=["replay and streams"])
feeds = APIRouter(prefix="/feeds", tags=["calendar feeds"])
LastEventId = Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)]


def _list(values: list[str]) -> list[str]:
    """Repeated and comma-separated query values alike."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


async def _sse(db: Database, signal: stream.Signal, settings: SubscriptionsSettings, wanted: Filter,
               last_event_id: str | None, subscription_id: str | None = None) -> EventSourceResponse:
    position = await pull.stream_position(db=db, last_event_id=last_event_id)
    alive = None if subscription_id is None else partial(service.is_active, db=db, subscription_id=subscription_id)
    content = stream.events(db, signal, wanted, position=position, poll_s=settings.stream_poll_s,
                            gap_timeout_s=settings.stream_gap_timeout_s, alive=alive)
    return EventSourceResponse(content, ping=settings.stream_ping_s,
                               headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@pulls.get("/subscriptions/{subscription_id}/events", response_model=EventsPage,
           summary="Replay: the subscription's matching events since a time, from the event store, in the order "
                   "received (regional, organizer, admin)")
async def read_events(subscription_id: str, db: DbDep, principal: Subscriber, regions: RegionsDep,
                      since: datetime, until: datetime | None = None,
                      after: Annotated[int, Query(ge=0, description="position from the previous page")] = 0,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> EventsPage:
    wanted = await pull.subscription_filter(db=db, principal=principal, regions=regions,
                                            subscription_id=subscription_id)
    data, following = await pull.replay(db=db, wanted=wanted, since=since, until=until, after=after, limit=limit)
    return EventsPage(data=data, count=len(data), next_after=following)


@pulls.get("/subscriptions/{subscription_id}/stream", response_class=EventSourceResponse,
           summary="Live stream (Server-Sent Events) of the subscription's matching events; resumes after "
                   "Last-Event-ID (regional, organizer, admin)")
async def stream_subscription(subscription_id: str, db: DbDep, principal: Subscriber, regions: RegionsDep,
                              settings: SettingsDep, signal: SignalDep, last_event_id: LastEventId = None,
                              resume_after: Annotated[str | None, Query(max_length=64)] = None) -> EventSourceResponse:
    wanted = await pull.subscription_filter(db=db, principal=principal, regions=regions,
                                            subscription_id=subscription_id)
    return await _sse(db, signal, settings, wanted, last_event_id or resume_after, subscription_id)


@pulls.get("/stream", response_class=EventSourceResponse,
           summary="Live stream (Server-Sent Events) of the events matching the query; a regional caller naming "
                   "no place gets its region (regional, organizer, admin)")
async def stream_filter(db: DbDep, principal: Subscriber, regions: RegionsDep, settings: SettingsDep,
                        signal: SignalDep, last_event_id: LastEventId = None,
                        provinces: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies it
                        regions_: Annotated[list[str], Query(alias="regions")] = [],  # noqa: B006
                        types: Annotated[list[str], Query()] = [],  # noqa: B006
                        fair_id: Annotated[str | None, Query(max_length=64)] = None,
                        programme_id: Annotated[str | None, Query(max_length=64)] = None,
                        resume_after: Annotated[str | None, Query(max_length=64)] = None) -> EventSourceResponse:
    wanted = pull.adhoc_filter(principal=principal, regions=regions, provinces=_list(provinces),
                               region_ids=_list(regions_), event_types=_list(types), fair_id=fair_id,
                               programme_id=programme_id)
    return await _sse(db, signal, settings, wanted, last_event_id or resume_after)


@feeds.get("/{token}.ics", response_class=Response,
           responses={200: {"content": {"text/calendar": {}}}},
           summary="The calendar (iCalendar) of a subscription's fairs and market sessions, at its secret address "
                   "(no sign-in: the address is the key)")
async def read_feed(token: str, db: DbDep, request: Request) -> Response:
    body, _ = await pull.feed(db=db, token=token)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={**headers, "Content-Disposition": 'inline; filename="hangviet.ics"'})


ROUTERS = (pulls, feeds)
