"""What the booths service tests share: a real redis-server of their own, the app, events to feed it and
readers of what it emitted. (No tests here.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from services.booths.app import create_app
from services.booths.service.store import Clock
from services.booths.settings import BoothsSettings
from shared.contracts import EVENTS_BY_TYPE
from shared.contracts.base import Event
from shared.contracts.registration import (
    ExhibitorInfo,
    FairPublished,
    PartyInfo,
    RegistrationApproved,
    RegistrationCancelled,
)
from shared.db import utcnow
from shared.envelope import event_headers
from shared.outbox import OutboxMessage
from tests.conftest import unique
from tests.service.redis_server import redis_server

CENTRE = "tq"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="session")
def booths_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server for the booths tests (never the machine's own)."""
    with redis_server(tmp_path_factory.mktemp("booths-redis")) as url:
        yield url


def make_app(settings_for: Any, redis_url: str, *, clock: Clock = utcnow, **overrides: Any) -> Any:
    """The booths app on a fresh database and the test Redis; `overrides` change BoothsSettings, `clock` is the
    time holds are taken and expire by (a FakeClock to expire them without waiting)."""
    values = {"hold_sweep_interval_s": 0.05, "solver_time_limit_s": 5.0, "solver_workers": 1, **overrides}
    return create_app(settings_for("booths", redis_url=redis_url), booths=BoothsSettings(**values), clock=clock)


class FakeClock:
    """A clock a test moves by hand: `clock.advance(seconds)`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the time on."""
        self.now += timedelta(seconds=seconds)


def fair_published(**overrides: Any) -> FairPublished:
    """The 70-booth provincial fair of the seeds, in rows of 10."""
    now = datetime.now(UTC)
    values: dict[str, Any] = dict(
        fair_id=unique("fair-"), centre_id=CENTRE, name="Hội chợ Xuân Tuyên Quang 2027", kind="provincial",
        province_code="08", venue="Quảng trường Nguyễn Tất Thành", starts_on=now.date() + timedelta(days=60),
        ends_on=now.date() + timedelta(days=66), registration_opens_at=now - timedelta(days=1),
        registration_closes_at=now + timedelta(days=30), capacity_booths=70, booth_price_vnd=5_000_000,
        max_booths_per_exhibitor=4, booths_per_row=10,
        seller=PartyInfo(name="Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang", tax_code="0100233488"))
    values.update(overrides)
    return FairPublished(**values)


def approved(fair_id: str, booths: int, exhibitor_id: str | None = None, *, priority: int = 0, sector: str = "",
             province_code: str | None = None, name: str = "HTX Chè Shan tuyết Đồng Văn") -> RegistrationApproved:
    """An approval of `booths` booths for a new registration."""
    exhibitor_id = exhibitor_id or unique("ex-")
    return RegistrationApproved(
        fair_id=fair_id, registration_id=unique("reg-"), exhibitor_id=exhibitor_id, booths_requested=booths,
        approved_at=datetime.now(UTC), priority_score=priority, sector=sector,
        exhibitor=ExhibitorInfo(exhibitor_id=exhibitor_id, name=name, tax_code="0100233488",
                                kind="cooperative", is_cscnnt=True, province_code=province_code))


def cancelled(approval: RegistrationApproved, reason: str = "unpaid") -> RegistrationCancelled:
    """The cancellation of an approved registration."""
    return RegistrationCancelled(fair_id=approval.fair_id, registration_id=approval.registration_id,
                                 exhibitor_id=approval.exhibitor_id, reason=reason)  # type: ignore[arg-type]


async def deliver(app: Any, event: Event, headers: dict[str, str] | None = None, body: bytes | None = None
                  ) -> dict[str, str]:
    """Publish an event on the in-memory broker (its subscriber runs before this returns)."""
    headers = headers or event_headers(event, source="/tests", correlation_id=unique("c-"))
    await app.state.runtime.broker.publish(body if body is not None else event.model_dump_json().encode(),
                                           topic=event.topic, key=event.key().encode(), headers=headers)
    return headers


async def emitted(app: Any, name: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    """What the service staged in its outbox: (event name, key, payload), oldest first."""
    async with app.state.runtime.db.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()  # type: ignore[arg-type]
    events = [(EVENTS_BY_TYPE[r.event_type].event_name, r.key, json.loads(r.payload)) for r in rows]
    return [e for e in events if name is None or e[0] == name]


async def published_fair(app: Any, **overrides: Any) -> FairPublished:
    """Deliver a fair.published and return it."""
    fair = fair_published(**overrides)
    await deliver(app, fair)
    return fair
