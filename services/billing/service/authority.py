"""What an operator does about an invoice's submission: type in the authority's code, send a failed one again.

With the local adapter the documents go to the provider by hand (its portal), and so does the code come back:
the centre's organizer records it here, and it is stored, printed and announced exactly as when the provider's
API answers it (``submission.authorise``).
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.domain.access import check_centre
from services.billing.domain.submissions import SUBMISSION_TRANSITIONS, SubmissionStatus
from services.billing.models import Invoice, InvoiceSubmission
from services.billing.service import submission
from shared.db import Database
from shared.errors import NotFound, Rejected
from shared.principal import Principal

log = structlog.get_logger()


async def _submission_of(session: AsyncSession, principal: Principal, invoice_id: str) -> tuple[Invoice,
                                                                                             InvoiceSubmission]:
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(f"Không tìm thấy hóa đơn / invoice {invoice_id} not found", code="not-found")
    check_centre(principal, invoice.centre_id)
    row = (await session.exec(select(InvoiceSubmission).where(InvoiceSubmission.invoice_id == invoice_id)
                              .with_for_update().execution_options(populate_existing=True))).first()
    if row is None:
        raise Rejected("Hóa đơn lập trước khi có gửi cơ quan thuế / the invoice predates submissions",
                       code="not-submitted")
    return invoice, row


async def record_authority_code(*, db: Database, principal: Principal, invoice_id: str, code: str,
                                now: datetime) -> InvoiceSubmission:
    """Store the code the authority gave (once); the same code again changes nothing, another one is refused."""
    async with db.unit_of_work() as uow:
        invoice, row = await _submission_of(uow.session, principal, invoice_id)
        if not invoice.symbol.startswith("C"):
            raise Rejected("Hóa đơn không có mã của cơ quan thuế / an invoice without code (K) gets none",
                           code="without-code", field="authority_code")
        if row.status == SubmissionStatus.AUTHORISED:
            if row.authority_code != code:
                raise Rejected(f"Hóa đơn đã có mã {row.authority_code} / the invoice already has its code",
                               code="already-authorised", field="authority_code")
            return row
        await submission.authorise(uow, row, code=code, how="manual", now=now)
        return row


async def retry_submission(*, db: Database, principal: Principal, invoice_id: str,
                           now: datetime) -> InvoiceSubmission:
    """Send a failed submission again, with a fresh count of attempts (after the cause was put right)."""
    async with db.transaction() as session:
        _, row = await _submission_of(session, principal, invoice_id)
        if row.status != SubmissionStatus.FAILED:
            raise Rejected(f"Chỉ gửi lại hóa đơn gửi lỗi / only a failed submission is retried (it is {row.status})",
                           code="not-failed")
        SUBMISSION_TRANSITIONS.check(row.status, SubmissionStatus.PENDING)
        row.status, row.attempts, row.next_attempt_at = SubmissionStatus.PENDING, 0, now
        session.add(row)
        log.info("billing.einvoice_retry_requested", invoice_id=invoice_id, last_error=row.last_error)
        return row
