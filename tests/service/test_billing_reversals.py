"""Reversing a mistaken payment over HTTP: a reversal entry refers to the payment (never a delete), the invoice
owes again (a paid one is issued again), an over-payment's credit is taken back, `payment.reversed` is sent
once; a second reversal is 409; other centres, exhibitors and unknown payments are refused as other routes do."""

from __future__ import annotations

from typing import Any

from tests.conftest import running_app, unique
from tests.service import billing_support
from tests.service.billing_support import admin, emitted, exhibitor, invoice_for, organizer, publish_fair

app, clock = billing_support.app, billing_support.clock


def transfer(amount: int, **changes: Any) -> dict[str, Any]:
    return {"amount_vnd": amount, "method": "bank_transfer", "reference": unique("FT"),
            "received_on": "2026-05-10", **changes}


async def pay(client, app, invoice_id: str, body: dict[str, Any]) -> dict[str, Any]:
    res = await client.post(f"/invoices/{invoice_id}/payments", json=body, headers=organizer(app))
    assert res.status_code == 201, res.text
    return dict(res.json())


async def reverse(client, app, invoice_id: str, payment_id: str, reason: str = "Nhập nhầm số tiền",
                  headers: dict[str, str] | None = None):
    return await client.post(f"/invoices/{invoice_id}/payments/{payment_id}/reverse", json={"reason": reason},
                             headers=headers or organizer(app))


async def detail(client, app, invoice_id: str) -> dict[str, Any]:
    return dict((await client.get(f"/invoices/{invoice_id}", headers=admin(app))).json())


class TestReversal:
    async def test_reversing_the_payment_that_paid_an_invoice_issues_it_again(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            first = await pay(client, app, invoice["id"], transfer(4_000_000))
            second = await pay(client, app, invoice["id"], transfer(6_800_000))
            assert (await detail(client, app, invoice["id"]))["status"] == "paid"
            res = await reverse(client, app, invoice["id"], second["id"])
            after = await detail(client, app, invoice["id"])
            [event] = await emitted(app, "payment.reversed")
            again = await pay(client, app, invoice["id"], transfer(6_800_000))
            repaid = await detail(client, app, invoice["id"])
        assert res.status_code == 201, res.text
        body = res.json()
        assert (body["payment_id"], body["amount_vnd"], body["applied_vnd"], body["credit_vnd"]) == (
            second["id"], 6_800_000, 6_800_000, 0)
        assert body["reason"] == "Nhập nhầm số tiền" and body["reversed_by"] and body["reversed_at"]
        assert (after["status"], after["paid_vnd"], after["outstanding_vnd"]) == ("issued", 4_000_000, 6_800_000)
        # The payment is kept, marked by its reversal; the other is untouched.
        kept = {p["id"]: p for p in after["payments"]}
        assert kept[second["id"]]["amount_vnd"] == 6_800_000 and kept[second["id"]]["reversal"]["id"] == body["id"]
        assert kept[first["id"]]["reversal"] is None
        assert (event.payment_id, event.reversal_id, event.invoice_status, event.invoice_paid) == (
            second["id"], body["id"], "issued", False)
        assert again["applied_vnd"] == 6_800_000 and repaid["status"] == "paid"
        assert len(await emitted(app, "invoice.paid")) == 2

    async def test_reversing_an_over_payment_takes_back_its_credit(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            wrong = await pay(client, app, invoice["id"], transfer(99_000_000, accept_overpayment=True))
            res = await reverse(client, app, invoice["id"], wrong["id"], "Gõ thừa số 0")
            after = await detail(client, app, invoice["id"])
            credits = (await client.get(f"/exhibitors/{invoice['exhibitor_id']}/credits",
                                        headers=organizer(app))).json()
        assert res.status_code == 201, res.text
        assert (res.json()["applied_vnd"], res.json()["credit_vnd"]) == (10_800_000, 88_200_000)
        assert (after["status"], after["paid_vnd"], after["outstanding_vnd"]) == ("issued", 0, 10_800_000)
        assert credits["balance_vnd"] == 0
        assert sorted((c["reason"], c["amount_vnd"]) for c in credits["data"]) == [
            ("overpayment", 88_200_000), ("reversal", -88_200_000)]

    async def test_a_payment_is_reversed_once(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            payment = await pay(client, app, invoice["id"], transfer(1_000_000))
            first = await reverse(client, app, invoice["id"], payment["id"])
            second = await reverse(client, app, invoice["id"], payment["id"])
            after = await detail(client, app, invoice["id"])
            events = await emitted(app, "payment.reversed")
        assert (first.status_code, second.status_code) == (201, 409), second.text
        assert second.json()["type"].endswith("already-reversed")
        assert after["paid_vnd"] == 0 and len(events) == 1

    async def test_refusals_change_nothing(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            payment = await pay(client, app, invoice["id"], transfer(1_000_000))
            other_centre = await reverse(client, app, invoice["id"], payment["id"], headers=organizer(app, "hg"))
            own_exhibitor = await reverse(client, app, invoice["id"], payment["id"],
                                          headers=exhibitor(app, invoice["exhibitor_id"]))
            unknown_payment = await reverse(client, app, invoice["id"], "pay-nope")
            unknown_invoice = await reverse(client, app, "inv-nope", payment["id"])
            blank = await reverse(client, app, invoice["id"], payment["id"], "   ")
            anonymous = await client.post(f"/invoices/{invoice['id']}/payments/{payment['id']}/reverse",
                                          json={"reason": "x"})
            after = await detail(client, app, invoice["id"])
            events = await emitted(app, "payment.reversed")
        assert other_centre.status_code in (403, 404)
        assert own_exhibitor.status_code == 403
        assert (unknown_payment.status_code, unknown_invoice.status_code) == (404, 404)
        assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"
        assert anonymous.status_code == 401
        assert after["paid_vnd"] == 1_000_000 and after["payments"][0]["reversal"] is None and events == []

    async def test_the_admin_may_reverse(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            payment = await pay(client, app, invoice["id"], transfer(1_000_000))
            res = await reverse(client, app, invoice["id"], payment["id"], headers=admin(app))
        assert res.status_code == 201, res.text
