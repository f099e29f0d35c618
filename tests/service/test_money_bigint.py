"""Amounts above 2^31 − 1 đồng (about 2.1 tỷ) written through the APIs and read back exactly: PostgreSQL's
INTEGER refused them until the money columns became BIGINT (shared/money.py). Runs on SQLite and, with
TEST_POSTGRES_URL set, on PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from services.billing.models import Credit, InvoiceLineRow, Payment, PaymentReversal, SubsidyCommitment
from services.notifications.models import InvoiceCopy, Mail
from tests.conftest import running_app, unique
from tests.service import billing_support
from tests.service.billing_support import admin, create, invoice_for, organizer, programme, publish_fair
from tests.service.test_notifications import closed_port, issued, make_app
from tests.service.test_notifications import feed as notify

# The shared fixtures, by assignment (an import would be flagged as shadowed by the test arguments).
app, clock = billing_support.app, billing_support.clock

INT32_MAX = 2**31 - 1
NINE_TY = 9_000_000_000  # a national programme's budget
BOOTH_PRICE = 3_000_000_000  # a booth at 3 tỷ: two of them with VAT make an invoice of over 6 tỷ


async def detail(client, app, invoice_id: str) -> dict[str, Any]:
    return dict((await client.get(f"/invoices/{invoice_id}", headers=admin(app))).json())


class TestBillingAboveInt32:
    async def test_a_nine_ty_programme_budget_is_kept_and_read_back(self, app):
        async with running_app(app) as client:
            created = await create(app, client, name="Khuyến công quốc gia 2026", level="national",
                                   funding_province_code=None, budget_vnd=NINE_TY, cap_per_booth_vnd=INT32_MAX + 1)
            raised = await client.patch(f"/subsidy-programmes/{created['id']}", headers=organizer(app),
                                        json={"budget_vnd": NINE_TY + 1})
            read = await programme(app, client, created["id"])
        assert (created["budget_vnd"], created["cap_per_booth_vnd"]) == (NINE_TY, INT32_MAX + 1)
        assert raised.status_code == 200, raised.text
        assert (read["budget_vnd"], read["cap_per_booth_vnd"], read["committed_vnd"]) == (NINE_TY + 1,
                                                                                          INT32_MAX + 1, 0)

    async def test_an_invoice_its_subsidy_payment_credit_and_reversal_above_int32(self, app):
        async with running_app(app) as client:
            funded = await create(app, client, budget_vnd=NINE_TY * 3, cap_per_booth_vnd=None)
            invoice = await invoice_for(app, client, await publish_fair(app, price=BOOTH_PRICE))
            total, subsidy, payable = invoice["total_vnd"], invoice["subsidy_vnd"], invoice["payable_vnd"]
            paid = await client.post(f"/invoices/{invoice['id']}/payments", headers=organizer(app), json={
                "amount_vnd": payable + 1_000, "method": "bank_transfer", "reference": unique("FT"),
                "received_on": "2026-05-10", "accept_overpayment": True})
            after_payment = await detail(client, app, invoice["id"])
            held = await programme(app, client, funded["id"])
            reversed_ = await client.post(f"/invoices/{invoice['id']}/payments/{paid.json()['id']}/reverse",
                                          headers=organizer(app), json={"reason": "Nhập nhầm số tiền"})
            after_reversal = await detail(client, app, invoice["id"])
            async with app.state.runtime.db.sessions() as session:
                lines = (await session.exec(select(InvoiceLineRow).where(
                    InvoiceLineRow.invoice_id == invoice["id"]))).all()
                commitment = (await session.exec(select(SubsidyCommitment))).one()
                payment = (await session.exec(select(Payment))).one()
                reversal = (await session.exec(select(PaymentReversal))).one()
                credits = (await session.exec(select(Credit))).all()
        assert invoice["net_vnd"] == 2 * BOOTH_PRICE and total > 2 * BOOTH_PRICE > INT32_MAX
        assert total == invoice["net_vnd"] + invoice["vat_vnd"]
        assert subsidy > INT32_MAX and payable == total - subsidy > INT32_MAX
        assert {line.unit_price_vnd for line in lines if line.kind == "booth"} == {BOOTH_PRICE}
        assert sum(line.net_vnd + line.vat_vnd for line in lines) == total
        assert (commitment.amount_vnd, commitment.requested_vnd) == (subsidy, subsidy)
        assert held["committed_vnd"] == subsidy
        assert paid.status_code == 201, paid.text
        assert (paid.json()["amount_vnd"], paid.json()["applied_vnd"], paid.json()["credit_vnd"]) == (
            payable + 1_000, payable, 1_000)
        assert (after_payment["status"], after_payment["paid_vnd"], after_payment["outstanding_vnd"]) == (
            "paid", payable, 0)
        assert (payment.amount_vnd, payment.applied_vnd) == (payable + 1_000, payable)
        assert reversed_.status_code in (200, 201), reversed_.text
        assert (reversal.amount_vnd, reversal.applied_vnd, reversal.credit_vnd) == (payable + 1_000, payable, 1_000)
        assert sorted(c.amount_vnd for c in credits) == [-1_000, 1_000]  # the credit, and taken back
        assert (after_reversal["status"], after_reversal["paid_vnd"], after_reversal["outstanding_vnd"]) == (
            "issued", 0, payable)


class TestNotificationsAboveInt32:
    async def test_an_invoice_of_over_six_ty_is_kept_and_told_exactly(self, settings_for, tmp_path):
        app = make_app(settings_for, tmp_path, closed_port())  # nothing is sent: what is kept is the point
        fair_id, exhibitor_id, registration_id = unique("fair-"), unique("ex-"), unique("reg-")
        event = issued(fair_id, exhibitor_id, registration_id).model_copy(update=dict(
            net_vnd=6_000_000_000, vat_vnd=480_000_000, total_vnd=6_480_000_000, subsidy_vnd=3_240_000_000,
            payable_vnd=3_240_000_000, amount_in_words="Sáu tỷ bốn trăm tám mươi triệu đồng"))
        async with running_app(app):
            await notify(app, event)
            async with app.state.runtime.db.sessions() as session:
                copy = await session.get(InvoiceCopy, event.invoice_id)
                [mail] = (await session.exec(select(Mail))).all()
        assert copy is not None and copy.payable_vnd == 3_240_000_000 > INT32_MAX
        assert (mail.facts["total_vnd"], mail.facts["payable_vnd"]) == (6_480_000_000, 3_240_000_000)
