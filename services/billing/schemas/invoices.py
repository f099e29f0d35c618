"""Bodies of the billing API for invoices and payments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.billing.domain.amounts import format_vnd
from services.billing.domain.invoices import cancellation_reason, issue_date, still_owed
from services.billing.domain.numbering import format_invoice_number
from services.billing.domain.submissions import SubmissionStatus
from services.billing.models import (
    Invoice,
    InvoiceCancellation,
    InvoiceLineRow,
    InvoiceSubmission,
    Payment,
    PaymentReversal,
)
from services.billing.service.queries import InvoiceView
from shared.text import TEXT

PaymentMethod = Literal["bank_transfer", "cash"]


class PaymentCreate(BaseModel):
    """Money received for an invoice: a bank transfer (with its bank reference) or cash (with a receipt number)."""

    model_config = ConfigDict(extra="forbid")

    amount_vnd: int = Field(description="whole đồng; must be positive", le=1_000_000_000_000)
    method: PaymentMethod
    reference: Annotated[str, Field(max_length=100), TEXT] = Field(
        default="", description="bank transaction id or receipt number")
    received_on: date = Field(description="the day the money came in: not before the invoice's date, not in the future")
    accept_overpayment: bool = Field(
        default=False, description="confirms an amount above what the invoice still owes (beyond the centre's "
                                   "tolerance): the excess becomes the exhibitor's credit")


class PaymentReverse(BaseModel):
    """Why a mistaken payment is taken back (kept with the reversal entry, with who and when)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=500), TEXT]


class ReversalPublic(BaseModel):
    """A reversal entry: a payment taken back, referring to it; the payment itself is kept."""

    id: str
    payment_id: str
    invoice_id: str
    amount_vnd: int
    applied_vnd: int = Field(description="what the invoice no longer counts as paid")
    credit_vnd: int = Field(description="the credit taken back (the payment's excess)")
    reason: str
    reversed_by: str
    reversed_at: datetime


class PartyPublic(BaseModel):
    """Seller or buyer as the invoice names them."""

    name: str
    tax_code: str
    address: str
    province_code: str | None = None


class InvoiceLinePublic(BaseModel):
    """One invoice line; ``vat_vnd`` is the line's own VAT, for display (totals group by rate)."""

    position: int
    description: str
    unit: str
    quantity: int
    unit_price_vnd: int
    net_vnd: int
    kind: str = Field(description="booth, surcharge or extra")
    vat_rate: str = Field(description='rate code as printed: "8%", "10%", "0%", "KCT" (not subject)')
    vat_vnd: int


class VatRateTotal(BaseModel):
    """Amount before VAT and VAT for one rate (the invoice's summary per rate)."""

    vat_rate: str
    net_vnd: int
    vat_vnd: int


class CancellationPublic(BaseModel):
    """The document that cancelled the invoice, naming the original by form, symbol, number and date."""

    number: str = Field(description='the document\'s reference, e.g. "HUY-C26TAA-00000001"')
    reason: str = Field(description="exhibitor, organizer, unpaid or fair_cancelled (registration.cancelled)")
    reason_text: str = Field(description="the reason in words, Vietnamese first")
    created_at: datetime
    cancelled_on: date = Field(description="the day of cancellation (Asia/Ho_Chi_Minh)")
    invoice_id: str
    invoice_form: str
    invoice_symbol: str
    invoice_number: str = Field(description="8 digits: the original keeps its number, never reused")
    invoice_issued_on: date
    invoice_total_vnd: int
    seller_name: str
    seller_tax_code: str
    buyer_name: str
    buyer_tax_code: str


class InvoicePublic(BaseModel):
    """An invoice in a list."""

    id: str
    fair_id: str
    registration_id: str
    exhibitor_id: str
    form: str
    symbol: str
    number: str = Field(description="8 digits, sequential without gaps within the symbol")
    issued_on: date
    due_on: date
    purpose: str = Field(description="booths, or extras ordered after the booth invoice")
    net_vnd: int
    vat_vnd: int
    total_vnd: int
    subsidy_vnd: int = Field(description="the programme's share (second payer)")
    payable_vnd: int = Field(description="what the exhibitor pays: total less the programme's share")
    paid_vnd: int
    outstanding_vnd: int
    amount_in_words: str = Field(description="the invoice's total payable (total_vnd) in words, ending in đồng; "
                                 "the programme's share is a settlement of part of it, not a deduction")
    status: str


class SubsidyPublic(BaseModel):
    """The programme's share as the invoice shows it."""

    programme_id: str
    amount_vnd: int
    requested_vnd: int = Field(description="the share before the budget limit; more than amount_vnd when short")
    budget_short: bool
    note: str


class PaymentPublic(BaseModel):
    """A payment recorded against an invoice."""

    id: str
    invoice_id: str
    amount_vnd: int
    applied_vnd: int = Field(description="the part that paid the invoice; the rest became a credit")
    credit_vnd: int
    method: str
    reference: str | None
    received_on: date
    recorded_at: datetime
    reversal: ReversalPublic | None = Field(default=None, description="set once the payment was reversed")


class EInvoicePublic(BaseModel):
    """Where the invoice stands with the tax authority: its submission through the e-invoice provider."""

    status: str = Field(description="pending (to be sent, again after a failure), awaiting_authority_code (handed "
                                    "over, no code yet), authorised (code stored), sent (an invoice without code, "
                                    "K symbol), failed (given up: see last_error; POST …/submission/retry)")
    attempts: int = Field(description="rounds tried so far")
    last_error: str = Field(description="why the last round failed; empty after a success")
    next_attempt_at: datetime | None = Field(description="when a pending submission is tried next")
    provider: str = Field(description="local, http, or manual (the code typed in); empty before the first success")
    authority_code: str | None = Field(description="Mã của cơ quan thuế (MCCQT), once it came back")
    submitted_at: datetime | None
    authorised_at: datetime | None


class AuthorityCode(BaseModel):
    """The tax authority's code of the invoice (MCCQT), as the provider's portal shows it."""

    model_config = ConfigDict(extra="forbid")

    authority_code: str = Field(min_length=1, max_length=34, pattern=r"^[0-9A-Za-z]+$")


class InvoiceDetail(InvoicePublic):
    """An invoice in full: parties, lines, totals per VAT rate, programme's share, payments, cancellation."""

    total_display: str = Field(description='e.g. "10.800.000 ₫"')
    payable_display: str
    seller: PartyPublic
    buyer: PartyPublic
    lines: list[InvoiceLinePublic]
    vat_by_rate: list[VatRateTotal]
    subsidy: SubsidyPublic | None = None
    subsidy_note: str = Field(default="", description=(
        "what the invoice prints about programme support: the share paid and its terms, a budget that fell "
        "short, or eligible programmes that had nothing left (the exhibitor pays in full); empty when none applies"))
    payments: list[PaymentPublic] = Field(default_factory=list)
    cancellation: CancellationPublic | None = None
    einvoice: EInvoicePublic | None = Field(default=None, description=(
        "the submission to the tax authority; null for an invoice issued before submissions existed"))


class CreditPublic(BaseModel):
    """Money the exhibitor has with a centre: an overpayment, or what it had paid on a voided invoice."""

    id: str
    centre_id: str
    amount_vnd: int
    reason: str
    invoice_id: str
    payment_id: str | None
    created_at: datetime


class CreditsPublic(BaseModel):
    """An exhibitor's credits and their sum."""

    exhibitor_id: str
    balance_vnd: int
    data: list[CreditPublic]


class VietQrPublic(BaseModel):
    """A VietQR (EMVCo) transfer payload for what is still owed, and its QR code."""

    invoice_id: str
    amount_vnd: int
    bank_bin: str
    bank_account: str
    bank_account_name: str
    purpose: str
    payload: str
    svg: str


class InvoicesPublic(BaseModel):
    """A page of invoices; ``count`` is the number matching, across pages."""

    data: list[InvoicePublic]
    count: int


def invoice_public(invoice: Invoice) -> InvoicePublic:
    """Shape an invoice for a list."""
    return InvoicePublic.model_validate({**invoice.model_dump(), "number": format_invoice_number(invoice.number),
                                         "outstanding_vnd": outstanding(invoice)})


def outstanding(invoice: Invoice) -> int:
    """What the exhibitor still owes (nothing on a paid or voided invoice)."""
    return still_owed(status=invoice.status, payable=invoice.payable_vnd, paid=invoice.paid_vnd)


def payment_public(row: Payment, reversal: PaymentReversal | None = None) -> PaymentPublic:
    """Shape a payment, with its reversal entry if it was taken back."""
    return PaymentPublic.model_validate({
        **row.model_dump(), "credit_vnd": row.amount_vnd - row.applied_vnd,
        "reversal": None if reversal is None else reversal_public(reversal)})


def reversal_public(row: PaymentReversal) -> ReversalPublic:
    """Shape a reversal entry."""
    return ReversalPublic.model_validate(row.model_dump())


def _subsidy_public(invoice: Invoice) -> SubsidyPublic | None:
    if invoice.subsidy_programme_id is None:
        return None
    return SubsidyPublic(programme_id=invoice.subsidy_programme_id, amount_vnd=invoice.subsidy_vnd,
                         requested_vnd=invoice.subsidy_requested_vnd,
                         budget_short=invoice.subsidy_vnd < invoice.subsidy_requested_vnd, note=invoice.subsidy_note)


def _line_public(row: InvoiceLineRow) -> InvoiceLinePublic:
    return InvoiceLinePublic.model_validate(row.model_dump())


def cancellation_public(invoice: Invoice, row: InvoiceCancellation) -> CancellationPublic:
    """Shape the cancellation document of a voided invoice."""
    return CancellationPublic(
        number=row.number, reason=row.reason, reason_text=cancellation_reason(row.reason),
        created_at=row.created_at, cancelled_on=issue_date(row.created_at), invoice_id=invoice.id,
        invoice_form=invoice.form, invoice_symbol=invoice.symbol, invoice_number=format_invoice_number(invoice.number),
        invoice_issued_on=invoice.issued_on, invoice_total_vnd=invoice.total_vnd, seller_name=invoice.seller_name,
        seller_tax_code=invoice.seller_tax_code, buyer_name=invoice.buyer_name, buyer_tax_code=invoice.buyer_tax_code)


def invoice_detail(view: InvoiceView) -> InvoiceDetail:
    """Shape an invoice in full."""
    inv = view.invoice
    return InvoiceDetail(
        **invoice_public(inv).model_dump(),
        total_display=format_vnd(inv.total_vnd),
        payable_display=format_vnd(inv.payable_vnd),
        seller=PartyPublic(name=inv.seller_name, tax_code=inv.seller_tax_code, address=inv.seller_address),
        buyer=PartyPublic(name=inv.buyer_name, tax_code=inv.buyer_tax_code, address=inv.buyer_address,
                          province_code=inv.buyer_province_code),
        lines=[_line_public(row) for row in view.lines],
        vat_by_rate=[VatRateTotal(vat_rate=code, net_vnd=net, vat_vnd=view.totals.vat_by_rate[code])
                     for code, net in view.totals.net_by_rate.items()],
        subsidy=_subsidy_public(inv),
        subsidy_note=inv.subsidy_note,
        payments=[payment_public(row, view.reversals.get(row.id)) for row in view.payments],
        cancellation=None if view.cancellation is None else cancellation_public(inv, view.cancellation),
        einvoice=None if view.submission is None else einvoice_public(view.submission),
    )


def einvoice_public(row: InvoiceSubmission) -> EInvoicePublic:
    """Shape an invoice's submission to the tax authority."""
    return EInvoicePublic.model_validate({
        **row.model_dump(), "next_attempt_at": row.next_attempt_at if row.status == SubmissionStatus.PENDING else None})
