"""HTTP routes of an invoice's way to the tax authority: the code typed in, a failed submission sent again."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.billing.api.deps import DbDep, NowDep
from services.billing.schemas.invoices import AuthorityCode, EInvoicePublic, einvoice_public
from services.billing.service import authority
from shared.auth import Organizer

submissions = APIRouter(prefix="/invoices", tags=["invoices"])


@submissions.post("/{invoice_id}/authority-code", response_model=EInvoicePublic,
                  summary="Record the tax authority's code (MCCQT) that came back by hand; announced as "
                          "invoice.authorised (organizer of the centre; admin)")
async def create_authority_code(invoice_id: str, body: AuthorityCode, db: DbDep, principal: Organizer,
                                now: NowDep) -> EInvoicePublic:
    row = await authority.record_authority_code(db=db, principal=principal, invoice_id=invoice_id,
                                                code=body.authority_code, now=now)
    return einvoice_public(row)


@submissions.post("/{invoice_id}/submission/retry", response_model=EInvoicePublic,
                  summary="Send a failed submission to the e-invoice provider again (organizer of the centre; admin)")
async def retry_submission(invoice_id: str, db: DbDep, principal: Organizer, now: NowDep,
                           request: Request) -> EInvoicePublic:
    row = await authority.retry_submission(db=db, principal=principal, invoice_id=invoice_id, now=now)
    request.app.state.submitter.wake()
    return einvoice_public(row)


ROUTERS = (submissions,)
