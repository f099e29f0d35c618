"""What the billing service tests share: a hand-moved clock, the app, events to feed, what it emitted.

Holds no tests; the other test_billing_* modules import from it.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import col, select

from services.billing.app import create_app
from services.billing.models import Invoice
from services.billing.settings import BillingSettings
from shared.contracts import EVENTS_BY_TYPE
from shared.contracts.base import Event
from shared.contracts.booths import BoothsAssigned
from shared.contracts.registration import ExhibitorInfo, FairPublished, PartyInfo, RegistrationApproved
from shared.envelope import event_headers
from shared.outbox import OutboxMessage
from tests.conftest import token, unique

MAY_2026 = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
MARCH_2027 = datetime(2027, 3, 1, 3, 0, tzinfo=UTC)
FAIR_NAME = "Hội chợ Xuân Tuyên Quang 2026"
CENTRE = "tq"
# A local programme (KCĐP) of the centre: half of a booth with its VAT, at most 2 000 000 a booth, CSCNNT only.
LOCAL = {
    "name": "Khuyến công địa phương tỉnh Tuyên Quang 2026", "decision": "QĐ 123/QĐ-UBND", "level": "local",
    "funder": "Sở Công Thương Tuyên Quang", "funding_province_code": "Tuyên Quang", "budget_vnd": 100_000_000,
    "valid_from": "2026-01-01", "valid_to": "2026-12-31", "support_percent": 50, "cap_per_booth_vnd": 2_000_000,
    "max_booths_per_exhibitor": 2, "cscnnt_only": True, "eligible_provinces": ["08"],
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MAY_2026)


@pytest.fixture
def app(settings_for, clock):
    # The scheduled overdue check is tested on its own; here it would only race the tests' own calls.
    return create_app(settings_for("billing", consumer_max_attempts=2), clock=clock,
                      billing=BillingSettings(overdue_check_enabled=False))


def organizer(app, centre_id: str = CENTRE) -> dict[str, str]:
    return token(app.state.settings, "organizer", centre_id=centre_id)


def admin(app) -> dict[str, str]:
    return token(app.state.settings, "admin")


def exhibitor(app, exhibitor_id: str) -> dict[str, str]:
    return token(app.state.settings, "exhibitor", exhibitor_id=exhibitor_id)


def fair_info(fair_id: str, *, centre_id: str = CENTRE, price: int = 5_000_000,
              starts_on: date = date(2026, 6, 1)) -> dict[str, Any]:
    return dict(
        fair_id=fair_id, centre_id=centre_id, name=FAIR_NAME, kind="provincial", province_code="08",
        venue="Quảng trường Nguyễn Tất Thành", starts_on=starts_on, ends_on=starts_on.replace(day=7),
        registration_opens_at=datetime(2026, 4, 1, tzinfo=UTC),
        registration_closes_at=datetime(2026, 5, 20, tzinfo=UTC),
        capacity_booths=70, booth_price_vnd=price, max_booths_per_exhibitor=4,
        seller=PartyInfo(name="Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang", tax_code="0100233488",
                         address="Tuyên Quang", province_code="08"))


def buyer(exhibitor_id: str, *, kind: str = "cooperative", is_cscnnt: bool = True, province_code: str = "08",
          name: str = "HTX Chè Shan tuyết Đồng Văn", tax_code: str = "0100109106",
          address: str = "Thị trấn Đồng Văn", commune_code: str | None = None) -> ExhibitorInfo:
    return ExhibitorInfo(exhibitor_id=exhibitor_id, name=name, tax_code=tax_code, address=address,
                         province_code=province_code, commune_code=commune_code, kind=kind, is_cscnnt=is_cscnnt)


def approved(fair_id: str, registration_id: str, exhibitor_id: str, **who: Any) -> RegistrationApproved:
    return RegistrationApproved(fair_id=fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id,
                                exhibitor=buyer(exhibitor_id, **who), booths_requested=2, approved_at=MAY_2026)


def assigned(fair_id: str, registration_id: str, exhibitor_id: str, codes: list[str] | None = None,
             assignment_id: str | None = None, corner_count: int = 0) -> BoothsAssigned:
    return BoothsAssigned(fair_id=fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id,
                          booth_codes=codes or ["A01", "A02"], assignment_id=assignment_id or unique("as-"),
                          corner_count=corner_count)


async def feed(app, event: Event, headers: dict[str, str] | None = None) -> dict[str, str]:
    """Deliver an event to the service as the broker would; returns its headers to redeliver it."""
    headers = headers or event_headers(event, source="/tests", correlation_id=unique("c-"))
    await app.state.runtime.broker.publish(event.model_dump_json().encode(), topic=event.topic,
                                           key=event.key().encode(), headers=headers)
    return headers


async def emitted(app, event_name: str) -> list[Any]:
    """The events of one type the service staged in its outbox, oldest first."""
    await app.state.runtime.relay.flush()
    async with app.state.runtime.db.sessions() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    events = [EVENTS_BY_TYPE[r.event_type].model_validate_json(r.payload) for r in rows]
    return [e for e in events if e.event_name == event_name]


async def create(app, client, **changes: Any) -> dict[str, Any]:
    """Create a subsidy programme of the centre: LOCAL with ``changes``."""
    res = await client.post("/subsidy-programmes", json={**LOCAL, **changes}, headers=organizer(app))
    assert res.status_code == 201, res.text
    return dict(res.json())


async def programme(app, client, programme_id: str) -> dict[str, Any]:
    """A programme as its organizer reads it."""
    return dict((await client.get(f"/subsidy-programmes/{programme_id}", headers=organizer(app))).json())


async def stored_invoices(app) -> list[Invoice]:
    async with app.state.runtime.db.sessions() as session:
        return list((await session.exec(select(Invoice).order_by(col(Invoice.number)))).all())


async def publish_fair(app, fair_id: str | None = None, **info: Any) -> str:
    fair_id = fair_id or unique("fair-")
    await feed(app, FairPublished(**fair_info(fair_id, **info)))
    return fair_id


async def approved_registration(app, fair_id: str, exhibitor_id: str | None = None, **who: Any) -> tuple[str, str]:
    """Feed registration.approved for a new registration; returns (registration id, exhibitor id)."""
    registration_id, exhibitor_id = unique("reg-"), exhibitor_id or unique("ex-")
    await feed(app, approved(fair_id, registration_id, exhibitor_id, **who))
    return registration_id, exhibitor_id


async def invoice_for(app, client, fair_id: str, codes: list[str] | None = None, corner_count: int = 0,
                      **who: Any) -> dict[str, Any]:
    """Approve a new registration, assign it booths and return its invoice in full (as the admin sees it)."""
    registration = await approved_registration(app, fair_id, **who)
    await feed(app, assigned(fair_id, *registration, codes=codes, corner_count=corner_count))
    listed = (await client.get("/invoices", params={"registration_id": registration[0]}, headers=admin(app))).json()
    [row] = listed["data"]
    return (await client.get(f"/invoices/{row['id']}", headers=admin(app))).json()


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, as pypdf extracts it (one line per drawn text line)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
