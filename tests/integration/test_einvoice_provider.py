"""The HTTP e-invoice provider adapter over real HTTP against a fake provider process: the authority's code comes
back; a 503 is retried; an answer lost after registering is asked for again with the same idempotency key and
registers nothing twice; a duplicate submission gets the same code. Then billing itself, configured for the
HTTP provider, submits an issued invoice in the background, through failures, and stores, prints and announces
the code."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from services.billing.adapters.einvoice.provider import (
    Document,
    HttpCredentials,
    HttpProvider,
    ProviderRefused,
    ProviderUnavailable,
)
from services.billing.app import create_app
from services.billing.settings import BillingSettings
from tests.conftest import running_app, unique
from tests.integration.helpers import eventually
from tests.ports import refused_port
from tests.service.billing_support import MAY_2026, Clock, admin, emitted, invoice_for, pdf_text, publish_fair

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "test-provider-key"
HDON = b"<HDon><DLHDon><TTChung><KHHDon>C26TAA</KHHDon><SHDon>1</SHDon></TTChung></DLHDon></HDon>"


class FakeProviderProcess:
    """The fake provider, running as its own process on a free port."""

    def __init__(self, url: str) -> None:
        self.url = url

    def control(self, **body: Any) -> None:
        httpx.post(f"{self.url}/_control", json=body).raise_for_status()

    def report(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/_control").json())


@pytest.fixture(scope="module")
def fake_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeProviderProcess]:
    port_file = tmp_path_factory.mktemp("fake-provider") / "port"
    process = subprocess.Popen([sys.executable, "-m", "tests.integration.fake_einvoice_provider", "--port", "0",
                                "--port-file", str(port_file), "--api-key", API_KEY, "--username", "hv",
                                "--password", "pw"], cwd=ROOT)
    try:
        fake = FakeProviderProcess(f"http://127.0.0.1:{_reported_port(port_file, process)}")
        _wait_until_up(fake.url, process)
        yield fake
    finally:
        process.terminate()
        process.wait(timeout=10)


def _reported_port(port_file: Path, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> int:
    """The port the process bound and wrote to `port_file`; fail at once if it exits first."""
    for _ in range(int(timeout_s / 0.05)):
        if port_file.exists():
            return int(port_file.read_text())
        assert process.poll() is None, f"the fake provider exited with {process.returncode}"
        time.sleep(0.05)  # a child process's file: nothing to await
    raise AssertionError("the fake provider did not report its port")


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """Poll /health until it answers (at most ``timeout_s``); fail at once if the process exits."""
    with httpx.Client(timeout=1.0) as client:
        for _ in range(int(timeout_s / 0.1)):
            try:
                if client.get(f"{url}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            try:
                process.wait(timeout=0.1)  # the pause between polls, which also notices an early exit
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"the fake provider exited with {process.returncode}")
    raise AssertionError(f"the fake provider did not answer on {url} within {timeout_s}s")


def document(invoice_id: str | None = None) -> Document:
    return Document(invoice_id or unique("inv-"), "0100233488", "C26TAA", 1, HDON, bytes)


def adapter(fake: FakeProviderProcess, **credentials: str) -> HttpProvider:
    return HttpProvider(fake.url, HttpCredentials(**(credentials or {"api_key": API_KEY})), timeout_s=5,
                        attempts=3, backoff_s=0.01)


class TestHttpAdapter:
    async def test_the_authority_code_comes_back(self, fake_provider):
        doc = document()
        receipt = await adapter(fake_provider).submit(doc)
        assert receipt.authority_code is not None and len(receipt.authority_code) == 34
        assert receipt.reference.startswith("tx-")
        assert fake_provider.report()["registered"][doc.invoice_id] == 1

    async def test_basic_credentials_are_accepted_too(self, fake_provider):
        receipt = await adapter(fake_provider, username="hv", password="pw").submit(document())
        assert receipt.authority_code

    async def test_a_503_is_retried_and_registers_once(self, fake_provider):
        doc, before = document(), fake_provider.report()["calls"]
        fake_provider.control(fail=[503])
        receipt = await adapter(fake_provider).submit(doc)
        report = fake_provider.report()
        assert receipt.authority_code and report["calls"] - before == 2
        assert report["registered"][doc.invoice_id] == 1

    async def test_a_lost_answer_is_asked_for_again_and_never_registers_twice(self, fake_provider):
        doc, before = document(), fake_provider.report()["calls"]
        fake_provider.control(lose=1)
        receipt = await adapter(fake_provider).submit(doc)
        again = await adapter(fake_provider).submit(doc)  # a duplicate submission, later
        report = fake_provider.report()
        assert receipt.authority_code and again.authority_code == receipt.authority_code
        assert again.reference == receipt.reference
        assert (report["calls"] - before, report["registered"][doc.invoice_id]) == (3, 1)

    async def test_a_provider_down_for_longer_than_the_attempts_is_unavailable(self, fake_provider):
        fake_provider.control(fail=[503, 502, 504])
        with pytest.raises(ProviderUnavailable, match="HTTP 504"):
            await adapter(fake_provider).submit(document())

    async def test_bad_credentials_are_refused_without_retrying(self, fake_provider):
        before = fake_provider.report()["calls"]
        with pytest.raises(ProviderRefused, match="HTTP 401"):
            await adapter(fake_provider, api_key="wrong").submit(document())
        assert fake_provider.report()["calls"] - before == 1

    async def test_nobody_answering_is_unavailable(self):
        with refused_port() as port:
            provider = HttpProvider(f"http://127.0.0.1:{port}", HttpCredentials(api_key="k"), attempts=2,
                                    backoff_s=0.01)
            with pytest.raises(ProviderUnavailable, match="no answer from the provider: ConnectError"):
                await provider.submit(document())


class TestBillingWithTheHttpProvider:
    async def test_an_issued_invoice_is_authorised_in_the_background_through_a_failure(self, fake_provider,
                                                                                      settings_for):
        # More 503s than one round's attempts: the first round fails and the second, a backoff later, succeeds.
        fake_provider.control(fail=[503, 503])
        billing = BillingSettings(overdue_check_enabled=False, einvoice_provider="http",
                                  einvoice_http_url=fake_provider.url, einvoice_http_api_key=API_KEY,
                                  einvoice_http_attempts=2, einvoice_http_backoff_s=0.01,
                                  einvoice_submit_backoff_s=0.2, einvoice_submit_interval_s=0.1)
        app = create_app(settings_for("billing"), clock=_RealTimeFrom(MAY_2026), billing=billing)
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            [event] = await eventually(lambda: emitted(app, "invoice.authorised"), timeout=60, interval=0.05,
                                       what="invoice.authorised")
            state = (await client.get(f"/invoices/{invoice['id']}", headers=admin(app))).json()["einvoice"]
            pdf = (await client.get(f"/invoices/{invoice['id']}.pdf", headers=admin(app))).content
            xml = etree.fromstring((await client.get(f"/invoices/{invoice['id']}.xml", headers=admin(app))).content)
        code = event.authority_code
        assert (event.invoice_id, event.provider, len(code)) == (invoice["id"], "http", 34)
        assert (state["status"], state["authority_code"], state["attempts"], state["last_error"]) == (
            "authorised", code, 2, "")
        assert fake_provider.report()["registered"][invoice["id"]] == 1
        assert f"Mã của cơ quan thuế / authority code: {code}" in pdf_text(pdf)
        assert xml.findtext("MCCQT") == code


class _RealTimeFrom(Clock):
    """A clock that starts at a fixed instant and then moves with real time (the submitter's backoff passes)."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.now + timedelta(seconds=time.monotonic() - self._origin)
