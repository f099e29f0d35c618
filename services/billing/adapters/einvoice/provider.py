"""The port to a licensed e-invoice provider (tổ chức cung cấp dịch vụ hóa đơn điện tử), and its two adapters.

In real life the seller's invoices reach the tax authority through such a provider, which signs or relays
them and hands back the authority's code (MCCQT). Billing only needs one call: submit a document, get a
receipt (with the code, or without it yet). ``LocalFolder`` (the default, and the demo's) writes the XML
ready to sign and the PDF to a folder, for an operator to upload; ``HttpProvider`` calls a provider's API.
Neither touches the database: ``submission.py`` reads before and records after, in transactions of its own.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
import structlog

from services.billing.adapters.pdf_workers import BACKGROUND

log = structlog.get_logger()
# Answers worth trying again: the provider is down, overloaded or slow. Any other 4xx refuses the document.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_CODE_LENGTH = 34  # MCCQT's length in the authority's format


@dataclass(frozen=True)
class Document:
    """What is sent: the invoice's identity, its XML data document, and its PDF rendered on demand."""

    invoice_id: str
    seller_tax_code: str
    symbol: str
    number: int
    xml: bytes
    render_pdf: Callable[[], bytes]

    @property
    def file_stem(self) -> str:
        return f"{self.symbol}-{self.number:08d}"


@dataclass(frozen=True)
class Receipt:
    """The provider's answer: the authority's code when it came back at once, and the provider's reference."""

    authority_code: str | None
    reference: str = ""


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered that it cannot take the document now: try again later."""


class ProviderRefused(Exception):
    """The provider refused the document (bad data, bad credentials): trying again would not help."""


class DocumentError(ProviderRefused):
    """The invoice's XML or PDF could not be produced (e.g. a control character in a stored name): sending it
    again would fail again, so it is refused like a document the provider refuses."""


class EInvoiceProvider(Protocol):
    """Submits one invoice; submitting the same invoice again must never register it twice."""

    name: str

    async def submit(self, document: Document) -> Receipt: ...


async def render_in_background(render: Callable[[], bytes]) -> bytes:
    """Run `render` (a PDF: 25–40 ms of pure-Python CPU) in billing's background worker process
    (adapters/pdf_workers.py: SCHED_IDLE, CPU the services leave idle); a worker that died is the provider's
    unavailability for this round."""
    try:
        return await BACKGROUND.run(render)
    except BrokenProcessPool:  # the worker died (killed, out of memory): a new one next time
        raise ProviderUnavailable("the PDF worker stopped; the next round tries again") from None


class LocalFolder:
    """Writes ``<seller tax code>/<symbol>-<number>.xml`` and ``.pdf`` under a folder; the code comes later, typed
    in by an operator (``POST /invoices/{id}/authority-code``). Writing again replaces the same two files."""

    name = "local"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def submit(self, document: Document) -> Receipt:
        folder = self.directory / document.seller_tax_code
        pdf = await render_in_background(document.render_pdf)
        try:
            await asyncio.to_thread(self._write, folder, document.file_stem, document.xml, pdf)
        except OSError as exc:  # a full or read-only disk: the submitter retries later
            raise ProviderUnavailable(f"cannot write to {folder}: {exc.strerror or exc}") from exc
        return Receipt(authority_code=None, reference=str(folder / document.file_stem))

    @staticmethod
    def _write(folder: Path, stem: str, xml: bytes, pdf: bytes) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, data in ((".xml", xml), (".pdf", pdf)):
            # Written beside and renamed, so a reader never sees half a file.
            target = folder / f"{stem}{suffix}"
            partial = target.with_name(target.name + ".part")
            partial.write_bytes(data)
            os.replace(partial, target)


@dataclass(frozen=True)
class HttpCredentials:
    """An API key (sent as a bearer token) or a username and password (HTTP basic)."""

    api_key: str = ""
    username: str = ""
    password: str = ""

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def auth(self) -> httpx.BasicAuth | None:
        return httpx.BasicAuth(self.username, self.password) if self.username and not self.api_key else None


class HttpProvider:
    """POSTs the XML to ``<endpoint>/invoices`` with the invoice id as ``Idempotency-Key``: a retry after a lost
    answer gets the first registration's answer back. Retries transient failures ``attempts`` times per call,
    waiting ``backoff_s``, doubled each time; the submitter's own retries come on top, rounds apart."""

    name = "http"

    def __init__(self, endpoint: str, credentials: HttpCredentials, *, timeout_s: float = 10.0, attempts: int = 3,
                 backoff_s: float = 0.5, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = endpoint.rstrip("/") + "/invoices"
        self.credentials = credentials
        self.timeout_s, self.attempts, self.backoff_s = timeout_s, attempts, backoff_s
        self.transport = transport

    async def submit(self, document: Document) -> Receipt:
        headers = {"Content-Type": "application/xml", "Idempotency-Key": document.invoice_id,
                   **self.credentials.headers()}
        reason = "not tried"
        async with httpx.AsyncClient(timeout=self.timeout_s, auth=self.credentials.auth(),
                                     transport=self.transport) as client:
            for attempt in range(self.attempts):
                if attempt:
                    await asyncio.sleep(self.backoff_s * 2 ** (attempt - 1))
                try:
                    response = await client.post(self.url, content=document.xml, headers=headers)
                except httpx.TransportError as exc:
                    reason = f"no answer from the provider: {type(exc).__name__}"
                else:
                    if response.is_success:
                        return _receipt(response)
                    reason = f"HTTP {response.status_code} from the provider: {_detail(response)}"
                    if response.status_code not in RETRYABLE_STATUS:
                        raise ProviderRefused(reason)
                log.info("billing.einvoice_provider_retry", invoice_id=document.invoice_id, attempt=attempt + 1,
                         reason=reason)
        raise ProviderUnavailable(reason)


def _receipt(response: httpx.Response) -> Receipt:
    try:
        body = response.json()
        code, reference = body.get("mccqt"), str(body.get("transaction_id") or "")
    except (ValueError, AttributeError) as exc:
        raise ProviderUnavailable(f"unreadable answer from the provider: {exc}") from exc
    if code is not None and not (isinstance(code, str) and 0 < len(code) <= MAX_CODE_LENGTH):
        raise ProviderUnavailable(f"the provider answered an authority code that is not one: {code!r}")
    return Receipt(authority_code=code, reference=reference[:500])


def _detail(response: httpx.Response) -> str:
    return " ".join(response.text.split())[:300]
