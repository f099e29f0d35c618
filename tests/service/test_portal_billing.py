"""The organizer's billing pages in memory: invoices, payments, programmes, settlement, the services mocked."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.billing.schemas.invoices import InvoiceDetail
from services.portal.app import create_app
from services.portal.domain.billing_forms import parse_vnd
from services.portal.domain.budget_chart import budget_bars
from tests.conftest import running_app
from tests.service.test_portal import (
    CANCELLATION,
    EMPTY_BUDGET_NOTE,
    FAIR,
    INVOICE,
    INVOICE_DETAIL,
    PORTAL,
    FakeServices,
    database_url,  # noqa: F401 - the portal tests run on SQLite only
    log_in,
    problem,
    text_of,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FUTURE = (date.today() + timedelta(days=30)).isoformat()
LISTED = {**INVOICE, "due_on": FUTURE, "purpose": "booths", "subsidy_vnd": 0, "paid_vnd": 0,
          "outstanding_vnd": 10_800_000}
LATE = {**LISTED, "id": "inv-2", "number": "00000043", "status": "overdue", "due_on": "2026-10-01"}
DETAIL = {**INVOICE_DETAIL, **LISTED, "payable_display": "10.800.000 ₫", "payments": [], "subsidy": None}
PROGRAMME = {
    "id": "pg-1", "centre_id": "tq", "name": "Hỗ trợ KCĐP Tuyên Quang 2027", "decision": "QĐ 12/QĐ-SCT",
    "level": "local", "funder": "Sở Công Thương Tuyên Quang", "funding_province_code": "08",
    "budget_vnd": 100_000_000, "committed_vnd": 40_000_000, "remaining_vnd": 60_000_000,
    "valid_from": "2027-01-01", "valid_to": "2027-12-31", "support_percent": 50, "cap_per_booth_vnd": None,
    "max_booths_per_exhibitor": 2, "base": "gross", "cscnnt_only": False, "eligible_kinds": [],
    "eligible_provinces": ["08"], "eligible_communes": [], "fair_ids": ["f-1"],
    "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z",
}
SETTLEMENT = {
    "programme": PROGRAMME, "budget_vnd": 100_000_000, "committed_vnd": 40_000_000, "paid_vnd": 25_000_000,
    "released_vnd": 5_000_000, "remaining_vnd": 60_000_000, "booths": 8, "exhibitors": 4,
    "by_fair": [{"key": "f-1", "label": "Hội chợ Xuân Tuyên Quang 2027", "booths": 8, "exhibitors": 4,
                 "committed_vnd": 40_000_000, "paid_vnd": 25_000_000, "released_vnd": 5_000_000}],
    "by_province": [{"key": "08", "label": "Tuyên Quang", "booths": 8, "exhibitors": 4,
                     "committed_vnd": 40_000_000, "paid_vnd": 25_000_000, "released_vnd": 5_000_000}],
    "lines": [],
}


@pytest.fixture
def portal(settings_for):
    settings = settings_for("portal")
    fake = FakeServices({n: PORTAL.service_url(n) for n in ("registration", "booths", "billing")})
    fake.on("GET", "registration", "/fairs", httpx.Response(200, json={"data": [FAIR], "count": 1}))
    fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [LISTED, LATE], "count": 2}))
    fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json=DETAIL))
    fake.on("GET", "billing", "/exhibitors/ex-dongvan/credits",
            httpx.Response(200, json={"exhibitor_id": "ex-dongvan", "balance_vnd": 0, "data": []}))
    fake.on("GET", "registration", "/exhibitors/ex-dongvan",
            httpx.Response(200, json={"id": "ex-dongvan", "legal_name": "HTX Chè Shan tuyết Đồng Văn"}))
    fake.on("GET", "billing", "/subsidy-programmes", httpx.Response(200, json={"data": [PROGRAMME], "count": 1}))
    fake.on("GET", "billing", "/subsidy-programmes/pg-1/settlement", httpx.Response(200, json=SETTLEMENT))
    return create_app(settings, portal=PORTAL, transport=httpx.MockTransport(fake.handler)), fake


def field_error(page: str, name: str) -> str:
    """The message printed right under the field `name` (empty when there is none)."""
    found = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', page)
    return found.group(1) if found else ""


class TestInvoiceList:
    async def test_lists_invoices_with_the_overdue_one_highlighted_and_filters_passed_on(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/billing", params={"fair_id": "f-1", "status": "overdue"})
        assert res.status_code == 200
        page = text_of(res)
        assert "C26TAA 00000042" in page and "C26TAA 00000043" in page
        assert "HTX Chè Shan tuyết Đồng Văn" in page
        assert page.count('<tr class="overdue">') == 1
        sent = fake.calls_to("GET", "/invoices")[0].url.params
        assert sent["fair_id"] == "f-1" and sent["status"] == "overdue"
        assert '<option value="overdue" selected>' in page
        assert 'href="/static/billing.css"' in page
        assert len(res.content) < 200_000

    async def test_refuses_an_unknown_status_without_calling_billing(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/billing", params={"status": "everything"},
                                   headers={"accept": "text/html"})
        assert res.status_code == 404
        assert not fake.calls_to("GET", "/invoices")

    @pytest.mark.parametrize("user", ["ex-dongvan", "regional-ttkc1"])
    async def test_refuses_exhibitors_and_regional_centres(self, portal, user):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, user)
            pages = [await client.get(p, headers={"accept": "text/html"}) for p in (
                "/organizer/billing", "/organizer/billing/invoices/inv-1", "/organizer/billing/programmes",
                "/organizer/billing/programmes/pg-1", "/organizer/billing/programmes/pg-1/settlement.xlsx")]
            posted = await client.post("/organizer/billing/invoices/inv-1/payments",
                                       data={"amount_vnd": "1", "method": "cash", "received_on": "2026-11-05"})
        assert [p.status_code for p in pages] == [403] * 5
        assert posted.status_code == 403
        assert not [c for c in fake.calls if c.url.path.startswith(("/invoices", "/subsidy-programmes"))]

    async def test_the_overdue_check_is_for_admins_only(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/billing/overdue-check")
        assert res.status_code == 403
        assert not fake.calls_to("POST", "/admin/overdue-check")


class TestPayment:
    async def test_shows_the_invoice_with_a_prefilled_payment_form_with_labels(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/billing/invoices/inv-1")
        page = text_of(res)
        assert res.status_code == 200
        for name in ("amount_vnd", "reference", "received_on"):
            assert f'<label for="{name}">' in page
        assert 'value="10800000"' in page  # what is still owed
        assert 'href="/organizer/billing/invoices/inv-1.pdf"' in page

    async def test_posts_a_bank_transfer_as_json_and_redirects_back(self, portal):
        app, fake = portal
        fake.on("POST", "billing", "/invoices/inv-1/payments", httpx.Response(201, json={"id": "pay-1"}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/billing/invoices/inv-1/payments", data={
                "amount_vnd": "10.800.000", "method": "bank_transfer", "reference": " FT2611050001 ",
                "received_on": "2026-11-05"})
        assert res.status_code == 303
        assert res.headers["location"] == "/organizer/billing/invoices/inv-1?result=recorded"
        sent = json.loads(fake.calls_to("POST", "/invoices/inv-1/payments")[0].content)
        assert sent == {"amount_vnd": 10_800_000, "method": "bank_transfer", "reference": "FT2611050001",
                        "received_on": "2026-11-05", "accept_overpayment": False}

    async def test_the_confirmation_box_sends_accept_overpayment(self, portal):
        app, fake = portal
        fake.on("POST", "billing", "/invoices/inv-1/payments", httpx.Response(201, json={"id": "pay-1"}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            await client.post("/organizer/billing/invoices/inv-1/payments", data={
                "amount_vnd": "99.000.000", "method": "cash", "received_on": "2026-11-05",
                "accept_overpayment": "yes"})
        sent = json.loads(fake.calls_to("POST", "/invoices/inv-1/payments")[0].content)
        assert sent["accept_overpayment"] is True

    async def test_puts_billings_field_errors_next_to_the_fields(self, portal):
        app, fake = portal
        fake.on("POST", "billing", "/invoices/inv-1/payments", problem(
            422, "Chuyển khoản cần mã giao dịch / a bank transfer needs its reference",
            [{"field": "reference", "message": "Chuyển khoản cần mã giao dịch / a bank transfer needs its reference"}]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/billing/invoices/inv-1/payments", data={
                "amount_vnd": "500000", "method": "bank_transfer", "reference": "", "received_on": "2026-11-05"})
        page = text_of(res)
        assert res.status_code == 422
        assert field_error(page, "reference") == "Chuyển khoản cần mã giao dịch"
        assert 'aria-describedby="reference-error"' in page
        assert 'value="500000"' in page  # what was typed is kept

    async def test_a_duplicate_reference_409_stands_next_to_the_reference(self, portal):
        app, fake = portal
        message = "Giao dịch đã được ghi nhận / this payment reference was already recorded"
        fake.on("POST", "billing", "/invoices/inv-1/payments",
                problem(409, message, [{"field": "reference", "message": message}]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/billing/invoices/inv-1/payments", data={
                "amount_vnd": "500000", "method": "bank_transfer", "reference": "FT1", "received_on": "2026-11-05"})
        assert res.status_code == 409
        assert field_error(text_of(res), "reference") == "Giao dịch đã được ghi nhận"

    async def test_refuses_an_amount_that_is_not_a_number_without_calling_billing(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/billing/invoices/inv-1/payments", data={
                "amount_vnd": "mười triệu", "method": "cash", "reference": "", "received_on": ""})
        page = text_of(res)
        assert res.status_code == 422
        assert field_error(page, "amount_vnd") == "Vui lòng nhập số tiền bằng số (đồng)."
        assert field_error(page, "received_on") == "Vui lòng chọn ngày nhận tiền."
        assert not fake.calls_to("POST", "/invoices/inv-1/payments")

    async def test_shows_partial_payments_and_credit(self, portal):
        app, fake = portal
        partly = {**DETAIL, "paid_vnd": 4_000_000, "outstanding_vnd": 6_800_000, "payments": [
            {"id": "p1", "invoice_id": "inv-1", "amount_vnd": 4_000_000, "applied_vnd": 4_000_000, "credit_vnd": 0,
             "method": "cash", "reference": "PT-7", "received_on": "2026-11-06",
             "recorded_at": "2026-11-06T03:00:00Z"}]}
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json=partly))
        fake.on("GET", "billing", "/exhibitors/ex-dongvan/credits",
                httpx.Response(200, json={"exhibitor_id": "ex-dongvan", "balance_vnd": 300_000, "data": []}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/billing/invoices/inv-1"))
        assert "PT-7" in page and "4.000.000\u00a0₫" in page
        assert "6.800.000\u00a0₫" in page and 'value="6800000"' in page
        assert "Số dư có của doanh nghiệp" in page and "300.000\u00a0₫" in page

    async def test_a_voided_invoice_shows_its_cancellation_and_no_payment_form(self, portal):
        app, fake = portal
        voided = {**DETAIL, "status": "voided", "outstanding_vnd": 0, "cancellation": CANCELLATION}
        InvoiceDetail.model_validate(voided)  # the shape billing answers
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json=voided))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/billing/invoices/inv-1"))
            printable = text_of(await client.get("/invoices/inv-1"))
        for shown in (page, printable):
            block = re.search(r'<section class="cancelled".*?</section>', shown, re.S)
            assert block, "no cancelled block"
            assert '">Đã hủy</h2>' in block.group(0)
            assert "HUY-C26TAA-00000042" in block.group(0) and "11/11/2026" in block.group(0)
            assert "Đơn vị tham gia hủy đăng ký" in block.group(0)
        assert 'action="/organizer/billing/invoices/inv-1/payments"' not in page

    async def test_an_empty_programme_budget_note_is_shown_with_no_share(self, portal):
        app, fake = portal
        unsupported = {**DETAIL, "subsidy": None, "subsidy_note": EMPTY_BUDGET_NOTE}
        InvoiceDetail.model_validate(unsupported)
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json=unsupported))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/billing/invoices/inv-1"))
        assert EMPTY_BUDGET_NOTE in page
        assert "Không có: chương trình đủ điều kiện đã hết kinh phí, doanh nghiệp trả toàn bộ" in page
        assert 'class="cancelled"' not in page

    async def test_proxies_the_pdf(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices/inv-1.pdf",
                httpx.Response(200, content=b"%PDF-1.7 test", headers={"content-type": "application/pdf"}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/billing/invoices/inv-1.pdf")
        assert res.status_code == 200 and res.content == b"%PDF-1.7 test"
        assert res.headers["content-type"] == "application/pdf"
        assert "attachment" in res.headers["content-disposition"]


class TestProgrammes:
    async def test_draws_the_budget_chart_as_svg_with_its_figures(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/billing/programmes/pg-1")
        page = text_of(res)
        assert res.status_code == 200
        chart = re.search(r'<svg class="budget-chart".*?</svg>', page, re.S)
        assert chart is not None
        svg = chart.group(0)
        assert 'role="img"' in svg and "<title" in svg
        # committed 40 of a 100 million budget: 40% of the 360-unit track; paid 25%.
        assert re.search(r'class="bar bar-committed"[^>]*width="144.0"', svg)
        assert re.search(r'class="bar bar-paid"[^>]*width="90.0"', svg)
        assert "40.000.000\u00a0₫ · 40%" in svg
        assert "style=" not in page  # CSP: no inline styles
        assert 'href="/organizer/billing/programmes/pg-1/settlement.xlsx"' in page

    async def test_proxies_the_settlement_xlsx_with_its_content_type(self, portal):
        app, fake = portal
        body = b"PK\x03\x04 fake workbook"
        fake.on("GET", "billing", "/subsidy-programmes/pg-1/settlement.xlsx",
                httpx.Response(200, content=body, headers={"content-type": XLSX}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/billing/programmes/pg-1/settlement.xlsx")
        assert res.status_code == 200 and res.content == body
        assert res.headers["content-type"] == XLSX
        assert res.headers["content-disposition"] == 'attachment; filename="quyet-toan-pg-1.xlsx"'
        assert fake.calls_to("GET", "/subsidy-programmes/pg-1/settlement.xlsx")[0].headers["authorization"]

    async def test_creates_a_programme_from_the_form(self, portal):
        app, fake = portal
        fake.on("POST", "billing", "/subsidy-programmes", httpx.Response(201, json=PROGRAMME))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            form = await client.get("/organizer/billing/programmes/new")
            res = await client.post("/organizer/billing/programmes", data={
                "name": "Hỗ trợ KCĐP", "level": "local", "funder": "Sở Công Thương Tuyên Quang",
                "funding_province_code": "08", "budget_vnd": "100.000.000", "valid_from": "2027-01-01",
                "valid_to": "2027-12-31", "support_percent": "50", "cap_per_booth_vnd": "",
                "max_booths_per_exhibitor": "2", "base": "gross", "eligible_kinds": ["cooperative", "household"],
                "eligible_provinces": ["08", "15"], "eligible_communes": "00001, 00004", "fair_ids": ["f-1"]})
        assert form.status_code == 200 and '<label for="budget_vnd">' in text_of(form)
        assert res.status_code == 303 and res.headers["location"] == "/organizer/billing/programmes/pg-1?result=created"
        sent = json.loads(fake.calls_to("POST", "/subsidy-programmes")[0].content)
        assert sent["budget_vnd"] == 100_000_000 and sent["support_percent"] == 50
        assert sent["eligible_kinds"] == ["cooperative", "household"] and sent["eligible_provinces"] == ["08", "15"]
        assert sent["eligible_communes"] == ["00001", "00004"] and sent["fair_ids"] == ["f-1"]
        assert "cap_per_booth_vnd" not in sent and sent["funding_province_code"] == "08"

    async def test_preselects_no_level_and_one_left_unchosen_is_an_error_naming_it(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            form = text_of(await client.get("/organizer/billing/programmes/new"))
            res = await client.post("/organizer/billing/programmes", data={
                "name": "X", "funder": "Bộ Công Thương", "budget_vnd": "1000", "valid_from": "2027-01-01",
                "valid_to": "2027-12-31", "support_percent": "50", "max_booths_per_exhibitor": "2"})
        assert re.search(r'name="level"[^>]*checked', form) is None
        assert res.status_code == 422 and field_error(text_of(res), "level") == "Vui lòng chọn cấp kinh phí."
        assert fake.calls_to("POST", "/subsidy-programmes") == []

    async def test_an_overlap_is_shown_next_to_the_validity(self, portal):
        app, fake = portal
        message = "Trùng thời gian với chương trình khác / overlaps another programme"
        fake.on("POST", "billing", "/subsidy-programmes", problem(409, message, [{"field": "valid_from",
                                                                                "message": message}]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/billing/programmes", data={
                "name": "X", "level": "national", "funder": "Bộ Công Thương", "budget_vnd": "1000",
                "valid_from": "2027-01-01", "valid_to": "2027-12-31", "support_percent": "50",
                "max_booths_per_exhibitor": "2"})
        assert res.status_code == 409
        assert field_error(text_of(res), "valid_from") == "Trùng thời gian với chương trình khác"


class TestHelpers:
    @pytest.mark.parametrize(("raw", "amount"), [("10.800.000", 10_800_000), ("10 800 000 ₫", 10_800_000),
                                                 ("5000", 5000), ("abc", None), ("", None), ("-5", None)])
    def test_reads_amounts_as_people_type_them(self, raw: str, amount: Any):
        assert parse_vnd(raw) == amount

    def test_scales_bars_to_the_largest_amount(self):
        bars = {b.key: b for b in budget_bars({"budget_vnd": 0, "committed_vnd": 0})}
        assert bars["budget"].width == 0 and bars["budget"].percent == 0
        over = {b.key: b for b in budget_bars({"budget_vnd": 100, "released_vnd": 200})}
        assert over["released"].width == 360 and over["budget"].width == 180


SETTINGS = {"centre_id": "tq", "form": "1", "with_tax_authority_code": True, "type_letter": "T", "series": "AB",
            "due_in_days": None, "bank_bin": "", "bank_account": "", "bank_account_name": "",
            "symbol_this_year": "1C26TAB"}


class TestPaymentAccountSettings:
    async def test_says_no_account_is_published_and_offers_no_bank_preselected(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoice-settings", httpx.Response(200, json=SETTINGS))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/billing/settings"))
            listing = text_of(await client.get("/organizer/billing"))
        assert "<h1>Tài khoản nhận thanh toán</h1>" in page and "Trung tâm chưa công bố tài khoản" in page
        start = page.index('<select id="bank_bin"')
        assert " selected" not in page[start:page.index("</select>", start)] and ">VietinBank<" in page
        assert '<label for="bank_account">' in page and "1C26TAB" in page
        assert 'href="/organizer/billing/settings"' in listing

    async def test_saves_the_account_keeping_the_invoice_symbol_set_elsewhere(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoice-settings", httpx.Response(200, json=SETTINGS))
        fake.on("PUT", "billing", "/invoice-settings", httpx.Response(200, json=SETTINGS))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/billing/settings", data={
                "bank_bin": "970415", "bank_account": "1133 6666 8888", "bank_account_name": " TT KHUYEN CONG TQ ",
                "due_in_days": "15"})
        assert res.status_code == 303 and res.headers["location"] == "/organizer/billing/settings?done=saved"
        put = fake.calls_to("PUT", "/invoice-settings")[0]
        assert json.loads(put.content) == {
            "form": "1", "with_tax_authority_code": True, "type_letter": "T", "series": "AB",
            "bank_bin": "970415", "bank_account": "113366668888", "bank_account_name": "TT KHUYEN CONG TQ",
            "due_in_days": 15}
        assert put.headers["authorization"].startswith("Bearer ")

    async def test_tells_every_mistake_at_once_and_sends_nothing(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoice-settings", httpx.Response(200, json=SETTINGS))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/billing/settings", data={
                "bank_bin": "", "bank_account": "12#45", "bank_account_name": "", "due_in_days": "400"})
        page = text_of(res)
        assert res.status_code == 422 and fake.calls_to("PUT", "/invoice-settings") == []
        assert field_error(page, "bank_bin") == "Vui lòng chọn ngân hàng."
        assert field_error(page, "bank_account").startswith("Số tài khoản gồm chữ số")
        assert field_error(page, "bank_account_name") == "Vui lòng nhập tên chủ tài khoản."
        assert field_error(page, "due_in_days") == "Vui lòng nhập số ngày từ 0 đến 365."
        assert '<a href="#bank_bin">Ngân hàng: Vui lòng chọn ngân hàng.</a>' in page

    async def test_the_services_field_errors_stand_next_to_the_fields(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoice-settings", httpx.Response(200, json=SETTINGS))
        fake.on("PUT", "billing", "/invoice-settings", problem(422, "Dữ liệu không hợp lệ / Invalid input", [
            {"field": "bank_account_name", "message": "Văn bản có ký tự không hợp lệ / text has a control character"}]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/organizer/billing/settings", data={
                "bank_bin": "970415", "bank_account": "113366668888", "bank_account_name": "TT KC", "due_in_days": ""})
        assert res.status_code == 422
        assert field_error(text_of(res), "bank_account_name") == "Văn bản có ký tự không hợp lệ"

    async def test_an_exhibitor_is_refused_before_billing_is_asked(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/organizer/billing/settings")
        assert res.status_code == 403 and fake.calls_to("GET", "/invoice-settings") == []
