"""HTTP routes of invoices and payments: parse, authorise, call a use case, shape the reply."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.billing.adapters.einvoice.hdon import render_hdon
from services.billing.adapters.einvoice.tbao import render_tbao
from services.billing.adapters.pdf_workers import draw_cancellation, draw_invoice, render_on_request
from services.billing.api.deps import BillingDep, DbDep, NowDep
from services.billing.domain.invoices import InvoiceStatus
from services.billing.schemas.invoices import (
    CancellationPublic,
    CreditPublic,
    CreditsPublic,
    InvoiceDetail,
    InvoicesPublic,
    PaymentCreate,
    PaymentPublic,
    PaymentReverse,
    ReversalPublic,
    VietQrPublic,
    cancellation_public,
    invoice_detail,
    invoice_public,
    payment_public,
    reversal_public,
)
from services.billing.service import payments, queries
from shared.auth import Organizer, Principal, Role, require

# Exhibitors see their own invoices, organizers their centre's, admins all; regional centres none.
InvoiceReader = Annotated[Principal, require(Role.EXHIBITOR, Role.ORGANIZER)]
Id = Annotated[str | None, Query(min_length=1, max_length=64)]

invoices = APIRouter(prefix="/invoices", tags=["invoices"])
credits = APIRouter(prefix="/exhibitors", tags=["payments"])


@invoices.get("", response_model=InvoicesPublic,
              summary="Invoices the caller may see, with filters (exhibitor: own; organizer: its centre's; admin)")
async def read_invoices(db: DbDep, principal: InvoiceReader, registration_id: Id = None, exhibitor_id: Id = None,
                        fair_id: Id = None, status: InvoiceStatus | None = None, programme_id: Id = None,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100,
                        offset: Annotated[int, Query(ge=0)] = 0) -> InvoicesPublic:
    rows, count = await queries.list_invoices(db=db, principal=principal, registration_id=registration_id,
                                              exhibitor_id=exhibitor_id, fair_id=fair_id, status=status,
                                              programme_id=programme_id, limit=limit, offset=offset)
    return InvoicesPublic(data=[invoice_public(row) for row in rows], count=count)


# Declared before /{invoice_id}, which would otherwise take "x.pdf" or "x.xml" for an id.
@invoices.get("/{invoice_id}.pdf", response_class=Response, summary="The invoice as PDF (same roles)",
              responses={200: {"content": {"application/pdf": {}}}})
async def read_invoice_pdf(invoice_id: str, db: DbDep, principal: InvoiceReader) -> Response:
    view = await queries.get_invoice(db=db, principal=principal, invoice_id=invoice_id)
    name = f"hoa-don-{view.invoice.symbol}-{view.invoice.number:08d}.pdf"
    # Drawn in a worker process (adapters/pdf_workers.py): on a thread it held the GIL the consumer needs.
    return Response(await render_on_request(partial(draw_invoice, view)), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@invoices.get("/{invoice_id}.xml", response_class=Response,
              summary="The e-invoice XML data document (HDon, QĐ 1450/QĐ-TCT format), ready to sign (same roles)",
              responses={200: {"content": {"application/xml": {}},
                               "description": "HDon with DLHDon, an empty MCCQT for the authority's code "
                                              "(C symbols) and an empty DSCKS/NBan for the seller's signature"}})
async def read_invoice_xml(invoice_id: str, db: DbDep, principal: InvoiceReader, billing: BillingDep) -> Response:
    view = await queries.get_invoice(db=db, principal=principal, invoice_id=invoice_id)
    name = f"hoa-don-{view.invoice.symbol}-{view.invoice.number:08d}.xml"
    return Response(render_hdon(view, provider_tax_code=billing.einvoice_provider_tax_code),
                    media_type="application/xml", headers={"Content-Disposition": f'inline; filename="{name}"'})


@invoices.get("/{invoice_id}", response_model=InvoiceDetail,
              summary="One invoice with lines, totals per VAT rate, programme's share, payments (same roles)")
async def read_invoice(invoice_id: str, db: DbDep, principal: InvoiceReader) -> InvoiceDetail:
    return invoice_detail(await queries.get_invoice(db=db, principal=principal, invoice_id=invoice_id))


@invoices.get("/{invoice_id}/cancellation", response_model=CancellationPublic,
              summary="The cancellation document of a voided invoice, referring to the original (same roles)")
async def read_cancellation(invoice_id: str, db: DbDep, principal: InvoiceReader) -> CancellationPublic:
    return cancellation_public(*await queries.get_cancellation(db=db, principal=principal, invoice_id=invoice_id))


@invoices.get("/{invoice_id}/cancellation.xml", response_class=Response,
              summary="The cancellation as the seller's notice to the tax authority (04/SS-HĐĐT XML), ready to "
                      "sign; 404 while the invoice stands (same roles)",
              responses={200: {"content": {"application/xml": {}},
                               "description": "TBao referring to the original's form, symbol, number and date"}})
async def read_cancellation_xml(invoice_id: str, db: DbDep, principal: InvoiceReader) -> Response:
    invoice, cancellation = await queries.get_cancellation(db=db, principal=principal, invoice_id=invoice_id)
    return Response(render_tbao(invoice, cancellation), media_type="application/xml",
                    headers={"Content-Disposition": f'inline; filename="{cancellation.number}.xml"'})


@invoices.get("/{invoice_id}/cancellation.pdf", response_class=Response,
              summary="The cancellation document as PDF, referring to the original's form, symbol, number and "
                      "date; 404 while the invoice stands (same roles)",
              responses={200: {"content": {"application/pdf": {}}}})
async def read_cancellation_pdf(invoice_id: str, db: DbDep, principal: InvoiceReader) -> Response:
    invoice, cancellation = await queries.get_cancellation(db=db, principal=principal, invoice_id=invoice_id)
    # Drawn in a worker process, as the invoice's PDF is.
    return Response(await render_on_request(partial(draw_cancellation, invoice, cancellation)),
                    media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{cancellation.number}.pdf"'})


@invoices.post("/{invoice_id}/payments", status_code=status.HTTP_201_CREATED, response_model=PaymentPublic,
               summary="Record a bank transfer or cash payment (organizer of the centre; admin)")
async def create_payment(invoice_id: str, body: PaymentCreate, db: DbDep, principal: Organizer,
                         now: NowDep, billing: BillingDep) -> PaymentPublic:
    row = await payments.record_payment(db=db, principal=principal, invoice_id=invoice_id, body=body, now=now,
                                        overpayment_tolerance_vnd=billing.overpayment_tolerance_vnd)
    return payment_public(row)


@invoices.post("/{invoice_id}/payments/{payment_id}/reverse", status_code=status.HTTP_201_CREATED,
               response_model=ReversalPublic,
               summary="Reverse a mistaken payment by a reversal entry referring to it (never a delete): the invoice "
                       "owes it again, its credit is taken back; 409 if already reversed (organizer of the centre; "
                       "admin)")
async def reverse_payment(invoice_id: str, payment_id: str, body: PaymentReverse, db: DbDep, principal: Organizer,
                          now: NowDep) -> ReversalPublic:
    row = await payments.reverse_payment(db=db, principal=principal, invoice_id=invoice_id, payment_id=payment_id,
                                         body=body, now=now)
    return reversal_public(row)


@invoices.get("/{invoice_id}/vietqr", response_model=VietQrPublic,
              summary="A VietQR transfer payload and QR code (SVG) for what is still owed (same roles)")
async def read_vietqr(invoice_id: str, db: DbDep, principal: InvoiceReader) -> VietQrPublic:
    transfer = await payments.vietqr_of(db=db, principal=principal, invoice_id=invoice_id)
    return VietQrPublic.model_validate(transfer, from_attributes=True)


@credits.get("/{exhibitor_id}/credits", response_model=CreditsPublic,
             summary="An exhibitor's credits: overpayments, money paid on voided invoices (own; organizer; admin)")
async def read_credits(exhibitor_id: str, db: DbDep, principal: InvoiceReader) -> CreditsPublic:
    total, rows = await payments.credit_balance(db=db, principal=principal, exhibitor_id=exhibitor_id)
    return CreditsPublic(exhibitor_id=exhibitor_id, balance_vnd=total,
                         data=[CreditPublic.model_validate(row.model_dump()) for row in rows])


ROUTERS = (invoices, credits)
