"""The overdue saga over real processes and the real broker: an unpaid invoice past its due date is marked
overdue by billing, registration cancels the registration (reason unpaid), booths release the booths,
billing voids the invoice by a cancellation document and releases the programme's share, and the
waitlisted registration is approved in its place."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from devstack.platform import Platform, start_platform
from shared.auth import Role, issue_token
from shared.settings import load_settings
from tests.integration.helpers import eventually, read_topics
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SECRET = load_settings("tests").jwt_secret
ORGANIZER = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.ORGANIZER, centre_id='tq')}"}
ADMIN = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.ADMIN, subject='ops')}"}
PROGRAMME = {
    "name": "Khuyến công địa phương tỉnh Tuyên Quang", "level": "local", "funder": "Sở Công Thương Tuyên Quang",
    "funding_province_code": "08", "budget_vnd": 100_000_000, "valid_from": "2026-01-01", "valid_to": "2030-12-31",
    "support_percent": 50, "cap_per_booth_vnd": 2_000_000, "max_booths_per_exhibitor": 4, "cscnnt_only": True,
}


def exhibitor_headers(exhibitor_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, role=Role.EXHIBITOR, exhibitor_id=exhibitor_id)}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("overdue")
    # Invoices fall due the day they are issued; the test then runs the check as of the next day. The
    # scheduled check runs too (hourly), as of today, so it leaves today's invoices alone.
    # The services the overdue saga crosses, no more (each other process costs seconds of CPU to start).
    running = await start_platform(var_dir, services=("registration", "booths", "billing"),
                                   extra_env={"HANGVIET_ENV": "test", "BILLING_DUE_DAYS": "0"})
    yield running
    running.stop()


async def register(client: httpx.AsyncClient, platform: Platform, fair_id: str, tax_code: str) -> dict[str, Any]:
    """A new exhibitor registers for 2 booths and the organizer approves (or the fair waitlists it)."""
    ex = exhibitor_headers(f"ex-{uuid.uuid4().hex[:8]}")
    url = platform.url("registration")
    created = await client.post(f"{url}/exhibitors", json=exhibitor_body(tax_code=tax_code), headers=ex)
    assert created.status_code == 201, created.text
    reg = await client.post(f"{url}/fairs/{fair_id}/registrations", json={"booths_requested": 2}, headers=ex)
    assert reg.status_code == 201, reg.text
    decided = await client.post(f"{url}/registrations/{reg.json()['id']}/approve", headers=ORGANIZER)
    assert decided.status_code == 200, decided.text
    return dict(decided.json())


async def invoices_of(client: httpx.AsyncClient, platform: Platform, registration_id: str) -> list[dict[str, Any]]:
    res = await client.get(f"{platform.url('billing')}/invoices", params={"registration_id": registration_id},
                           headers=ORGANIZER)
    assert res.status_code == 200, res.text
    return list(res.json()["data"])


class TestOverdueSaga:
    async def test_an_unpaid_invoice_cancels_the_registration_voids_releases_and_promotes(
            self, platform: Platform) -> None:
        billing, registration = platform.url("billing"), platform.url("registration")
        async with httpx.AsyncClient(timeout=30) as client:
            programme = await client.post(f"{billing}/subsidy-programmes", json=PROGRAMME, headers=ORGANIZER)
            assert programme.status_code == 201, programme.text
            fair = await client.post(f"{registration}/fairs", json=fair_body(capacity_booths=2), headers=ORGANIZER)
            assert fair.status_code == 201, fair.text
            fair_id = fair.json()["id"]
            published = await client.post(f"{registration}/fairs/{fair_id}/publish", headers=ORGANIZER)
            assert published.status_code == 200, published.text

            late = await register(client, platform, fair_id, "0100233488")
            waiting = await register(client, platform, fair_id, "0100109106")
            assert (late["status"], waiting["status"]) == ("approved", "waitlisted")
            [invoice] = await eventually(lambda: invoices_of(client, platform, late["id"]), what="the invoice")
            assert invoice["due_on"] == invoice["issued_on"] and invoice["subsidy_vnd"] == 4_000_000

            tomorrow = (date.fromisoformat(invoice["due_on"]) + timedelta(days=1)).isoformat()
            check = await client.post(f"{billing}/admin/overdue-check", json={"as_of": tomorrow}, headers=ADMIN)
            assert check.status_code == 200 and check.json()["marked"] == [invoice["id"]], check.text

            async def voided() -> dict[str, Any] | None:
                res = await client.get(f"{billing}/invoices/{invoice['id']}", headers=ORGANIZER)
                return res.json() if res.json()["status"] == "voided" else None

            detail = await eventually(voided, what="the voided invoice")
            assert detail["number"] == invoice["number"]  # never renumbered
            assert detail["cancellation"]["number"] == f"HUY-{invoice['symbol']}-{invoice['number']}"
            assert detail["cancellation"]["reason"] == "unpaid"

            cancelled = (await client.get(f"{registration}/registrations/{late['id']}", headers=ORGANIZER)).json()
            assert cancelled["status"] == "cancelled", cancelled
            promoted = await eventually(lambda: invoices_of(client, platform, waiting["id"]),
                                        what="the promoted registration's invoice")
            assert promoted[0]["status"] == "issued"

            pid = programme.json()["id"]
            after = (await client.get(f"{billing}/subsidy-programmes/{pid}", headers=ORGANIZER)).json()
            assert after["committed_vnd"] == 4_000_000  # the first share released, the promoted one committed

        records = await read_topics(platform.bootstrap, ["registration.events", "booths.events", "billing.events"])
        late_events = [r.name for r in records if (r.json().get("registration_id") == late["id"])]
        for name in ("invoice.issued", "subsidy.committed", "invoice.overdue", "registration.cancelled",
                     "booths.released", "invoice.voided", "subsidy.released"):
            assert name in late_events, (name, late_events)
        cancelled_event = next(r for r in records if r.name == "registration.cancelled"
                               and r.json()["registration_id"] == late["id"])
        assert cancelled_event.json()["reason"] == "unpaid"
        overdue = next(r for r in records if r.name == "invoice.overdue")
        assert overdue.key == fair_id.encode()
        assert overdue.headers["ce_source"] == "/services/billing"
