"""The overdue check: invoices not paid in full by their due date become overdue (``invoice.overdue``).

It runs on a schedule (a loop started with the service) and on demand (``POST /admin/overdue-check``,
optionally "as of" another day). Each invoice turns overdue once: the status change is the guard,
and rows are locked so two replicas running the check at once do not both announce it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from services.billing.domain import invoices as invoice_rules
from services.billing.domain.invoices import InvoiceStatus
from services.billing.models import Invoice
from shared.contracts import billing as ev
from shared.db import Database
from shared.uow import UnitOfWork

log = structlog.get_logger()
BATCH = 500


async def check_overdue(*, db: Database, today: date, now: datetime) -> list[Invoice]:
    """Mark every issued invoice due before ``today`` and not paid in full as overdue; returns them."""
    marked: list[Invoice] = []
    while True:
        async with db.unit_of_work() as uow:
            rows = (await uow.session.exec(
                select(Invoice).where(Invoice.status == InvoiceStatus.ISSUED, col(Invoice.due_on) < today)
                .order_by(col(Invoice.due_on), col(Invoice.id)).limit(BATCH).with_for_update())).all()
            for invoice in rows:
                if invoice_rules.is_overdue(due_on=invoice.due_on, today=today):
                    marked.append(_mark(uow, invoice, now=now))
        if len(rows) < BATCH:
            return marked


def _mark(uow: UnitOfWork, invoice: Invoice, *, now: datetime) -> Invoice:
    invoice_rules.INVOICE_TRANSITIONS.check(invoice.status, InvoiceStatus.OVERDUE)
    invoice.status = InvoiceStatus.OVERDUE
    invoice.overdue_at = now
    uow.session.add(invoice)
    uow.emit(ev.InvoiceOverdue(
        fair_id=invoice.fair_id, invoice_id=invoice.id, registration_id=invoice.registration_id,
        exhibitor_id=invoice.exhibitor_id, due_on=invoice.due_on,
        outstanding_vnd=max(invoice.payable_vnd - invoice.paid_vnd, 0)))
    log.info("billing.invoice_overdue", invoice_id=invoice.id, registration_id=invoice.registration_id,
             due_on=invoice.due_on.isoformat())
    return invoice


async def run_schedule(*, db: Database, clock: Callable[[], datetime], interval_s: float) -> None:
    """Check every ``interval_s`` seconds for the life of the service; a database hiccup waits for the next run."""
    while True:
        now = clock()
        try:
            marked = await check_overdue(db=db, today=invoice_rules.issue_date(now), now=now)
            if marked:
                log.info("billing.overdue_check", marked=len(marked))
        except (SQLAlchemyError, OSError) as exc:
            log.warning("billing.overdue_check_failed", error=repr(exc))
        await asyncio.sleep(interval_s)
