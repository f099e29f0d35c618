"""Submitting issued invoices to the tax authority through the e-invoice provider, in the background.

Issuing an invoice stages a ``pending`` submission in the same transaction as ``invoice.issued``. A loop (one
per replica) then takes each pending invoice in three steps and holds no database session across the network:

1. **claim** (one transaction for the round's invoices): a conditional UPDATE counts the attempt and moves
   ``next_attempt_at`` a lease ahead (the k-th invoice of the round k+1 leases, as they are sent one after
   another), so another replica leaves the invoice alone while it is being sent; read what to send;
2. **submit** through the provider port (no transaction open);
3. **record** (another transaction): the code (``authorised``, ``invoice.authorised`` staged in the outbox),
   or the documents handed over without a code (``awaiting_authority_code``, one conditional UPDATE), or the
   failure: retried after a backoff that doubles, ``failed`` after ``max_attempts`` rounds or at once when the
   provider refuses.

A crash between 1 and 3 leaves the invoice pending; it is sent again when the lease ends, and the provider's
idempotency key (the invoice id) makes that second send return the first answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import structlog
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.adapters.einvoice.hdon import render_hdon
from services.billing.adapters.einvoice.provider import (
    Document,
    DocumentError,
    EInvoiceProvider,
    ProviderRefused,
    ProviderUnavailable,
    Receipt,
)
from services.billing.adapters.pdf_workers import draw_invoice
from services.billing.domain.numbering import format_invoice_number
from services.billing.domain.submissions import SUBMISSION_TRANSITIONS, SubmissionStatus
from services.billing.models import Invoice, InvoiceSubmission
from services.billing.service import queries
from shared.contracts import billing as ev
from shared.db import Database
from shared.tasks import raise_if_cancelling
from shared.uow import UnitOfWork

log = structlog.get_logger()
MAX_BACKOFF_S = 3600.0
# The statuses a hand-over without code may follow (SUBMISSION_TRANSITIONS), per status it leads to.
_HANDED_OVER_FROM = {target: [status.value for status in SubmissionStatus if SUBMISSION_TRANSITIONS.can(status, target)]
                     for target in (SubmissionStatus.AWAITING_CODE, SubmissionStatus.SENT)}


@dataclass(frozen=True)
class Policy:
    """How the submitter retries; ``lease_s`` must outlast one provider call with its own retries."""

    max_attempts: int = 8
    backoff_s: float = 30.0
    lease_s: float = 300.0
    batch: int = 20
    provider_tax_code: str = ""

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_s)

    def wait_after(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.backoff_s * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S))


async def submit_due(*, db: Database, provider: EInvoiceProvider, now: datetime, policy: Policy,
                     clock: Callable[[], datetime] | None = None) -> int:
    """One round: submit every pending invoice whose time has come (up to a batch); how many were tried.

    The round's invoices are claimed together, each for two leases, and sent one after another; before a send
    that would start with less than a lease of its claim left (`clock`, the time as the round goes on), the
    invoices still to send are claimed again for two leases from then. So each send has a whole lease of its
    own, and after a crash mid-round the rest are due again within two leases, whatever their place in it."""
    async with db.sessions() as session:
        due = list((await session.exec(
            select(InvoiceSubmission.invoice_id)
            .where(col(InvoiceSubmission.status) == SubmissionStatus.PENDING,
                   col(InvoiceSubmission.next_attempt_at) <= now)
            .order_by(col(InvoiceSubmission.next_attempt_at)).limit(policy.batch))).all())
    if not due:
        return 0
    views = await _claim(db=db, invoice_ids=due, now=now, policy=policy)
    held_until, lease = now + 2 * policy.lease, policy.lease
    while views:
        at = clock() if clock is not None else now
        if at + lease > held_until:
            held_until = at + 2 * lease
            kept = await _renew(db=db, invoice_ids=[view.invoice.id for view in views], at=at, until=held_until)
            views = [view for view in views if view.invoice.id in kept]
            if not views:
                break
        view, views = views[0], views[1:]
        await _send(db=db, provider=provider, view=view, now=now, policy=policy)
    return len(due)


async def submit_one(*, db: Database, provider: EInvoiceProvider, invoice_id: str, now: datetime,
                     policy: Policy) -> str | None:
    """Claim, submit and record one invoice; its new status, or None when another replica has it."""
    claimed = await _claim(db=db, invoice_ids=[invoice_id], now=now, policy=policy)
    if not claimed:
        return None
    return await _send(db=db, provider=provider, view=claimed[0], now=now, policy=policy)


async def _send(*, db: Database, provider: EInvoiceProvider, view: queries.InvoiceView, now: datetime,
                policy: Policy) -> str:
    """Submit one claimed invoice and record the answer; its new status."""
    invoice = view.invoice
    try:
        receipt = await provider.submit(_document(view, policy))
    except (ProviderUnavailable, ProviderRefused) as exc:
        return await _record_failure(db=db, invoice_id=invoice.id, error=str(exc), now=now, policy=policy,
                                     final=isinstance(exc, ProviderRefused))
    return await _record_receipt(db=db, invoice_id=invoice.id, symbol=invoice.symbol, receipt=receipt,
                                 provider=provider.name, now=now)


def _document(view: queries.InvoiceView, policy: Policy) -> Document:
    inv = view.invoice
    try:
        xml = render_hdon(view, provider_tax_code=policy.provider_tax_code)
    except ValueError as exc:  # lxml refuses text an XML document cannot hold
        raise DocumentError(f"the XML cannot be produced: {exc}") from exc
    return Document(invoice_id=inv.id, seller_tax_code=inv.seller_tax_code, symbol=inv.symbol, number=inv.number,
                    xml=xml, render_pdf=partial(_pdf, view))


def _pdf(view: queries.InvoiceView) -> bytes:
    # Runs in the PDF worker (adapters/pdf_workers.py), which alone imports fpdf2.
    from fpdf.errors import FPDFException

    try:
        return draw_invoice(view)
    except (ValueError, FPDFException) as exc:
        raise DocumentError(f"the PDF cannot be produced: {exc}") from exc


async def _claim(*, db: Database, invoice_ids: list[str], now: datetime,
                 policy: Policy) -> list[queries.InvoiceView]:
    """Claim the invoices still pending and due, in one transaction, each for two leases (`submit_due` renews
    what a long round has not sent yet), and read what to send; in the order given."""
    async with db.transaction() as session:
        claimed = set((await session.exec(
            update(InvoiceSubmission)
            .where(col(InvoiceSubmission.invoice_id).in_(invoice_ids),
                   col(InvoiceSubmission.status) == SubmissionStatus.PENDING,
                   col(InvoiceSubmission.next_attempt_at) <= now)
            .values(attempts=col(InvoiceSubmission.attempts) + 1, next_attempt_at=now + 2 * policy.lease)
            .returning(col(InvoiceSubmission.invoice_id))
            .execution_options(synchronize_session=False))).scalars().all())
        if not claimed:
            return []
        invoices = {row.id: row for row in (await session.exec(
            select(Invoice).where(col(Invoice.id).in_(claimed)))).all()}
        return await queries.views_of(session, [invoices[i] for i in invoice_ids if i in invoices])


async def _renew(*, db: Database, invoice_ids: list[str], at: datetime, until: datetime) -> set[str]:
    """Hold the claimed invoices still pending until `until`; those whose claim ran out (another replica may
    have them) are left alone. The ones held."""
    async with db.transaction() as session:
        return set((await session.exec(
            update(InvoiceSubmission)
            .where(col(InvoiceSubmission.invoice_id).in_(invoice_ids),
                   col(InvoiceSubmission.status) == SubmissionStatus.PENDING,
                   col(InvoiceSubmission.next_attempt_at) > at)
            .values(next_attempt_at=until)
            .returning(col(InvoiceSubmission.invoice_id))
            .execution_options(synchronize_session=False))).scalars().all())


async def _locked(session: AsyncSession, invoice_id: str) -> InvoiceSubmission:
    return (await session.exec(
        select(InvoiceSubmission).where(InvoiceSubmission.invoice_id == invoice_id)
        .with_for_update().execution_options(populate_existing=True))).one()


async def _record_receipt(*, db: Database, invoice_id: str, symbol: str, receipt: Receipt, provider: str,
                          now: datetime) -> str:
    # Without a code (the local folder), one conditional UPDATE records the hand-over where the transition is
    # allowed; otherwise (a code came back, or the row moved meanwhile) the row is locked and read first.
    if receipt.authority_code is None:
        handed_over = SubmissionStatus.AWAITING_CODE if symbol.startswith("C") else SubmissionStatus.SENT
        async with db.transaction() as session:
            moved = await session.exec(
                update(InvoiceSubmission)
                .where(col(InvoiceSubmission.invoice_id) == invoice_id,
                       col(InvoiceSubmission.status).in_(_HANDED_OVER_FROM[handed_over]))
                .values(status=handed_over, provider=provider, reference=receipt.reference, last_error="",
                        submitted_at=now)
                .execution_options(synchronize_session=False))
        if moved.rowcount == 1:
            log.info("billing.einvoice_submitted", invoice_id=invoice_id, provider=provider,
                     reference=receipt.reference)
            return handed_over
    async with db.unit_of_work() as uow:
        session = uow.session
        row = await _locked(session, invoice_id)
        if row.status == SubmissionStatus.AUTHORISED:  # recorded already (another replica, an operator)
            return row.status
        row.provider, row.reference, row.last_error, row.submitted_at = provider, receipt.reference, "", now
        if receipt.authority_code is None:
            handed_over = SubmissionStatus.AWAITING_CODE if symbol.startswith("C") else SubmissionStatus.SENT
            SUBMISSION_TRANSITIONS.check(row.status, handed_over)
            row.status = handed_over
            session.add(row)
            log.info("billing.einvoice_submitted", invoice_id=invoice_id, provider=provider, reference=row.reference)
            return row.status
        await authorise(uow, row, code=receipt.authority_code, how=provider, now=now)
        return row.status


async def _record_failure(*, db: Database, invoice_id: str, error: str, now: datetime, policy: Policy,
                          final: bool) -> str:
    async with db.transaction() as session:
        row = await _locked(session, invoice_id)
        if row.status != SubmissionStatus.PENDING:
            return row.status
        row.last_error = error[:1000]
        if final or row.attempts >= policy.max_attempts:
            SUBMISSION_TRANSITIONS.check(row.status, SubmissionStatus.FAILED)
            row.status = SubmissionStatus.FAILED
            log.error("billing.einvoice_failed", invoice_id=invoice_id, attempts=row.attempts, error=error)
        else:
            row.next_attempt_at = now + policy.wait_after(row.attempts)
            log.warning("billing.einvoice_retry_later", invoice_id=invoice_id, attempts=row.attempts, error=error,
                        next_attempt_at=row.next_attempt_at.isoformat())
        session.add(row)
        return row.status


async def authorise(uow: UnitOfWork, row: InvoiceSubmission, *, code: str, how: str, now: datetime) -> None:
    """Store the authority's code and stage ``invoice.authorised``, in the caller's transaction (once)."""
    session = uow.session
    invoice = await session.get(Invoice, row.invoice_id)
    assert invoice is not None  # a submission row refers to its invoice (foreign key)
    SUBMISSION_TRANSITIONS.check(row.status, SubmissionStatus.AUTHORISED)
    row.status, row.authority_code, row.authorised_at, row.provider = SubmissionStatus.AUTHORISED, code, now, how
    row.last_error = ""
    session.add(row)
    uow.emit(ev.InvoiceAuthorised(
        fair_id=invoice.fair_id, invoice_id=invoice.id, registration_id=invoice.registration_id,
        exhibitor_id=invoice.exhibitor_id, form=invoice.form, symbol=invoice.symbol,
        number=format_invoice_number(invoice.number), authority_code=code, authorised_at=now, provider=how),
)
    log.info("billing.invoice_authorised", invoice_id=invoice.id, authority_code=code, provider=how)


class Submitter:
    """The background loop: a round when woken (a commit staged events) or every ``interval_s`` seconds."""

    def __init__(self, *, db: Database, provider: EInvoiceProvider, clock: Callable[[], datetime], policy: Policy,
                 interval_s: float) -> None:
        self.db, self.provider, self.clock, self.policy, self.interval_s = db, provider, clock, policy, interval_s
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Run a round soon (called after each commit that staged events, e.g. invoice.issued)."""
        self._woken.set()

    async def run(self) -> None:
        """Submit due invoices for the life of the service; a database hiccup waits for the next round."""
        while True:
            self._woken.clear()
            try:
                while await submit_due(db=self.db, provider=self.provider, now=self.clock(), policy=self.policy,
                                       clock=self.clock):
                    raise_if_cancelling()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("billing.einvoice_round_failed", error=repr(exc))
            except Exception:  # anything else: said loudly, and the next round tries again (never a dead loop)
                log.exception("billing.einvoice_round_crashed")
            raise_if_cancelling()  # a cancellation swallowed in the round above still stops the loop
            try:
                await asyncio.wait_for(self._woken.wait(), timeout=self.interval_s)
            except TimeoutError:
                pass
