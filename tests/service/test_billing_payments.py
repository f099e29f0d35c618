"""Payments over HTTP: partial, complete, overpayment as a credit, bad input changing nothing; the PDF and the
VietQR payload, each for the owning exhibitor and the centre's organizer only."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fpdf.fonts import TTFFont

from services.billing.adapters.pdf import build_invoice_pdf, missing_glyphs
from services.billing.app import create_app
from services.billing.service import queries
from services.billing.settings import BillingSettings
from shared.auth import Principal, Role
from shared.contracts.registration import RegistrationCancelled
from tests.conftest import running_app, token, unique
from tests.service import billing_support
from tests.service.billing_support import (
    admin,
    emitted,
    exhibitor,
    feed,
    invoice_for,
    organizer,
    publish_fair,
)

# The shared fixtures, by assignment (an import would be flagged as shadowed by the test arguments).
app, clock = billing_support.app, billing_support.clock


def transfer(amount: int, reference: str | None = None, **changes: Any) -> dict[str, Any]:
    return {"amount_vnd": amount, "method": "bank_transfer", "reference": reference or unique("FT"),
            "received_on": "2026-05-10", **changes}


async def pay(app, client, invoice_id: str, body: dict[str, Any], headers: dict[str, str] | None = None):
    return await client.post(f"/invoices/{invoice_id}/payments", json=body, headers=headers or organizer(app))


async def detail(app, client, invoice_id: str) -> dict[str, Any]:
    return dict((await client.get(f"/invoices/{invoice_id}", headers=admin(app))).json())


class TestPayments:
    async def test_two_partial_payments_pay_the_invoice_once(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            first = await pay(app, client, invoice["id"], transfer(4_000_000))
            middle = await detail(app, client, invoice["id"])
            second = await pay(app, client, invoice["id"], {"amount_vnd": 6_800_000, "method": "cash",
                                                            "received_on": "2026-05-10"})
            done = await detail(app, client, invoice["id"])
            received = await emitted(app, "payment.received")
            [paid] = await emitted(app, "invoice.paid")
        assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
        assert (middle["status"], middle["paid_vnd"], middle["outstanding_vnd"]) == ("issued", 4_000_000, 6_800_000)
        assert (done["status"], done["paid_vnd"], done["outstanding_vnd"]) == ("paid", 10_800_000, 0)
        assert [(p.amount_vnd, p.method) for p in received] == [(4_000_000, "bank_transfer"), (6_800_000, "cash")]
        assert (paid.invoice_id, paid.paid_vnd, str(paid.paid_on)) == (invoice["id"], 10_800_000, "2026-05-10")
        assert [p["applied_vnd"] for p in done["payments"]] == [4_000_000, 6_800_000]

    async def test_an_overpayment_pays_the_invoice_and_the_rest_becomes_a_credit(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            unconfirmed = await pay(app, client, invoice["id"], transfer(11_000_000))
            res = await pay(app, client, invoice["id"], transfer(11_000_000, accept_overpayment=True))
            own = await client.get(f"/exhibitors/{invoice['exhibitor_id']}/credits",
                                   headers=exhibitor(app, invoice["exhibitor_id"]))
            others = await client.get(f"/exhibitors/{invoice['exhibitor_id']}/credits",
                                      headers=exhibitor(app, "ex-other"))
            foreign_centre = await client.get(f"/exhibitors/{invoice['exhibitor_id']}/credits",
                                              headers=organizer(app, "hg"))
        assert unconfirmed.status_code == 422 and unconfirmed.json()["type"].endswith("overpayment-unconfirmed")
        assert unconfirmed.json()["errors"][0]["field"] == "amount_vnd"
        assert (res.json()["applied_vnd"], res.json()["credit_vnd"]) == (10_800_000, 200_000)
        assert (own.json()["balance_vnd"], own.json()["data"][0]["reason"]) == (200_000, "overpayment")
        assert others.status_code == 404
        assert foreign_centre.json()["balance_vnd"] == 0

    async def test_money_paid_on_an_invoice_that_is_voided_becomes_a_credit(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            invoice = await invoice_for(app, client, fair_id)
            await pay(app, client, invoice["id"], transfer(1_000_000))
            await feed(app, RegistrationCancelled(fair_id=fair_id, registration_id=invoice["registration_id"],
                                                  exhibitor_id=invoice["exhibitor_id"], reason="unpaid"))
            credits = (await client.get(f"/exhibitors/{invoice['exhibitor_id']}/credits",
                                        headers=organizer(app))).json()
        assert (credits["balance_vnd"], credits["data"][0]["reason"]) == (1_000_000, "voided")


class TestOverpaymentTolerance:
    async def test_an_excess_within_the_centres_tolerance_needs_no_confirmation(self, settings_for, clock):
        app = create_app(settings_for("billing"), clock=clock,
                         billing=BillingSettings(overdue_check_enabled=False, overpayment_tolerance_vnd=200_000))
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            within = await pay(app, client, invoice["id"], transfer(10_900_000))
            other = await invoice_for(app, client, await publish_fair(app))
            beyond = await pay(app, client, other["id"], transfer(11_000_001))
        assert (within.status_code, within.json()["credit_vnd"]) == (201, 100_000)
        assert beyond.status_code == 422 and beyond.json()["errors"][0]["field"] == "amount_vnd"


class TestPaymentBadInput:
    async def test_bad_payments_are_4xx_problems_and_change_nothing(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            invoice = await invoice_for(app, client, fair_id)
            voided = await invoice_for(app, client, fair_id)
            await feed(app, RegistrationCancelled(fair_id=fair_id, registration_id=voided["registration_id"],
                                                  exhibitor_id=voided["exhibitor_id"], reason="exhibitor"))
            await pay(app, client, invoice["id"], transfer(1_000, reference="FT-ONCE"))
            results = {
                "negative": await pay(app, client, invoice["id"], transfer(-5_000)),
                "zero": await pay(app, client, invoice["id"], transfer(0)),
                "void": await pay(app, client, voided["id"], transfer(1_000)),
                "twice": await pay(app, client, invoice["id"], transfer(1_000, reference="FT-ONCE")),
                "no_reference": await pay(app, client, invoice["id"], transfer(1_000, reference=" ")),
                "future": await pay(app, client, invoice["id"], transfer(1_000, received_on="2026-06-01")),
                "before_invoice": await pay(app, client, invoice["id"], transfer(1_000, received_on=str(
                    date.fromisoformat(invoice["issued_on"]) - timedelta(days=1)))),
                "overpaid": await pay(app, client, invoice["id"], transfer(99_000_000)),
                "method": await pay(app, client, invoice["id"], transfer(1_000, method="bitcoin")),
                "unknown_invoice": await pay(app, client, unique("inv-"), transfer(1_000)),
                "other_centre": await pay(app, client, invoice["id"], transfer(1_000), organizer(app, "hg")),
                "exhibitor": await pay(app, client, invoice["id"], transfer(1_000),
                                       exhibitor(app, invoice["exhibitor_id"])),
            }
            after, after_void = await detail(app, client, invoice["id"]), await detail(app, client, voided["id"])
            received = await emitted(app, "payment.received")
        statuses = {name: res.status_code for name, res in results.items()}
        assert statuses == {"negative": 422, "zero": 422, "void": 409, "twice": 409, "no_reference": 422,
                            "future": 422, "before_invoice": 422, "overpaid": 422, "method": 422,
                            "unknown_invoice": 404, "other_centre": 404,
                            "exhibitor": 403}
        assert all(r.headers["content-type"] == "application/problem+json" for r in results.values())
        assert results["negative"].json()["errors"][0]["field"] == "amount_vnd"
        assert results["twice"].json()["errors"][0]["field"] == "reference"
        assert results["before_invoice"].json()["errors"][0]["field"] == "received_on"
        assert results["overpaid"].json()["errors"][0]["field"] == "amount_vnd"
        assert (after["paid_vnd"], len(after["payments"]), after_void["paid_vnd"]) == (1_000, 1, 0)
        assert len(received) == 1


class TestPdf:
    async def test_the_owner_and_the_organizer_download_it_others_do_not(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            url = f"/invoices/{invoice['id']}.pdf"
            own = await client.get(url, headers=exhibitor(app, invoice["exhibitor_id"]))
            centre = await client.get(url, headers=organizer(app))
            other = await client.get(url, headers=exhibitor(app, "ex-other"))
            other_centre = await client.get(url, headers=organizer(app, "hg"))
            regional = await client.get(url, headers=token(app.state.settings, "regional", region="north"))
            anonymous = await client.get(url)
        assert (own.status_code, centre.status_code) == (200, 200)
        assert own.headers["content-type"] == "application/pdf" and own.content.startswith(b"%PDF-")
        assert "C26TAA-00000001" in own.headers["content-disposition"]
        assert (other.status_code, other_centre.status_code, regional.status_code, anonymous.status_code) == (
            404, 404, 403, 401)

    async def test_every_vietnamese_glyph_is_drawn_in_dejavu(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app),
                                        name="Hộ kinh doanh Lò Thị Hường – Thổ cẩm Đồng Văn, Quản Bạ")
            view = await queries.get_invoice(db=app.state.runtime.db, principal=Principal(Role.ADMIN, "admin"),
                                             invoice_id=invoice["id"])
        pdf = build_invoice_pdf(view)
        pdf.output()
        assert missing_glyphs(pdf) == []
        fonts = [f for f in pdf.fonts.values() if isinstance(f, TTFFont)]
        assert fonts and all(f.fontkey.startswith("dejavu") for f in fonts)
        assert len(fonts) == len(pdf.fonts)  # no core (Latin-1 only) font slipped in


class TestVietQr:
    async def test_a_transfer_payload_for_what_is_owed_to_the_centres_account(self, app):
        async with running_app(app) as client:
            await client.put("/invoice-settings", headers=organizer(app), json={
                "bank_bin": "970436", "bank_account": "0011001234567", "bank_account_name": "TT KC XTTM TUYEN QUANG"})
            invoice = await invoice_for(app, client, await publish_fair(app))
            await pay(app, client, invoice["id"], transfer(800_000))
            res = await client.get(f"/invoices/{invoice['id']}/vietqr", headers=exhibitor(app, invoice["exhibitor_id"]))
            other = await client.get(f"/invoices/{invoice['id']}/vietqr", headers=exhibitor(app, "ex-other"))
        body = res.json()
        assert body["amount_vnd"] == 10_000_000
        assert body["payload"].startswith("000201010212")
        assert "0006970436" in body["payload"] and "QRIBFTTA" in body["payload"] and "540810000000" in body["payload"]
        assert "C26TAA 00000001" in body["payload"]
        assert body["svg"].lstrip().startswith("<?xml") and "<svg" in body["svg"]
        assert other.status_code == 404

    async def test_no_bank_account_or_nothing_owed_is_a_conflict(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            res = await client.get(f"/invoices/{invoice['id']}/vietqr", headers=organizer(app))
        assert res.status_code == 409
