"""The fair saga over real processes: Tansu broker, redis-server, six services, a local webhook receiver."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from standardwebhooks.webhooks import Webhook

from devstack.platform import Platform, start_platform
from shared.auth import Role, issue_token
from shared.settings import load_settings
from tests.integration.helpers import WebhookReceiver, eventually, read_topics
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

SECRET = load_settings("tests").jwt_secret
ORGANIZER = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.ORGANIZER, centre_id='tq')}"}
REGIONAL = {"Authorization": f"Bearer {issue_token(SECRET, role=Role.REGIONAL, subject='ttkc1', region='north')}"}
TOPICS = ["registration.events", "booths.events", "billing.events", "markets.events"]
TAX_CODES = ["0100233488", "0100109106", "5100123452", "5300456787", "5200112239", "5701012348", "0101000006"]


def exhibitor_headers(exhibitor_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, role=Role.EXHIBITOR, exhibitor_id=exhibitor_id)}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("platform")
    running = await start_platform(var_dir, extra_env={"WEBHOOK_ALLOW_LOOPBACK": "true", "HANGVIET_ENV": "test"})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def receiver() -> WebhookReceiver:
    return WebhookReceiver().start()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fair_id(platform: Platform, receiver: WebhookReceiver) -> str:
    async with httpx.AsyncClient(timeout=30) as client:
        sub = await client.post(f"{platform.url('subscriptions')}/subscriptions", headers=REGIONAL,
                                json={"url": receiver.url, "provinces": ["08"], "event_types": ["*"]})
        assert sub.status_code == 201, sub.text
        receiver.secret = sub.json()["secret"]  # type: ignore[attr-defined]
        fair = await client.post(f"{platform.url('registration')}/fairs", json=fair_body(), headers=ORGANIZER)
        assert fair.status_code == 201, fair.text
        published = await client.post(f"{platform.url('registration')}/fairs/{fair.json()['id']}/publish",
                                      headers=ORGANIZER)
        assert published.status_code == 200, published.text
    return str(fair.json()["id"])


async def register_and_approve(platform: Platform, fair_id: str, tax_code: str, booths: int,
                               correlation_id: str | None = None) -> str:
    """An exhibitor signs up and registers; the organizer approves. Returns the registration id."""
    ex = exhibitor_headers(f"ex-{uuid.uuid4().hex[:8]}")
    corr = {"X-Correlation-ID": correlation_id} if correlation_id else {}
    reg_url = platform.url("registration")
    async with httpx.AsyncClient(timeout=30) as client:
        created = await client.post(f"{reg_url}/exhibitors", json=exhibitor_body(tax_code=tax_code), headers=ex)
        assert created.status_code == 201, created.text
        reg = await client.post(f"{reg_url}/fairs/{fair_id}/registrations", json={"booths_requested": booths},
                                headers={**ex, **corr})
        assert reg.status_code == 201, reg.text
        approved = await client.post(f"{reg_url}/registrations/{reg.json()['id']}/approve",
                                     headers={**ORGANIZER, **corr})
        assert approved.json()["status"] == "approved", approved.text
    return str(reg.json()["id"])


async def invoices_of(platform: Platform, registration_id: str) -> list[dict]:
    async with httpx.AsyncClient(timeout=30) as client:
        res = await client.get(f"{platform.url('billing')}/invoices", params={"registration_id": registration_id},
                               headers=ORGANIZER)
    assert res.status_code == 200, res.text
    body = res.json()
    return list(body["data"] if isinstance(body, dict) else body)


class TestFairSaga:
    async def test_every_service_is_ready(self, platform: Platform) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            for name in platform.ports:
                res = await client.get(f"{platform.url(name)}/ready")
                assert res.status_code == 200, (name, res.text)
                assert (await client.get(f"{platform.url(name)}/asyncapi")).json()["asyncapi"].startswith("3.")

    async def test_approval_flows_to_booths_invoice_and_webhook_under_one_correlation_id(
            self, platform: Platform, fair_id: str, receiver: WebhookReceiver) -> None:
        correlation_id = f"saga-{uuid.uuid4().hex[:8]}"
        registration_id = await register_and_approve(platform, fair_id, TAX_CODES[0], 2, correlation_id)

        invoices = await eventually(lambda: invoices_of(platform, registration_id), what="the invoice")
        assert len(invoices) == 1

        async def assignment() -> list[dict]:
            async with httpx.AsyncClient(timeout=30) as client:
                res = await client.get(f"{platform.url('booths')}/fairs/{fair_id}/assignments", headers=ORGANIZER)
            data = res.json()
            rows = data["data"] if isinstance(data, dict) else data
            return [a for a in rows if a["registration_id"] == registration_id]

        assert len((await eventually(assignment, what="the booth assignment"))[0]["booth_codes"]) == 2

        records = await read_topics(platform.bootstrap, TOPICS)
        saga = [r for r in records if r.headers.get("ce_correlationid") == correlation_id]
        names = {r.name for r in saga}
        assert {"registration.approved", "booths.assigned", "invoice.issued"} <= names, names
        sources = {r.headers["ce_source"] for r in saga}
        assert {"/services/registration", "/services/booths", "/services/billing"} <= sources

        issued = next(r for r in saga if r.name == "invoice.issued")
        event = from_binary_event(KafkaMessage(headers={k: v.encode() for k, v in issued.headers.items()},
                                               key=issued.key, value=issued.value))
        assert event.get_type() == "vn.hangviet.invoice.issued.v1"
        assert issued.key == fair_id.encode()

        async def webhook_for_invoice() -> list[dict]:
            return [r for r in receiver.delivered()
                    if json.loads(r["body"]).get("type") == "vn.hangviet.invoice.issued.v1"
                    and json.loads(r["body"]).get("correlationid") == correlation_id]

        delivered = (await eventually(webhook_for_invoice, what="the invoice.issued webhook"))[0]
        Webhook(receiver.secret).verify(delivered["body"], delivered["headers"])  # type: ignore[attr-defined]


    async def test_a_payment_puts_the_payers_name_on_the_public_map(self, platform: Platform, fair_id: str) -> None:
        """invoice.paid from billing to booths through the real broker: an assigned booth shows no name to the
        public until its invoice is paid, then its exhibitor's."""
        registration_id = await register_and_approve(platform, fair_id, TAX_CODES[6], 1)
        [invoice] = await eventually(lambda: invoices_of(platform, registration_id), what="the invoice")

        async def public_booth() -> dict:
            async with httpx.AsyncClient(timeout=30) as client:
                assigned = (await client.get(f"{platform.url('booths')}/fairs/{fair_id}/assignments",
                                             headers=ORGANIZER)).json()
                rows = assigned["data"] if isinstance(assigned, dict) else assigned
                [code] = next(a["booth_codes"] for a in rows if a["registration_id"] == registration_id)
                plan = (await client.get(f"{platform.url('booths')}/fairs/{fair_id}/floorplan")).json()
            return dict(next(b for b in plan["booths"] if b["code"] == code))

        unpaid = await eventually(public_booth, what="the assigned booth")
        assert unpaid["status"] == "assigned" and not unpaid.get("exhibitor_name"), unpaid
        async with httpx.AsyncClient(timeout=30) as client:
            paid = await client.post(f"{platform.url('billing')}/invoices/{invoice['id']}/payments",
                                     json={"amount_vnd": invoice["payable_vnd"], "method": "bank_transfer",
                                           "reference": f"FT{uuid.uuid4().hex[:10]}",
                                           "received_on": invoice["issued_on"]},
                                     headers=ORGANIZER)
        assert paid.status_code == 201, paid.text

        async def named() -> dict | None:
            booth = await public_booth()
            return booth if booth.get("exhibitor_name") else None

        assert (await eventually(named, what="the payer's name on the public map"))["status"] == "assigned"


class TestDeliveryGuarantees:
    async def test_a_killed_consumer_loses_nothing_and_applies_nothing_twice(
            self, platform: Platform, fair_id: str) -> None:
        platform.supervisor.kill("billing")
        registrations = [await register_and_approve(platform, fair_id, tax, 1) for tax in TAX_CODES[1:4]]
        await platform.start_service("billing")
        for registration_id in registrations:
            invoices = await eventually(lambda r=registration_id: invoices_of(platform, r),
                                        what="invoice after restart")
            assert len(invoices) == 1

        # Redeliver every booths.assigned already applied (same ce_id): nothing new is issued.
        records = await read_topics(platform.bootstrap, ["booths.events"])
        assigned = [r for r in records if r.name == "booths.assigned"]
        producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap, acks="all")
        await producer.start()
        try:
            for r in assigned:
                await producer.send_and_wait("booths.events", r.value, key=r.key,
                                             headers=[(k, v.encode()) for k, v in r.headers.items()])
        finally:
            await producer.stop()
        probe = await register_and_approve(platform, fair_id, TAX_CODES[4], 1)
        await eventually(lambda: invoices_of(platform, probe), what="the probe invoice")  # redeliveries were read
        numbers = []
        for registration_id in registrations:
            invoices = await invoices_of(platform, registration_id)
            assert len(invoices) == 1
            numbers.append(invoices[0]["number"])
        assert len(set(numbers)) == len(numbers)

    async def test_a_malformed_message_is_dead_lettered_and_the_consumer_goes_on(
            self, platform: Platform, fair_id: str) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=platform.bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait("booths.events", b"{not json", key=fair_id.encode(), headers=[
                ("ce_specversion", b"1.0"), ("ce_id", b"poison-" + uuid.uuid4().hex.encode()),
                ("ce_source", b"/tests"), ("ce_type", b"vn.hangviet.booths.assigned.v1")])
        finally:
            await producer.stop()

        async def dead_letters() -> list:
            records = await read_topics(platform.bootstrap, ["booths.events.dlq"])
            return [r for r in records if r.headers.get("ce_source") == "/tests"
                    and r.headers.get("dlq_consumer") == "billing"]

        dead = (await eventually(dead_letters, what="the poison message on booths.events.dlq"))[0]
        assert "invalid" in dead.headers["dlq_reason"]
        after = await register_and_approve(platform, fair_id, TAX_CODES[5], 1)
        assert len(await eventually(lambda: invoices_of(platform, after), what="invoice after poison")) == 1
