"""The organizer reviews a registration and reverses a mistaken payment, in real Chromium over the running
platform: the queue links to the review page, which shows the profile, the score with its reasons and the history
in words; the organizer approves there; billing issues the invoice; a 99.000.000 ₫ over-payment is recorded and
then reversed with a reason (the invoice owes again, the payment stays, marked reversed). Screenshots in
test-artifacts/e2e/organizer-review/."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from devstack.platform import Platform
from shared.auth import Role
from tests.e2e.conftest import E2E, Shots, bearer, login
from tests.e2e.test_organizer_billing_journey import ORGANIZER, ORGANIZER_LABEL, unique_tax_code
from tests.integration.helpers import eventually
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = E2E
shot = Shots("organizer-review")
PRODUCT = "Chè Shan tuyết cổ thụ"


async def fair_and_registration(platform: Platform, tag: str) -> tuple[str, str, str]:
    """A published fair of centre tq and a new exhibitor (a recognised product) registering it for 2 booths."""
    exhibitor = bearer(role=Role.EXHIBITOR, exhibitor_id=f"ex-review-{tag}")
    name = f"HTX Chè Đồng Văn {tag}"
    async with httpx.AsyncClient(base_url=platform.url("registration"), timeout=30) as client:
        fair = await client.post("/fairs", json=fair_body(name=f"Hội chợ Xuân Tuyên Quang {tag}"), headers=ORGANIZER)
        assert fair.status_code == 201, fair.text
        fair_id = str(fair.json()["id"])
        assert (await client.post(f"/fairs/{fair_id}/publish", headers=ORGANIZER)).status_code == 200
        profile = await client.post("/exhibitors", headers=exhibitor, json=exhibitor_body(
            legal_name=name, tax_code=unique_tax_code(),
            products=[{"name": PRODUCT, "group": "agro_food",
                       "recognition": {"level": "national", "certificate_no": "QĐ 45/QĐ-BCT", "year": 2025}}]))
        assert profile.status_code == 201, profile.text
        registration = await client.post(f"/fairs/{fair_id}/registrations", headers=exhibitor,
                                         json={"booths_requested": 2, "products": [PRODUCT]})
        assert registration.status_code == 201, registration.text
    return fair_id, str(registration.json()["id"]), name


async def test_organizer_reviews_approves_and_reverses_a_payment(platform: Platform, browser: Any) -> None:
    base = platform.url("portal")
    tag = uuid.uuid4().hex[:6]
    fair_id, registration_id, name = await fair_and_registration(platform, tag)
    context = await browser.new_context(viewport={"width": 1024, "height": 900}, locale="vi-VN")
    page = await context.new_page()
    await login(page, base, ORGANIZER_LABEL)

    # The queue links to the review page.
    await page.goto(f"{base}/organizer/fairs/{fair_id}")
    await page.get_by_role("link", name=name).click()
    await page.get_by_role("heading", name=f"Xét duyệt hồ sơ: {name}").wait_for()
    assert page.url.endswith(f"/organizer/registrations/{registration_id}")
    body = await page.locator("main").inner_text()
    assert "Hợp tác xã" in body and PRODUCT in body and "Cấp quốc gia" in body
    score = await page.locator("table.score").inner_text()
    assert "CNNT" in score and "/" not in score.split("\n")[1]  # the reasons in Vietnamese alone
    history = await page.locator("ol.history").inner_text()
    assert "Nộp hồ sơ đăng ký" in history and "registration." not in history
    await shot(page, "review")

    # A decision without its reason is refused next to the field, then the organizer approves.
    await page.get_by_label("Lý do từ chối").fill(" ")
    await page.get_by_label("Lý do từ chối").evaluate("e => e.removeAttribute('required')")
    await page.get_by_role("button", name="Từ chối hồ sơ").click()
    await page.locator("#reject_reason-error").wait_for()
    await shot(page, "reason-required")
    await page.get_by_role("button", name="Duyệt hồ sơ (hoặc đưa vào danh sách chờ)").click()
    await page.get_by_text("Đã duyệt hồ sơ.").wait_for()
    assert "Duyệt hồ sơ" in await page.locator("ol.history").inner_text()
    await shot(page, "approved")

    # Billing issues the invoice once booths are assigned; a mistaken over-payment is recorded.
    async def invoice_listed() -> bool:
        await page.goto(f"{base}/organizer/billing?fair_id={fair_id}")
        return await page.locator("table.invoices tbody tr").count() > 0

    await eventually(invoice_listed, timeout=60, interval=1, what="the invoice in the organizer's list")
    await page.locator("table.invoices tbody tr a").first.click()
    await page.get_by_role("heading", name="Ghi nhận thanh toán").wait_for()
    await page.get_by_label("Chuyển khoản ngân hàng").check()
    await page.get_by_label("Số tiền (đồng)").fill("99.000.000")
    await page.get_by_label("Xác nhận: số tiền lớn hơn số còn phải trả", exact=False).check()
    await page.get_by_label("Mã giao dịch ngân hàng / số biên lai").fill(f"FT99{tag.upper()}")
    await page.get_by_role("button", name="Ghi nhận thanh toán").click()
    await page.get_by_text("Đã ghi nhận khoản thanh toán.").wait_for()
    assert await page.locator("p.status").inner_text() == "Đã thanh toán"
    await shot(page, "over-paid")

    # The organizer reverses it: reason and confirmation, the payment stays and is marked; the invoice owes again.
    await page.locator("details.reverse summary").first.click()  # opens the form
    await page.get_by_label("Lý do huỷ").fill("Gõ thừa số 0 khi ghi nhận")
    await page.get_by_label("Tôi xác nhận huỷ khoản thu", exact=False).check()
    await shot(page, "reversal-form")
    await page.get_by_role("button", name="Huỷ khoản thu").click()
    await page.get_by_text("Đã huỷ khoản thu; hóa đơn ghi nhận lại số tiền còn phải thu.").wait_for()
    assert await page.locator("p.status").inner_text() == "Chờ thanh toán"
    assert await page.get_by_role("cell", name=f"FT99{tag.upper()}").count() == 1  # kept, not deleted
    assert "Gõ thừa số 0 khi ghi nhận" in await page.locator("p.reversed").inner_text()
    await shot(page, "reversed")
    await context.close()
