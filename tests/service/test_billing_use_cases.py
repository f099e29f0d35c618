"""Billing's use cases on a recording unit of work (shared/uow.py): what each emits, read without an outbox or a
relay, and the transition tables refusing a status change they do not allow."""

from __future__ import annotations

import pytest
from sqlmodel import select

from services.billing.domain.invoices import InvoiceStatus
from services.billing.domain.programme_terms import CommitmentStatus
from services.billing.models import Invoice, SubsidyCommitment
from services.billing.service import invoicing, reactions
from shared.contracts import billing as ev
from shared.contracts.registration import FairPublished, RegistrationCancelled
from shared.errors import Rejected
from shared.uow import RecordingUnitOfWork
from tests.conftest import running_app, unique
from tests.service import billing_support
from tests.service.billing_support import MAY_2026, approved, assigned, create, fair_info

app, clock = billing_support.app, billing_support.clock


async def recorded_fair_and_buyer(uow: RecordingUnitOfWork) -> tuple[str, str, str]:
    fair_id, registration_id, exhibitor_id = unique("f-"), unique("r-"), unique("e-")
    await reactions.record_fair(session=uow.session, fair=FairPublished(**fair_info(fair_id)))
    await reactions.record_buyer(session=uow.session, approved=approved(fair_id, registration_id, exhibitor_id))
    return fair_id, registration_id, exhibitor_id


class TestOnARecordingUnitOfWork:
    async def test_issuing_emits_invoice_issued_and_the_programmes_share(self, app):
        async with running_app(app) as client:
            await create(app, client)
            async with app.state.runtime.db.transaction() as session:
                uow = RecordingUnitOfWork(session)
                fair_id, registration_id, exhibitor_id = await recorded_fair_and_buyer(uow)
                invoice = await reactions.issue_invoice(uow=uow, assigned=assigned(fair_id, registration_id,
                                                                                   exhibitor_id), now=MAY_2026)
            assert invoice is not None and invoice.status == InvoiceStatus.ISSUED
            assert [type(event) for event in uow.emitted] == [ev.InvoiceIssued, ev.SubsidyCommitted]
            assert uow.emitted[0].invoice_id == invoice.id  # type: ignore[attr-defined]
            assert uow.emitted[1].amount_vnd == invoice.subsidy_vnd > 0  # type: ignore[attr-defined]

    async def test_voiding_emits_invoice_voided_and_gives_the_share_back(self, app):
        async with running_app(app) as client:
            await create(app, client)
            async with app.state.runtime.db.transaction() as session:
                uow = RecordingUnitOfWork(session)
                fair_id, registration_id, exhibitor_id = await recorded_fair_and_buyer(uow)
                await reactions.issue_invoice(uow=uow, assigned=assigned(fair_id, registration_id, exhibitor_id),
                                              now=MAY_2026)
                uow.emitted.clear()
                voided = await reactions.void_registration_invoices(
                    uow=uow, now=MAY_2026, cancelled=RegistrationCancelled(
                        fair_id=fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id,
                        reason="exhibitor"))
                commitments = (await session.exec(select(SubsidyCommitment).where(
                    SubsidyCommitment.registration_id == registration_id))).all()
            assert [invoice.status for invoice in voided] == [InvoiceStatus.VOIDED]
            assert [type(event) for event in uow.emitted] == [ev.InvoiceVoided, ev.SubsidyReleased]
            assert [row.status for row in commitments] == [CommitmentStatus.RELEASED]


class TestTransitions:
    def invoice(self, status: InvoiceStatus) -> Invoice:
        return Invoice(fair_id="f", centre_id="tq", registration_id="r", exhibitor_id="e", form="1", symbol="C26TAA",
                       number=1, issued_on=MAY_2026.date(), due_on=MAY_2026.date(), issued_at=MAY_2026,
                       seller_name="s", seller_tax_code="0100233488", buyer_name="b", buyer_tax_code="0100109106",
                       net_vnd=1, vat_vnd=0, total_vnd=1, payable_vnd=1, amount_in_words="Một đồng", status=status)

    async def test_a_voided_invoice_is_never_paid(self, app):
        async with running_app(app), app.state.runtime.db.sessions() as session:
            uow = RecordingUnitOfWork(session)
            with pytest.raises(Rejected) as refused:
                invoicing.mark_paid(uow, self.invoice(InvoiceStatus.VOIDED), now=MAY_2026)
        assert refused.value.code == "invalid-transition"
        assert uow.emitted == []

    async def test_an_overdue_invoice_may_be_paid(self, app):
        async with running_app(app), app.state.runtime.db.sessions() as session:
            uow = RecordingUnitOfWork(session)
            invoice = self.invoice(InvoiceStatus.OVERDUE)
            invoicing.mark_paid(uow, invoice, now=MAY_2026)
        assert invoice.status == InvoiceStatus.PAID
        assert [type(event) for event in uow.emitted] == [ev.InvoicePaid]
