"""Reversing a payment from the organizer's invoice page, the services mocked: each payment has a "Huỷ khoản thu"
form (reason and confirmation required, errors next to the fields), a reversed payment says when and why, billing's
409 shows on the form, its 403/404 as pages; exhibitors and regional centres are refused without calling billing."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import running_app
from tests.service.test_portal import database_url, log_in, problem, text_of  # noqa: F401 - SQLite only
from tests.service.test_portal_billing import DETAIL, field_error, portal  # noqa: F401 - the fixture

PAYMENT = {"id": "pay-1", "invoice_id": "inv-1", "amount_vnd": 99_000_000, "applied_vnd": 10_800_000,
           "credit_vnd": 88_200_000, "method": "bank_transfer", "reference": "FT26310001",
           "received_on": "2026-11-05", "recorded_at": "2026-11-05T03:00:00Z", "reversal": None}
REVERSED = {**PAYMENT, "id": "pay-0", "reference": "FT26310000", "reversal": {
    "id": "rev-1", "payment_id": "pay-0", "invoice_id": "inv-1", "amount_vnd": 99_000_000, "applied_vnd": 10_800_000,
    "credit_vnd": 88_200_000, "reason": "Gõ thừa số 0", "reversed_by": "organizer-tq",
    "reversed_at": "2026-11-06T03:00:00Z"}}
URL = "/organizer/billing/invoices/inv-1/payments/pay-1/reverse"
BACKEND = "/invoices/inv-1/payments/pay-1/reverse"


@pytest.fixture
def paid(portal):  # noqa: F811
    app, fake = portal
    fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json={
        **DETAIL, "status": "paid", "paid_vnd": 10_800_000, "outstanding_vnd": 0, "payments": [REVERSED, PAYMENT]}))
    return app, fake


class TestPaymentReversal:
    async def test_each_payment_has_a_reversal_form_and_a_reversed_one_says_why(self, paid):
        app, _ = paid
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/billing/invoices/inv-1")
        page = text_of(res)
        assert res.status_code == 200
        assert page.count('action="/organizer/billing/invoices/inv-1/payments/') == 1  # pay-1's (paid: no payment form)
        assert f'action="{URL}"' in page and "/payments/pay-0/reverse" not in page
        assert "Huỷ khoản thu" in page and 'name="confirm" value="yes" required' in page
        assert "Đã huỷ khoản thu" in page and "Gõ thừa số 0" in page

    async def test_a_confirmed_reversal_posts_the_reason_and_comes_back_with_a_notice(self, paid):
        app, fake = paid
        fake.on("POST", "billing", BACKEND, httpx.Response(201, json=REVERSED["reversal"]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post(URL, data={"reason": "  Nhập   nhầm hóa đơn ", "confirm": "yes"})
            shown = await client.get(res.headers["location"])
        assert res.status_code == 303 and res.headers["location"].endswith("?result=reversed")
        assert json.loads(fake.calls_to("POST", BACKEND)[0].content) == {"reason": "Nhập nhầm hóa đơn"}
        assert "Đã huỷ khoản thu; hóa đơn ghi nhận lại số tiền còn phải thu." in text_of(shown)

    async def test_no_reason_and_no_confirmation_are_shown_next_to_the_fields_without_calling_billing(self, paid):
        app, fake = paid
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post(URL, data={"reason": "  "})
            await client.get("/lang/en")
            english = await client.post(URL, data={"reason": "Wrong invoice"})
        page = text_of(res)
        assert res.status_code == 422 and not fake.calls_to("POST", BACKEND)
        assert field_error(page, "reason-pay-1") == "Hãy nêu lý do huỷ khoản thu."
        assert field_error(page, "confirm-pay-1") == "Hãy đánh dấu ô xác nhận để huỷ khoản thu."
        assert '<details class="reverse" open>' in page and 'href="#reason-pay-1"' in page
        assert field_error(text_of(english), "confirm-pay-1") == "Tick the box to confirm the reversal."
        assert "Wrong invoice" in text_of(english) and "Hãy" not in text_of(english)

    async def test_an_already_reversed_payment_is_said_on_the_form(self, paid):
        app, fake = paid
        fake.on("POST", "billing", BACKEND,
                problem(409, "Khoản thu này đã được huỷ / this payment was already reversed"))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post(URL, data={"reason": "Nhầm", "confirm": "yes"})
        assert res.status_code == 409
        assert "Khoản thu này đã được huỷ" in text_of(res) and "already reversed" not in text_of(res)

    @pytest.mark.parametrize("status", [403, 404])
    async def test_billings_refusals_are_pages(self, paid, status):
        app, fake = paid
        fake.on("POST", "billing", BACKEND, problem(status, "Không tìm thấy / not found"))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post(URL, data={"reason": "Nhầm", "confirm": "yes"}, headers={"accept": "text/html"})
        assert res.status_code == status and "<h1" in res.text

    @pytest.mark.parametrize("user", ["ex-dongvan", "regional-ttkc1"])
    async def test_exhibitors_and_regional_centres_are_refused(self, paid, user):
        app, fake = paid
        async with running_app(app) as client:
            await log_in(client, user)
            res = await client.post(URL, data={"reason": "Nhầm", "confirm": "yes"}, headers={"accept": "text/html"})
        assert res.status_code == 403 and not fake.calls_to("POST", BACKEND)
