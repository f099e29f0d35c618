"""Helpers the registration service tests share (no tests here): the app, callers, fairs, exhibitors, events."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from sqlmodel import select

from services.registration.app import create_app
from shared.contracts import EVENTS_BY_TYPE
from shared.contracts.base import Event
from shared.envelope import event_headers
from shared.outbox import OutboxMessage
from shared.taxcode import tax_code_check_digit
from tests.conftest import token, unique
from tests.service.fixtures import exhibitor_body, fair_body

CENTRE = "tq"


def make_app(settings_for):
    """The registration app on the test's fresh database."""
    return create_app(settings_for("registration"))


def organizer(app, centre: str = CENTRE) -> dict[str, str]:
    """Headers of an organizer of `centre`."""
    return token(app.state.settings, "organizer", centre_id=centre, subject=f"staff-{centre}")


def exhibitor_headers(app, exhibitor_id: str) -> dict[str, str]:
    """Headers of the exhibitor `exhibitor_id`."""
    return token(app.state.settings, "exhibitor", exhibitor_id=exhibitor_id)


def tax_codes(prefix: str = "51") -> Iterator[str]:
    """Valid, distinct 10-digit tax codes."""
    for n in itertools.count(1):
        first9 = f"{prefix}{n:07d}"
        check = tax_code_check_digit(first9)
        if check is not None:
            yield f"{first9}{check}"


_CODES = tax_codes("52")


def next_tax_code() -> str:
    """A valid tax code no other test in this process used."""
    return next(_CODES)


async def create_fair(client, org: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """A draft fair (asserting it was created)."""
    res = await client.post("/fairs", json=fair_body(**overrides), headers=org)
    assert res.status_code == 201, res.text
    return res.json()


async def open_fair(client, org: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """A published fair, open for registration."""
    fair = await create_fair(client, org, **overrides)
    res = await client.post(f"/fairs/{fair['id']}/publish", headers=org)
    assert res.status_code == 200, res.text
    return res.json()


async def new_exhibitor(client, app, **profile: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """A new exhibitor with its profile: (headers, profile)."""
    headers = exhibitor_headers(app, unique("ex-"))
    res = await client.post("/exhibitors", json=exhibitor_body(**{"tax_code": next_tax_code(), **profile}),
                            headers=headers)
    assert res.status_code == 201, res.text
    return headers, res.json()


async def exhibitor_at(client, app, fair_id: str, **profile: Any) -> tuple[dict[str, str], dict[str, Any]]:
    """A new exhibitor registered for the open fair `fair_id`: the fair's organizers may read its profile."""
    headers, created = await new_exhibitor(client, app, **profile)
    await register(client, fair_id, headers)
    return headers, created


async def register(client, fair_id: str, headers: dict[str, str], booths: int = 1, **body: Any) -> dict[str, Any]:
    """A submitted registration (asserting it was accepted)."""
    res = await client.post(f"/fairs/{fair_id}/registrations", json={"booths_requested": booths, **body},
                            headers=headers)
    assert res.status_code == 201, res.text
    return res.json()


async def outbox(app) -> list[tuple[str, dict[str, Any]]]:
    """Staged events, oldest first: (event name, payload)."""
    async with app.state.runtime.db.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [(EVENTS_BY_TYPE[r.event_type].event_name, json.loads(r.payload)) for r in rows]


async def names(app, registration_id: str | None = None) -> list[str]:
    """Names of the staged events (about one registration, when given)."""
    return [n for n, p in await outbox(app) if registration_id is None or p.get("registration_id") == registration_id]


async def deliver(app, event: Event, headers: dict[str, str] | None = None) -> dict[str, str]:
    """Feed an event to the service through the in-memory broker; returns the headers used (to redeliver)."""
    headers = headers or event_headers(event, source="/services/billing", correlation_id=unique("c-"))
    await app.state.runtime.broker.publish(event.model_dump_json().encode(), topic=event.topic,
                                           key=event.key().encode(), headers=headers)
    return headers
