"""The portal in real Chromium against the running platform: exhibitor registers, organizer approves,
the exhibitor sees the invoice. Screenshots of each step go to test-artifacts/e2e/."""

from __future__ import annotations

from typing import Any

import httpx
import pytest_asyncio

from devstack.platform import Platform
from shared.auth import Role
from tests.e2e.conftest import E2E, Shots, bearer, login
from tests.integration.helpers import eventually
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = E2E
shot = Shots("first-registration")


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def fair_id(platform: Platform) -> str:
    """A published fair of the demo centre, and the Đồng Văn cooperative's profile (the picker's user)."""
    organizer = bearer(role=Role.ORGANIZER, centre_id="tq")
    async with httpx.AsyncClient(base_url=platform.url("registration"), timeout=30) as client:
        fair = (await client.post("/fairs", json=fair_body(name="Hội chợ Xuân Tuyên Quang (e2e)"),
                                  headers=organizer)).json()
        assert (await client.post(f"/fairs/{fair['id']}/publish", headers=organizer)).status_code == 200
        profile = await client.post("/exhibitors", json=exhibitor_body(),
                                    headers=bearer(role=Role.EXHIBITOR, exhibitor_id="ex-dongvan"))
        assert profile.status_code == 201, profile.text
    return str(fair["id"])


async def test_exhibitor_registers_organizer_approves_and_the_invoice_appears(
        platform: Platform, fair_id: str, browser: Any) -> None:
    base = platform.url("portal")
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = await context.new_page()

    await page.goto(base)
    assert await page.locator("html").get_attribute("lang") == "vi"
    await page.get_by_role("link", name="Hội chợ Xuân Tuyên Quang (e2e)").click()
    await shot(page, "fair-public")

    await login(page, base, "Doanh nghiệp – HTX Chè Shan tuyết Đồng Văn")
    await page.goto(f"{base}/fairs/{fair_id}")
    await page.get_by_label("Số gian đăng ký").fill("2")
    await page.get_by_label("Ngành hàng").fill("Chè, nông sản")
    await shot(page, "registration-form")
    await page.get_by_role("button", name="Gửi đăng ký").click()
    await page.wait_for_url("**/registrations/*")
    registration_url = page.url
    await shot(page, "registration-submitted")

    await context.clear_cookies()
    await login(page, base, "Ban tổ chức – TT KC&XTTM Tuyên Quang")
    await page.goto(f"{base}/organizer/fairs/{fair_id}")
    await shot(page, "organizer-queue")
    await page.get_by_role("button", name="Duyệt hồ sơ của HTX Chè Shan tuyết Đồng Văn").click()
    await shot(page, "organizer-approved")

    await context.clear_cookies()
    await login(page, base, "Doanh nghiệp – HTX Chè Shan tuyết Đồng Văn")

    async def invoice_shown() -> bool:
        await page.goto(registration_url)
        return await page.get_by_text("Mười triệu tám trăm nghìn đồng", exact=False).count() > 0

    await eventually(invoice_shown, timeout=60, what="the invoice on the registration page")
    await shot(page, "invoice")
    await context.close()
