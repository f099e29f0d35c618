"""The organizer's money in real Chromium: a subsidy programme created in the browser, an exhibitor approved
by API (billing issues the invoice with the programme's share), a bank transfer recorded for the full
amount, the programme's budget chart and its settlement workbook. Screenshots in
test-artifacts/e2e/organizer-billing/."""

from __future__ import annotations

import random
import uuid
from io import BytesIO
from typing import Any

import httpx
from openpyxl import load_workbook

from devstack.platform import Platform
from shared.auth import Role
from shared.taxcode import tax_code_check_digit
from tests.e2e.conftest import E2E, Shots, bearer, login
from tests.integration.helpers import eventually
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = E2E
shot = Shots("organizer-billing")
ORGANIZER_LABEL = "Ban tổ chức – TT KC&XTTM Tuyên Quang"
ORGANIZER = bearer(role=Role.ORGANIZER, centre_id="tq")


def unique_tax_code() -> str:
    """A valid ten-digit tax code nobody else in the session uses (tax codes are unique per exhibitor)."""
    while True:
        first9 = f"{random.randrange(10**8, 10**9)}"
        check = tax_code_check_digit(first9)
        if check is not None:
            return f"{first9}{check}"


async def fair_and_registration(platform: Platform, tag: str) -> tuple[str, str, str]:
    """A published fair of centre tq and a new exhibitor's submitted registration for 2 booths."""
    exhibitor_id = f"ex-bill-{tag}"
    exhibitor = bearer(role=Role.EXHIBITOR, exhibitor_id=exhibitor_id)
    async with httpx.AsyncClient(base_url=platform.url("registration"), timeout=30) as client:
        fair = await client.post("/fairs", json=fair_body(name=f"Hội chợ Thu Tuyên Quang {tag}"), headers=ORGANIZER)
        assert fair.status_code == 201, fair.text
        fair_id = str(fair.json()["id"])
        assert (await client.post(f"/fairs/{fair_id}/publish", headers=ORGANIZER)).status_code == 200
        profile = await client.post("/exhibitors", headers=exhibitor, json=exhibitor_body(
            legal_name=f"HTX Miến dong Na Hang {tag}", tax_code=unique_tax_code()))
        assert profile.status_code == 201, profile.text
        registration = await client.post(f"/fairs/{fair_id}/registrations", json={"booths_requested": 2},
                                         headers=exhibitor)
        assert registration.status_code == 201, registration.text
    return fair_id, str(registration.json()["id"]), exhibitor_id


async def test_organizer_records_a_transfer_and_exports_the_settlement(platform: Platform, browser: Any) -> None:
    base = platform.url("portal")
    tag = uuid.uuid4().hex[:6]
    fair_id, registration_id, _ = await fair_and_registration(platform, tag)
    context = await browser.new_context(viewport={"width": 1024, "height": 900}, locale="vi-VN",
                                        accept_downloads=True)
    page = await context.new_page()
    await login(page, base, ORGANIZER_LABEL)

    # A local programme for this fair, created in the browser before the approval.
    await page.goto(f"{base}/organizer/billing/programmes")
    await page.get_by_role("link", name="Tạo chương trình mới").click()
    programme_name = f"Hỗ trợ KCĐP Tuyên Quang {tag}"
    await page.get_by_label("Tên chương trình").fill(programme_name)
    await page.get_by_label("Cơ quan cấp kinh phí").fill(f"Sở Công Thương Tuyên Quang {tag}")
    await page.get_by_label("Khuyến công địa phương (KCĐP)").check()  # a required choice: none pre-selected
    await page.get_by_label("Tỉnh cấp kinh phí (KCĐP)").select_option("08")
    await page.get_by_label("Ngân sách (đồng)").fill("100.000.000")
    await page.get_by_label("Hiệu lực từ ngày").fill("2026-01-01")
    await page.get_by_label("đến ngày").fill("2027-12-31")
    await page.get_by_label("Mức hỗ trợ (% giá thuê gian)").fill("50")
    await page.get_by_label("Số gian hỗ trợ tối đa mỗi doanh nghiệp").fill("2")
    await page.get_by_label(f"Hội chợ Thu Tuyên Quang {tag}", exact=False).check()
    await shot(page, "programme-form")
    await page.get_by_role("button", name="Tạo chương trình").click()
    await page.get_by_text("Đã tạo chương trình hỗ trợ.").wait_for()
    programme_url = page.url
    await shot(page, "programme-created")

    async with httpx.AsyncClient(base_url=platform.url("registration"), timeout=30) as client:
        approved = await client.post(f"/registrations/{registration_id}/approve", headers=ORGANIZER)
        assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text

    # Billing issues the invoice once booths are assigned; the programme pays its share.
    async def invoice_listed() -> bool:
        await page.goto(f"{base}/organizer/billing?fair_id={fair_id}")
        return await page.locator("table.invoices tbody tr").count() > 0

    await eventually(invoice_listed, timeout=60, interval=1, what="the invoice in the organizer's list")
    await shot(page, "invoices")
    await page.locator("table.invoices tbody tr a").first.click()
    await page.get_by_role("heading", name="Ghi nhận thanh toán").wait_for()
    assert await page.get_by_text("Kinh phí hỗ trợ", exact=True).count() == 1  # the programme's share line
    assert "hỗ trợ 50% giá thuê gian hàng" in await page.locator("p.subsidy-note").inner_text()
    invoice_id = page.url.rstrip("/").split("/")[-1]
    async with httpx.AsyncClient(base_url=platform.url("billing"), timeout=30) as client:
        invoice = (await client.get(f"/invoices/{invoice_id}", headers=ORGANIZER)).json()
    assert invoice["subsidy_vnd"] > 0 and invoice["payable_vnd"] == invoice["total_vnd"] - invoice["subsidy_vnd"]
    await shot(page, "invoice")

    await page.get_by_label("Chuyển khoản ngân hàng").check()
    await page.get_by_label("Số tiền (đồng)").fill(str(invoice["outstanding_vnd"]))
    await page.get_by_label("Mã giao dịch ngân hàng / số biên lai").fill(f"FT26{tag.upper()}")
    await shot(page, "payment-form")
    await page.get_by_role("button", name="Ghi nhận thanh toán").click()
    await page.get_by_text("Đã ghi nhận khoản thanh toán.").wait_for()
    assert await page.locator("p.status").inner_text() == "Đã thanh toán"
    assert await page.get_by_role("cell", name=f"FT26{tag.upper()}").count() == 1
    await shot(page, "paid")

    await page.goto(programme_url.split("?")[0])
    chart = page.locator("svg.budget-chart")
    await chart.wait_for()
    share = f"{invoice['subsidy_vnd']:,}".replace(",", ".")
    assert share in await chart.locator("desc").text_content()  # committed and paid: the invoice's share
    await shot(page, "budget-chart")

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Tải báo cáo quyết toán (.xlsx)").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(BytesIO((await download.path()).read_bytes()))
    assert "Tổng hợp" in workbook.sheetnames and "Chi tiết" in workbook.sheetnames
    assert any(invoice["number"] in str(cell.value) for row in workbook["Chi tiết"].iter_rows() for cell in row)
    await context.close()
