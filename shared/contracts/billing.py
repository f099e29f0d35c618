"""Events of the billing service, on topic `billing.events`, keyed by fair id."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from shared.contracts.base import FairEvent, Vnd

TOPIC = "billing.events"


class InvoiceEvent(FairEvent):
    """An event about one invoice of a registration."""

    topic = TOPIC
    invoice_id: str
    registration_id: str

    def subject(self) -> str:
        return self.invoice_id


class InvoiceIssued(InvoiceEvent):
    """An invoice was issued for assigned booths. Sent once per invoice; a redelivered
    `booths.assigned` issues nothing. Carries the legal number (form, symbol, number) and totals."""

    event_name = "invoice.issued"
    exhibitor_id: str
    form: str
    symbol: str
    number: str
    issued_on: date
    due_on: date
    net_vnd: Vnd
    vat_vnd: Vnd
    total_vnd: Vnd
    subsidy_vnd: Vnd = 0
    payable_vnd: Vnd
    amount_in_words: str
    subsidy_programme_id: str | None = Field(
        default=None, description="the programme paying `subsidy_vnd` (second payer), if any")


class PaymentReceived(InvoiceEvent):
    """A payment (bank transfer, cash) was recorded against an invoice."""

    event_name = "payment.received"
    payment_id: str
    amount_vnd: int = Field(gt=0)
    method: str
    reference: str = ""
    received_on: date


class PaymentReversed(InvoiceEvent):
    """An organizer took back a mistaken payment: a reversal entry refers to it (the payment is never deleted).
    `invoice_paid` says whether the invoice is still paid in full afterwards; when it is not, a consumer that
    acted on `invoice.paid` (booths shows paid exhibitors' names on the public map) undoes it."""

    event_name = "payment.reversed"
    payment_id: str
    reversal_id: str
    amount_vnd: int = Field(gt=0)
    reason: str
    invoice_status: str
    invoice_paid: bool


class InvoicePaid(InvoiceEvent):
    """The invoice's payable amount (the exhibitor's share) is fully paid. Sent once per invoice, by the
    payment that completes it, or on issue when a programme pays everything. Not sent for a credit."""

    event_name = "invoice.paid"
    paid_on: date
    paid_vnd: Vnd = Field(default=0, description="the exhibitor's payments applied to the invoice")


class InvoiceOverdue(InvoiceEvent):
    """Not paid in full by its due date: sent once, by the overdue check on the day after the due date.
    Registration cancels the registration (reason `unpaid`); billing then voids the invoice."""

    event_name = "invoice.overdue"
    exhibitor_id: str
    due_on: date
    outstanding_vnd: Vnd


class InvoiceVoided(InvoiceEvent):
    """The invoice was cancelled by a cancellation document that refers to it (never deleted)."""

    event_name = "invoice.voided"
    reason: str
    cancellation_number: str = ""


class InvoiceAuthorised(InvoiceEvent):
    """The tax authority coded the invoice: its code (`authority_code`, MCCQT in the e-invoice XML) came back
    from the licensed e-invoice provider (its API, or typed in by an operator from the provider's portal) and
    is stored with the invoice and printed on its PDF. Sent once
    per invoice, in the transaction that stores the code; a repeated answer for the same invoice (the
    provider's idempotent reply to a retry) sends nothing. Not sent while the invoice waits for its code
    (the local adapter only writes the documents to a folder), nor for an invoice without code (`K` symbols)."""

    event_name = "invoice.authorised"
    exhibitor_id: str
    form: str
    symbol: str
    number: str
    authority_code: str = Field(min_length=1, max_length=34, description="Mã của cơ quan thuế (MCCQT)")
    authorised_at: datetime
    provider: str = Field(description="how it came: `http` (the provider's API) or `manual` (an operator)")


class SubsidyEvent(FairEvent):
    """An event about a subsidy programme's budget (khuyến công quốc gia / địa phương)."""

    topic = TOPIC
    subsidy_programme_id: str

    def subject(self) -> str:
        return self.subsidy_programme_id


class SubsidyCommitted(SubsidyEvent):
    """Part of a booth fee was committed against a programme's budget, when the invoice was issued.
    Sent once per invoice with a share; not sent when the exhibitor or fair is not eligible."""

    event_name = "subsidy.committed"
    registration_id: str
    invoice_id: str
    amount_vnd: Vnd
    booths: int = Field(ge=0)
    requested_vnd: Vnd = Field(default=0, description="the share before the budget limit")


class SubsidyReleased(SubsidyEvent):
    """A commitment was returned to the budget because its invoice was voided (cancellation, unpaid)."""

    event_name = "subsidy.released"
    registration_id: str
    amount_vnd: Vnd
    invoice_id: str = ""
    booths: int = Field(default=0, ge=0)
    reason: str = ""


class SubsidyExhausted(SubsidyEvent):
    """The programme's budget could not cover a request in full: the exhibitor pays the rest.
    Sent for each invoice that found the budget short (also when nothing at all was left)."""

    event_name = "subsidy.exhausted"
    remaining_vnd: Vnd
    registration_id: str = ""
    invoice_id: str = ""
    requested_vnd: Vnd = 0
    granted_vnd: Vnd = 0
