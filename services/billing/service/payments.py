"""Recording money received: payments against an invoice, the credit of an overpayment, exhibitors' credits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from services.billing.adapters.vietqr import qr_svg, transfer_payload
from services.billing.domain import invoices as invoice_rules
from services.billing.domain.access import check_centre
from services.billing.domain.amounts import format_vnd
from services.billing.domain.invoices import InvoiceStatus, PaymentRefused
from services.billing.models import CentreSettings, Credit, Invoice, Payment, PaymentReversal
from services.billing.schemas.invoices import PaymentCreate, PaymentReverse
from services.billing.service import invoicing, queries
from shared.contracts import billing as ev
from shared.db import Database
from shared.errors import Invalid, NotFound, Rejected
from shared.principal import Principal, Role
from shared.uow import UnitOfWork

log = structlog.get_logger()

async def record_payment(*, db: Database, principal: Principal, invoice_id: str, body: PaymentCreate,
                         now: datetime, overpayment_tolerance_vnd: int = 0) -> Payment:
    """Apply a payment to an unpaid invoice; the excess becomes the exhibitor's credit with the centre."""
    reference = body.reference.strip() or None
    if body.method == "bank_transfer" and reference is None:
        raise Invalid("Chuyển khoản cần mã giao dịch / a bank transfer needs its reference", field="reference")
    if body.received_on > invoice_rules.issue_date(now):
        raise Invalid("Ngày nhận tiền ở tương lai / received_on is in the future", field="received_on")
    try:
        async with db.unit_of_work() as uow:
            session = uow.session
            invoice = (await session.exec(select(Invoice).where(Invoice.id == invoice_id).with_for_update())).first()
            if invoice is None:
                raise NotFound(f"Không tìm thấy hóa đơn / invoice {invoice_id} not found", code="not-found")
            check_centre(principal, invoice.centre_id)
            if body.received_on < invoice.issued_on:
                raise Invalid(f"Ngày nhận tiền trước ngày lập hóa đơn ({invoice.issued_on.isoformat()}) / received_on "
                              "is before the invoice's date", field="received_on", code="received-before-invoice")
            payment = _apply(uow, invoice, body, reference=reference, principal=principal, now=now,
                             tolerance=overpayment_tolerance_vnd)
    except IntegrityError as exc:
        raise Rejected("Giao dịch đã được ghi nhận / this payment reference was already recorded",
                       field="reference", code="duplicate-payment") from exc
    return payment


def _apply(uow: UnitOfWork, invoice: Invoice, body: PaymentCreate, *, reference: str | None,
           principal: Principal, now: datetime, tolerance: int) -> Payment:
    try:
        outcome = invoice_rules.apply_payment(status=InvoiceStatus(invoice.status), payable=invoice.payable_vnd,
                                              paid=invoice.paid_vnd, amount=body.amount_vnd)
    except PaymentRefused as exc:
        if exc.field:
            raise Invalid(f"Số tiền phải dương / {exc}", field=exc.field, code="invalid-amount") from exc
        raise Rejected(f"Hóa đơn không nhận thanh toán / {exc}", code="not-payable") from exc
    if outcome.credit_vnd > tolerance and not body.accept_overpayment:
        owed, excess = format_vnd(invoice.payable_vnd - invoice.paid_vnd), format_vnd(outcome.credit_vnd)
        raise Invalid(f"Số tiền vượt số còn phải trả ({owed}) {excess}: xác nhận (accept_overpayment) để ghi phần "
                      f"vượt vào số dư có của doanh nghiệp / the amount exceeds what is owed ({owed}) by {excess}: "
                      "confirm with accept_overpayment to keep the excess as the exhibitor's credit",
                      field="amount_vnd", code="overpayment-unconfirmed")
    session = uow.session
    payment = Payment(invoice_id=invoice.id, amount_vnd=body.amount_vnd, applied_vnd=outcome.applied_vnd,
                      method=body.method, reference=reference, received_on=body.received_on,
                      recorded_by=principal.subject, recorded_at=now)
    session.add(payment)
    invoice.paid_vnd += outcome.applied_vnd
    session.add(invoice)
    if outcome.credit_vnd:
        session.add(Credit(centre_id=invoice.centre_id, exhibitor_id=invoice.exhibitor_id,
                           amount_vnd=outcome.credit_vnd, reason="overpayment", invoice_id=invoice.id,
                           payment_id=payment.id, created_at=now))
    uow.emit(ev.PaymentReceived(
        fair_id=invoice.fair_id, invoice_id=invoice.id, registration_id=invoice.registration_id,
        payment_id=payment.id, amount_vnd=body.amount_vnd, method=body.method, reference=reference or "",
        received_on=body.received_on))
    log.info("billing.payment_received", invoice_id=invoice.id, payment_id=payment.id, amount_vnd=body.amount_vnd,
             credit_vnd=outcome.credit_vnd)
    if outcome.paid_in_full:
        invoicing.mark_paid(uow, invoice, now=now)
    return payment


async def reverse_payment(*, db: Database, principal: Principal, invoice_id: str, payment_id: str,
                          body: PaymentReverse, now: datetime) -> PaymentReversal:
    """Take back a mistaken payment by a reversal entry that refers to it (who, when, why); the payment stays.

    The invoice no longer counts the payment's applied part as paid (a paid invoice is issued again), and the
    credit its excess made is taken back by a negative credit entry. Once per payment: 409 after that.
    """
    reason = body.reason.strip()
    if not reason:
        raise Invalid("Cần nêu lý do huỷ khoản thu / a reason is required", field="reason", code="reason-required")
    try:
        async with db.unit_of_work() as uow:
            session = uow.session
            invoice = (await session.exec(select(Invoice).where(Invoice.id == invoice_id).with_for_update())).first()
            if invoice is None:
                raise NotFound(f"Không tìm thấy hóa đơn / invoice {invoice_id} not found", code="not-found")
            check_centre(principal, invoice.centre_id)
            payment = (await session.exec(select(Payment).where(
                Payment.id == payment_id, Payment.invoice_id == invoice.id))).first()
            if payment is None:
                raise NotFound(f"Không tìm thấy khoản thu / payment {payment_id} not found", code="not-found")
            if (await session.exec(select(PaymentReversal).where(PaymentReversal.payment_id == payment.id))).first():
                raise Rejected("Khoản thu này đã được huỷ / this payment was already reversed",
                               code="already-reversed")
            reversal = _reverse(uow, invoice, payment, reason=reason, principal=principal, now=now)
    except IntegrityError as exc:
        raise Rejected("Khoản thu này đã được huỷ / this payment was already reversed",
                       code="already-reversed") from exc
    return reversal


def _reverse(uow: UnitOfWork, invoice: Invoice, payment: Payment, *, reason: str, principal: Principal,
             now: datetime) -> PaymentReversal:
    session = uow.session
    outcome = invoice_rules.reverse_payment(status=InvoiceStatus(invoice.status), payable=invoice.payable_vnd,
                                            paid=invoice.paid_vnd, amount=payment.amount_vnd,
                                            applied=payment.applied_vnd)
    reversal = PaymentReversal(payment_id=payment.id, invoice_id=invoice.id, amount_vnd=payment.amount_vnd,
                               applied_vnd=outcome.applied_vnd, credit_vnd=outcome.credit_vnd, reason=reason,
                               reversed_by=principal.subject, reversed_at=now)
    session.add(reversal)
    invoice.paid_vnd -= outcome.applied_vnd
    if outcome.status != invoice.status:
        invoice_rules.INVOICE_TRANSITIONS.check(invoice.status, outcome.status)
        invoice.status = outcome.status
        invoice.paid_at = None
    session.add(invoice)
    if outcome.credit_vnd:
        session.add(Credit(centre_id=invoice.centre_id, exhibitor_id=invoice.exhibitor_id,
                           amount_vnd=-outcome.credit_vnd, reason="reversal", invoice_id=invoice.id,
                           payment_id=payment.id, created_at=now))
    uow.emit(ev.PaymentReversed(
        fair_id=invoice.fair_id, invoice_id=invoice.id, registration_id=invoice.registration_id,
        payment_id=payment.id, reversal_id=reversal.id, amount_vnd=payment.amount_vnd, reason=reason,
        invoice_status=invoice.status, invoice_paid=invoice.status == InvoiceStatus.PAID))
    log.info("billing.payment_reversed", invoice_id=invoice.id, payment_id=payment.id, reversal_id=reversal.id,
             amount_vnd=payment.amount_vnd, applied_vnd=outcome.applied_vnd, credit_vnd=outcome.credit_vnd,
             reversed_by=principal.subject, status=invoice.status)
    return reversal


async def credit_balance(*, db: Database, principal: Principal, exhibitor_id: str) -> tuple[int, list[Credit]]:
    """An exhibitor's credits (its own; an organizer sees those with its centre) and their sum."""
    conditions = [col(Credit.exhibitor_id) == exhibitor_id]
    if principal.role is Role.EXHIBITOR:
        if principal.exhibitor_id != exhibitor_id:
            raise NotFound("Không tìm thấy / not found", code="not-found")
    elif not principal.is_admin():
        conditions.append(col(Credit.centre_id) == (principal.centre_id or ""))
    async with db.sessions() as session:
        rows = list((await session.exec(select(Credit).where(*conditions).order_by(col(Credit.created_at)))).all())
        total = (await session.exec(select(func.coalesce(func.sum(Credit.amount_vnd), 0)).where(*conditions))).one()
    return int(total), rows


@dataclass(frozen=True)
class Transfer:
    """A VietQR (EMVCo) transfer of what an invoice still owes to its centre's account, and its QR code (SVG)."""

    invoice_id: str
    amount_vnd: int
    bank_bin: str
    bank_account: str
    bank_account_name: str
    purpose: str
    payload: str
    svg: str


async def vietqr_of(*, db: Database, principal: Principal, invoice_id: str) -> Transfer:
    """The transfer payload for what the invoice still owes, to the centre's bank account."""
    view = await queries.get_invoice(db=db, principal=principal, invoice_id=invoice_id)
    invoice = view.invoice
    async with db.sessions() as session:
        centre = await session.get(CentreSettings, invoice.centre_id)
    owed = invoice_rules.still_owed(status=invoice.status, payable=invoice.payable_vnd, paid=invoice.paid_vnd)
    if owed <= 0:
        raise Rejected("Hóa đơn không còn số tiền phải trả / nothing is owed on this invoice", code="nothing-owed")
    if centre is None or not (centre.bank_bin and centre.bank_account):
        raise Rejected("Trung tâm chưa khai báo tài khoản ngân hàng / the centre has no bank account set",
                       code="no-bank-account")
    purpose = f"{invoice.symbol} {invoice.number:08d}"
    payload = transfer_payload(bank_bin=centre.bank_bin, account=centre.bank_account, amount_vnd=owed,
                               purpose=purpose)
    return Transfer(invoice_id=invoice.id, amount_vnd=owed, bank_bin=centre.bank_bin, bank_account=centre.bank_account,
                    bank_account_name=centre.bank_account_name, purpose=purpose, payload=payload, svg=qr_svg(payload))
