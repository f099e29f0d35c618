"""Submitting invoices to the tax authority through the e-invoice provider port: the local folder (default), the
background submitter's claims, retries and give-up, the code typed in or answered, and the settings.

The HTTP adapter against a real fake provider process is tests/integration/test_einvoice_provider.py."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from lxml import etree
from sqlmodel import select

from services.billing.adapters.einvoice.hdon import schema
from services.billing.adapters.einvoice.provider import (
    Document,
    HttpProvider,
    LocalFolder,
    ProviderRefused,
    ProviderUnavailable,
    Receipt,
)
from services.billing.app import create_app, make_provider
from services.billing.models import Invoice, InvoiceSubmission
from services.billing.service import submission
from services.billing.settings import BillingSettings
from tests.conftest import running_app
from tests.integration.helpers import eventually
from tests.service.billing_support import (
    MAY_2026,
    Clock,
    admin,
    emitted,
    exhibitor,
    invoice_for,
    organizer,
    pdf_text,
    publish_fair,
)

CODE = "009A1B2C3D4E5F60718293A4B5C6D7E8F9"  # 34 characters, as the authority's codes are
SELLER_TAX_CODE = "0100233488"  # the seller of billing_support.fair_info


class FakeProvider:
    """Answers each submission with the next of ``answers`` (a receipt, or an exception to raise); when they run
    out, with a code. ``gate``, when set, holds every call until the test opens it."""

    name = "http"

    def __init__(self, *answers: Receipt | Exception, gate: asyncio.Event | None = None) -> None:
        self.answers, self.gate = list(answers), gate
        self.calls: list[Document] = []

    async def submit(self, document: Document) -> Receipt:
        self.calls.append(document)
        if self.gate is not None:
            await self.gate.wait()
        answer = self.answers.pop(0) if self.answers else Receipt(CODE, reference="tx-1")
        if isinstance(answer, Exception):
            raise answer
        return answer


def app_with(settings_for, provider: FakeProvider, clock: Clock, **billing: object):
    """Billing whose submitter does not run by itself: the test runs its rounds (``run_round``)."""
    return create_app(settings_for("billing"), clock=clock, provider=provider, billing=BillingSettings(
        overdue_check_enabled=False, einvoice_submit_enabled=False, **billing))


async def run_round(app, provider, clock: Clock, **policy: object) -> int:
    return await submission.submit_due(db=app.state.runtime.db, provider=provider, now=clock(),
                                       policy=submission.Policy(**policy))  # type: ignore[arg-type]


async def einvoice(app, client, invoice_id: str) -> dict:
    return (await client.get(f"/invoices/{invoice_id}", headers=admin(app))).json()["einvoice"]


class TestLocalFolder:
    async def test_an_issued_invoice_is_written_ready_to_sign_and_awaits_its_code(self, settings_for, tmp_path):
        app = create_app(settings_for("billing"), clock=Clock(MAY_2026),
                         billing=BillingSettings(overdue_check_enabled=False))
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))

            async def handed_over():
                state = await einvoice(app, client, invoice["id"])
                return state if state["status"] == "awaiting_authority_code" else None

            state = await eventually(handed_over, timeout=30, interval=0.05, what="the local adapter's round")
            authorised = await emitted(app, "invoice.authorised")
            pdf = (await client.get(f"/invoices/{invoice['id']}.pdf", headers=admin(app))).content
        folder = tmp_path / "einvoices" / SELLER_TAX_CODE
        xml = etree.fromstring((folder / "C26TAA-00000001.xml").read_bytes())
        schema().assertValid(xml)
        assert xml.findtext("MCCQT") == "" and xml.findtext("DLHDon/TTChung/SHDon") == "1"
        assert "authority code" not in pdf_text((folder / "C26TAA-00000001.pdf").read_bytes())
        assert sorted(p.name for p in folder.iterdir()) == ["C26TAA-00000001.pdf", "C26TAA-00000001.xml"]
        assert (state["provider"], state["attempts"], state["last_error"], state["authority_code"]) == (
            "local", 1, "", None)
        assert authorised == [] and "authority code" not in pdf_text(pdf)

    async def test_writing_again_replaces_the_same_two_files(self, tmp_path):
        folder = LocalFolder(tmp_path)
        for version in (b"<HDon>1</HDon>", b"<HDon>2</HDon>"):
            receipt = await folder.submit(Document("i1", SELLER_TAX_CODE, "C26TAA", 7, version,
                                                    partial(bytes, b"%PDF")))  # drawn in a worker process
        assert receipt == Receipt(None, reference=str(tmp_path / SELLER_TAX_CODE / "C26TAA-00000007"))
        assert sorted(p.name for p in (tmp_path / SELLER_TAX_CODE).iterdir()) == [
            "C26TAA-00000007.pdf", "C26TAA-00000007.xml"]
        assert (tmp_path / SELLER_TAX_CODE / "C26TAA-00000007.xml").read_bytes() == b"<HDon>2</HDon>"

    async def test_a_folder_it_cannot_write_to_is_a_failure_to_retry(self, tmp_path):
        (tmp_path / "blocked").write_text("a file where the folder should be")
        with pytest.raises(ProviderUnavailable, match="cannot write"):
            await LocalFolder(tmp_path / "blocked").submit(Document("i1", "0100233488", "C26TAA", 1, b"", bytes))


class TestAuthorityCodeTypedIn:
    async def test_the_code_is_stored_printed_in_the_xml_and_announced_once(self, settings_for):
        clock = Clock(MAY_2026)
        provider = FakeProvider(Receipt(None, reference="/var/einvoices/x"))
        app = app_with(settings_for, provider, clock)
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            await run_round(app, provider, clock)
            url = f"/invoices/{invoice['id']}/authority-code"
            first = await client.post(url, json={"authority_code": CODE}, headers=organizer(app))
            again = await client.post(url, json={"authority_code": CODE}, headers=organizer(app))
            other = await client.post(url, json={"authority_code": "00FFFF"}, headers=organizer(app))
            by_exhibitor = await client.post(url, json={"authority_code": CODE},
                                             headers=exhibitor(app, invoice["exhibitor_id"]))
            other_centre = await client.post(url, json={"authority_code": CODE}, headers=organizer(app, "hg"))
            bad = await client.post(url, json={"authority_code": "not a code"}, headers=organizer(app))
            [event] = await emitted(app, "invoice.authorised")
            pdf = (await client.get(f"/invoices/{invoice['id']}.pdf", headers=admin(app))).content
            xml = etree.fromstring((await client.get(f"/invoices/{invoice['id']}.xml", headers=admin(app))).content)
            state = await einvoice(app, client, invoice["id"])
        assert (first.status_code, again.status_code, other.status_code) == (200, 200, 409)
        assert (by_exhibitor.status_code, other_centre.status_code, bad.status_code) == (403, 404, 422)
        assert (event.invoice_id, event.authority_code, event.provider, event.symbol, event.number) == (
            invoice["id"], CODE, "manual", "C26TAA", "00000001")
        assert (state["status"], state["authority_code"], state["provider"]) == ("authorised", CODE, "manual")
        assert f"Mã của cơ quan thuế / authority code: {CODE}" in pdf_text(pdf)
        schema().assertValid(xml)
        assert xml.findtext("MCCQT") == CODE


class TestSubmitter:
    async def test_a_code_that_comes_back_is_stored_and_announced_once(self, settings_for):
        clock, provider = Clock(MAY_2026), FakeProvider()
        app = app_with(settings_for, provider, clock)
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            rounds = [await run_round(app, provider, clock), await run_round(app, provider, clock)]
            [event] = await emitted(app, "invoice.authorised")
            state = await einvoice(app, client, invoice["id"])
        assert rounds == [1, 0] and len(provider.calls) == 1
        assert provider.calls[0].invoice_id == invoice["id"] and b"<SHDon>1</SHDon>" in provider.calls[0].xml
        assert (event.authority_code, event.provider, event.authorised_at) == (CODE, "http", MAY_2026)
        assert (state["status"], state["authority_code"], state["attempts"], state["next_attempt_at"]) == (
            "authorised", CODE, 1, None)

    async def test_an_unavailable_provider_is_retried_after_a_doubling_backoff_with_the_error_shown(
            self, settings_for):
        clock = Clock(MAY_2026)
        provider = FakeProvider(ProviderUnavailable("HTTP 503 from the provider: busy"),
                                ProviderUnavailable("no answer from the provider: ConnectError"))
        app = app_with(settings_for, provider, clock)
        policy = {"backoff_s": 60.0, "max_attempts": 5}
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            await run_round(app, provider, clock, **policy)
            after_one = await einvoice(app, client, invoice["id"])
            too_early = await run_round(app, provider, Clock(MAY_2026 + timedelta(seconds=59)), **policy)
            clock.now = MAY_2026 + timedelta(seconds=60)
            await run_round(app, provider, clock, **policy)
            after_two = await einvoice(app, client, invoice["id"])
            clock.now += timedelta(seconds=120)
            await run_round(app, provider, clock, **policy)
            after_three = await einvoice(app, client, invoice["id"])
        assert (after_one["status"], after_one["attempts"], after_one["last_error"]) == (
            "pending", 1, "HTTP 503 from the provider: busy")
        assert after_one["next_attempt_at"] == "2026-05-10T03:01:00Z" and too_early == 0
        assert (after_two["attempts"], after_two["next_attempt_at"]) == (2, "2026-05-10T03:03:00Z")
        assert after_two["last_error"] == "no answer from the provider: ConnectError"
        assert (after_three["status"], after_three["attempts"], after_three["last_error"]) == ("authorised", 3, "")

    async def test_it_gives_up_after_its_attempts_and_a_retry_request_sends_it_again(self, settings_for):
        clock = Clock(MAY_2026)
        provider = FakeProvider(*[ProviderUnavailable("HTTP 502 from the provider: bad gateway")] * 2)
        app = app_with(settings_for, provider, clock)
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            for _ in range(3):
                await run_round(app, provider, clock, backoff_s=0.0, max_attempts=2)
            failed = await einvoice(app, client, invoice["id"])
            retried = await client.post(f"/invoices/{invoice['id']}/submission/retry", headers=organizer(app))
            retried_twice = await client.post(f"/invoices/{invoice['id']}/submission/retry", headers=organizer(app))
            await run_round(app, provider, clock, backoff_s=0.0, max_attempts=2)
            state = await einvoice(app, client, invoice["id"])
        assert (failed["status"], failed["attempts"], failed["last_error"]) == (
            "failed", 2, "HTTP 502 from the provider: bad gateway")
        assert len(provider.calls) == 3  # two failed rounds, none while failed, one after the retry
        assert (retried.status_code, retried_twice.status_code) == (200, 409)
        assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
        assert (state["status"], state["attempts"], state["last_error"]) == ("authorised", 1, "")

    async def test_a_refused_document_fails_at_once(self, settings_for):
        clock = Clock(MAY_2026)
        provider = FakeProvider(ProviderRefused("HTTP 422 from the provider: MST người bán không hợp lệ"))
        app = app_with(settings_for, provider, clock)
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            await run_round(app, provider, clock, backoff_s=0.0)
            await run_round(app, provider, clock, backoff_s=0.0)
            state = await einvoice(app, client, invoice["id"])
        assert (state["status"], state["attempts"], len(provider.calls)) == ("failed", 1, 1)
        assert state["last_error"] == "HTTP 422 from the provider: MST người bán không hợp lệ"

    async def test_a_name_stored_before_text_checks_goes_out_without_what_xml_cannot_hold(self, settings_for):
        clock, provider = Clock(MAY_2026), FakeProvider()
        app = app_with(settings_for, provider, clock)
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            broken, fine = await invoice_for(app, client, fair_id), await invoice_for(app, client, fair_id)
            async with app.state.runtime.db.transaction() as session:  # stored before names were cleaned
                row = await session.get(Invoice, broken["id"])
                row.buyer_name = "HTX Chè\x07 Shan tuyết"
                session.add(row)
            await run_round(app, provider, clock)
            states = [await einvoice(app, client, invoice["id"]) for invoice in (broken, fine)]
            xml = await client.get(f"/invoices/{broken['id']}.xml", headers=admin(app))
        assert (states[0]["status"], states[1]["status"]) == ("authorised", "authorised")
        sent = {call.invoice_id: call.xml for call in provider.calls}
        assert "<Ten>HTX Chè Shan tuyết</Ten>".encode() in sent[broken["id"]] and b"\x07" not in sent[broken["id"]]
        assert xml.status_code == 200 and "HTX Chè Shan tuyết".encode() in xml.content


    async def test_no_transaction_is_held_while_the_provider_answers(self, settings_for):
        clock = Clock(MAY_2026)
        app = None

        class WritesMeanwhile(FakeProvider):
            async def submit(self, document: Document) -> Receipt:
                # Blocks (SQLite: the writer's lock; PostgreSQL: the row lock of the claim's UPDATE) if the
                # claim's transaction were still open.
                async with asyncio.timeout(10), app.state.runtime.db.transaction() as session:
                    row = await session.get(InvoiceSubmission, document.invoice_id)
                    row.reference = "written while the provider answers"
                    session.add(row)
                return await super().submit(document)

        provider = WritesMeanwhile()
        app = app_with(settings_for, provider, clock)
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            await run_round(app, provider, clock)
            state = await einvoice(app, client, invoice["id"])
        assert state["status"] == "authorised"

    async def test_an_invoice_being_sent_is_not_claimed_again(self, settings_for):
        clock, gate = Clock(MAY_2026), asyncio.Event()
        provider = FakeProvider(gate=gate)
        app = app_with(settings_for, provider, clock)
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            first = asyncio.create_task(run_round(app, provider, clock))

            async def called() -> list[Document]:
                return provider.calls

            await eventually(called, timeout=10, interval=0.01, what="the first round's call")
            second = await submission.submit_one(db=app.state.runtime.db, provider=provider, invoice_id=invoice["id"],
                                                 now=clock(), policy=submission.Policy())
            gate.set()
            await first
            state = await einvoice(app, client, invoice["id"])
        assert second is None and len(provider.calls) == 1
        assert (state["status"], state["attempts"]) == ("authorised", 1)

    async def test_a_rounds_invoices_are_claimed_together_each_for_two_leases(self, settings_for):
        clock, gate = Clock(MAY_2026), asyncio.Event()
        provider = FakeProvider(gate=gate)
        app = app_with(settings_for, provider, clock)
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            invoices = [await invoice_for(app, client, fair_id) for _ in range(3)]
            first = asyncio.create_task(run_round(app, provider, clock, lease_s=60.0))

            async def called() -> list[Document]:
                return provider.calls

            await eventually(called, timeout=10, interval=0.01, what="the round's first call")
            async with app.state.runtime.db.sessions() as session:
                claimed = {row.invoice_id: row for row in (await session.exec(select(InvoiceSubmission))).all()}
            second = await run_round(app, provider, clock)  # another replica's round meanwhile
            gate.set()
            await first
            states = [await einvoice(app, client, invoice["id"]) for invoice in invoices]
        # Not the k-th one k + 1 leases: after a crash mid-round, the last one of 20 would wait 21 of them.
        sent = [document.invoice_id for document in provider.calls]
        assert sorted(sent) == sorted(invoice["id"] for invoice in invoices) and second == 0
        assert [claimed[invoice_id].next_attempt_at - MAY_2026 for invoice_id in sent] == [timedelta(seconds=120)] * 3
        assert all(row.attempts == 1 for row in claimed.values())
        assert [(state["status"], state["attempts"]) for state in states] == [("authorised", 1)] * 3

    async def test_a_long_round_renews_the_claim_of_what_it_has_not_sent_before_a_lease_is_left(self, settings_for,
                                                                                                  monkeypatch):
        clock = Clock(MAY_2026)
        lease = timedelta(seconds=60)

        class SlowProvider(FakeProvider):
            async def submit(self, document: Document) -> Receipt:
                clock.now += lease * 0.75  # each call takes three quarters of a lease (it may take up to half)
                return await super().submit(document)

        provider = SlowProvider(Receipt(None, reference="a"), Receipt(None, reference="b"),
                                Receipt(None, reference="c"))
        app = app_with(settings_for, provider, clock)
        seen: list[timedelta] = []
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            invoices = [await invoice_for(app, client, fair_id) for _ in range(3)]
            db = app.state.runtime.db
            real_send = submission._send

            async def send(**kwargs: object) -> str:
                async with db.sessions() as session:  # the claim of the one about to be sent, as it starts
                    row = (await session.exec(select(InvoiceSubmission).where(
                        InvoiceSubmission.invoice_id == kwargs["view"].invoice.id))).one()  # type: ignore[attr-defined]
                seen.append(row.next_attempt_at - clock())
                return await real_send(**kwargs)  # type: ignore[arg-type]

            monkeypatch.setattr(submission, "_send", send)
            await submission.submit_due(db=db, provider=provider, now=clock(), clock=clock,
                                        policy=submission.Policy(lease_s=lease.total_seconds()))
            states = [await einvoice(app, client, invoice["id"]) for invoice in invoices]
        assert len(provider.calls) == 3
        assert all(left >= lease for left in seen), f"every send starts with a whole lease left: {seen}"
        assert seen == [2 * lease, 2 * lease - lease * 0.75, 2 * lease]  # the third renewed for two from then
        assert [state["status"] for state in states] == ["awaiting_authority_code"] * 3

    async def test_an_invoice_without_code_is_sent_and_awaits_nothing(self, settings_for):
        clock, provider = Clock(MAY_2026), FakeProvider(Receipt(None, reference="tx-9"))
        app = app_with(settings_for, provider, clock)
        async with running_app(app) as client:
            await client.put("/invoice-settings", headers=organizer(app), json={"with_tax_authority_code": False})
            invoice = await invoice_for(app, client, await publish_fair(app))
            await run_round(app, provider, clock)
            state = await einvoice(app, client, invoice["id"])
            typed = await client.post(f"/invoices/{invoice['id']}/authority-code", headers=organizer(app),
                                      json={"authority_code": CODE})
        assert invoice["symbol"] == "K26TAA"
        assert (state["status"], state["authority_code"], typed.status_code) == ("sent", None, 409)

    async def test_the_loop_wakes_when_an_invoice_is_issued(self, settings_for):
        clock, provider = Clock(MAY_2026), FakeProvider()
        # An hour between polls: only the wake-up after invoice.issued's commit can make it this quick.
        app = create_app(settings_for("billing"), clock=clock, provider=provider, billing=BillingSettings(
            overdue_check_enabled=False, einvoice_submit_interval_s=3600))
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            [event] = await eventually(lambda: emitted(app, "invoice.authorised"), timeout=30, interval=0.05,
                                       what="invoice.authorised")
        assert event.invoice_id == invoice["id"]


class TestSettings:
    def test_the_local_folder_is_the_default_under_the_var_dir(self, settings_for, tmp_path):
        provider = make_provider(BillingSettings(), settings_for("billing"))
        assert isinstance(provider, LocalFolder) and provider.directory == tmp_path / "einvoices"

    def test_the_http_provider_is_read_from_the_environment(self, monkeypatch, settings_for):
        for name, value in {"PROVIDER": "http", "HTTP_URL": "https://hddt.example.vn/api/", "HTTP_API_KEY": "k-1",
                            "HTTP_ATTEMPTS": "4", "HTTP_TIMEOUT_S": "2.5"}.items():
            monkeypatch.setenv(f"BILLING_EINVOICE_{name}", value)
        provider = make_provider(BillingSettings(), settings_for("billing"))
        assert isinstance(provider, HttpProvider)
        assert (provider.url, provider.attempts, provider.timeout_s) == ("https://hddt.example.vn/api/invoices", 4, 2.5)
        assert provider.credentials.headers() == {"Authorization": "Bearer k-1"}
        assert "k-1" not in repr(BillingSettings())

    @pytest.mark.parametrize(("values", "message"), [
        ({}, "BILLING_EINVOICE_HTTP_URL"),
        ({"einvoice_http_url": "ftp://hddt.example.vn"}, "http\\(s\\) URL"),
        ({"einvoice_http_url": "https://hddt.example.vn"}, "API_KEY"),
        ({"einvoice_http_url": "https://hddt.example.vn", "einvoice_http_username": "u"}, "PASSWORD"),
        ({"einvoice_http_url": "http://hddt.example.vn", "einvoice_http_api_key": "k"}, "https"),
    ])
    def test_an_http_provider_without_endpoint_or_credentials_is_refused_at_start_up(self, values, message):
        with pytest.raises(ValueError, match=message):
            BillingSettings(einvoice_provider="http", **values)

    def test_plain_http_is_accepted_for_a_provider_on_this_machine(self):
        settings = BillingSettings(einvoice_provider="http", einvoice_http_url="http://127.0.0.1:9999",
                                   einvoice_http_username="u", einvoice_http_password="p")
        assert settings.einvoice_dir(Path("/srv/var")) == Path("/srv/var/einvoices")


@pytest.mark.sqlite_only(reason="the PDF worker's scheduling reads no database")
async def test_the_pdf_worker_runs_only_on_cpu_nothing_else_wants() -> None:
    """SCHED_IDLE: under load the worker waits rather than take a share of a core from the saga's services."""
    from services.billing.adapters.einvoice import provider

    policy = await provider.render_in_background(partial(os.sched_getscheduler, 0))  # type: ignore[arg-type]
    assert policy == os.SCHED_IDLE
