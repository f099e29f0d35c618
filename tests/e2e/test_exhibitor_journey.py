"""The exhibitor's whole job in real Chromium against the running platform: create the profile (one field error
shown, then fixed), register for a fair where exhibitors pick their booths, see the page notice the organizer's
request for changes by itself and resubmit, pick under a hold with its countdown, confirm, see the assignment, open
the invoice and download its PDF. Screenshots in test-artifacts/e2e/exhibitor/.

Set up by API: the organizer of centre "tq" creates and publishes the fair, draws its floor plan in the booths
service, asks for changes and approves the registration (the organizer's own pages are another journey).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from devstack.platform import Platform
from shared.auth import Role
from tests.e2e.conftest import E2E, Shots, bearer, login
from tests.integration.helpers import eventually
from tests.service.fixtures import fair_body

pytestmark = E2E
shot = Shots("exhibitor")
ORGANIZER = bearer(role=Role.ORGANIZER, centre_id="tq")
FAIR_NAME = f"Hội chợ Nông sản vùng cao (e2e {uuid.uuid4().hex[:6]})"
MEOVAC = "Doanh nghiệp – Hộ kinh doanh Mèn mén Mèo Vạc"


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def pick_fair_id(platform: Platform) -> str:
    """A published fair of centre "tq" where exhibitors pick their booths, on a plan of two rows of six."""
    async with httpx.AsyncClient(base_url=platform.url("registration"), timeout=30) as client:
        created = await client.post("/fairs", headers=ORGANIZER, json=fair_body(
            name=FAIR_NAME, allocation_mode="exhibitor_picks", capacity_booths=12, booths_per_row=6))
        assert created.status_code == 201, created.text
        fair_id = str(created.json()["id"])
        published = await client.post(f"/fairs/{fair_id}/publish", headers=ORGANIZER)
        assert published.status_code == 200, published.text

    async with httpx.AsyncClient(base_url=platform.url("booths"), timeout=30) as booths:
        async def plan_drawn() -> bool:  # the booths service learns of the fair from fair.published
            res = await booths.put(f"/fairs/{fair_id}/floorplan/grid", headers=ORGANIZER,
                                   json={"halls": [{"code": "", "name": "Nhà A", "rows": 2, "booths_per_row": 6}]})
            return res.status_code == 200

        await eventually(plan_drawn, timeout=60, what="the floor plan in the booths service")
    return fair_id


async def test_exhibitor_profile_register_pick_under_hold_confirm_and_invoice_pdf(
        platform: Platform, pick_fair_id: str, browser: Any, tmp_path: Path) -> None:
    base = platform.url("portal")
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN",
                                        accept_downloads=True)
    page = await context.new_page()
    scripts_blocked: list[str] = []
    page.on("console", lambda m: scripts_blocked.append(m.text) if "Content Security Policy" in m.text else None)

    # 1. Log in; the dashboard asks for a profile.
    await login(page, base, MEOVAC)
    await page.goto(f"{base}/me")
    assert await page.get_by_text("Bạn chưa có hồ sơ doanh nghiệp").count() == 1
    await shot(page, "dashboard-no-profile")

    # 2. The profile, with a tax code whose check digit is wrong: the service's message stands by the field.
    await page.get_by_role("link", name="Tạo hồ sơ doanh nghiệp").click()
    await page.get_by_label("Tên cơ sở, doanh nghiệp").fill("Hộ kinh doanh Mèn mén Mèo Vạc")
    await page.get_by_label("Loại hình").select_option("household")
    await page.get_by_label("Mã số thuế").fill("0100233489")
    await page.get_by_label("Tỉnh, thành phố").select_option("08")
    commune = page.get_by_label("Xã, phường")
    await eventually(lambda: _has_option(commune, "Xã Mèo Vạc"), timeout=10, what="communes of Tuyên Quang")
    await commune.select_option(label="Xã Mèo Vạc")
    await page.get_by_label("Số nhà, thôn, xóm").fill("Thôn Pả Vi Thượng")
    await page.get_by_label("Điện thoại").fill("0912 345 679")
    await page.get_by_label("Ngành hàng").fill("Nông sản\nThực phẩm")
    await page.locator("#product-0-name").fill("Mèn mén đóng gói")
    await page.locator("#product-0-level").select_option("provincial")
    await page.locator("#product-0-year").fill("2025")
    await shot(page, "profile-form")
    await page.get_by_role("button", name="Tạo hồ sơ").click()
    error = page.locator("#tax_code-error")
    assert "Mã số thuế sai chữ số kiểm tra" in (await error.inner_text())
    assert await page.get_by_label("Mã số thuế").get_attribute("aria-invalid") == "true"
    assert await page.get_by_label("Xã, phường").input_value() != ""  # what was typed is kept
    await shot(page, "profile-field-error")
    await page.get_by_label("Mã số thuế").fill("001088012345")  # a household's 12-digit personal ID
    await page.get_by_role("button", name="Tạo hồ sơ").click()
    await page.wait_for_url("**/me?done=profile-created")
    assert await page.get_by_text("Đã tạo hồ sơ doanh nghiệp.").count() == 1
    await shot(page, "profile-created")

    # 3. Register for the fair.
    await page.goto(base)
    await page.get_by_role("link", name=FAIR_NAME).click()
    await page.get_by_label("Số gian đăng ký").fill("1")
    await page.get_by_label("Ngành hàng").fill("Nông sản")
    await page.get_by_role("button", name="Gửi đăng ký").click()
    await page.wait_for_url("**/registrations/*")
    registration_id = page.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    assert await page.get_by_text("Đã nộp – chờ duyệt").count() >= 1
    await shot(page, "registration-submitted")

    # 4. The organizer asks for changes (by API); the waiting page notices by itself (it checks every 30 s, every
    #    2 s on the browser tests' platform: PORTAL_WATCH_INTERVAL_S),
    #    and the exhibitor resubmits through the form, prefilled with what was sent.
    async with httpx.AsyncClient(timeout=30) as api:
        asked = await api.post(f"{platform.url('registration')}/registrations/{registration_id}/request-changes",
                               headers=ORGANIZER, json={"reason": "Vui lòng ghi rõ sản phẩm trưng bày"})
        assert asked.status_code == 200 and asked.json()["status"] == "changes_requested", asked.text
    await page.get_by_text("Ban tổ chức yêu cầu bổ sung hồ sơ.").wait_for(timeout=30_000)
    assert await page.get_by_text("Vui lòng ghi rõ sản phẩm trưng bày").count() >= 1
    await shot(page, "changes-requested")
    await page.get_by_role("link", name="Sửa và nộp lại hồ sơ").click()
    await page.wait_for_url(f"**/me/registrations/{registration_id}/edit")
    assert await page.get_by_label("Số gian đăng ký").input_value() == "1"
    await page.get_by_label("Sản phẩm trưng bày").fill("Mèn mén đóng gói\nMật ong bạc hà")
    await shot(page, "resubmit-form")
    await page.get_by_role("button", name="Nộp lại hồ sơ").click()
    await page.wait_for_url(f"**/registrations/{registration_id}?done=resubmitted")
    assert await page.get_by_text("Đã nộp lại hồ sơ; ban tổ chức sẽ xem xét lại.").count() == 1
    assert await page.get_by_text("Mèn mén đóng gói, Mật ong bạc hà").count() == 1
    await shot(page, "resubmitted")

    # 5. The organizer approves (by API); the booths service learns it from registration.approved.
    async with httpx.AsyncClient(timeout=30) as api:
        approved = await api.post(f"{platform.url('registration')}/registrations/{registration_id}/approve",
                                  headers=ORGANIZER)
        assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text

        async def booths_know_approval() -> bool:
            res = await api.get(f"{platform.url('booths')}/fairs/{pick_fair_id}/requests", headers=ORGANIZER)
            rows = res.json().get("data", []) if res.status_code == 200 else []
            return any(r["registration_id"] == registration_id and r.get("approved_at") for r in rows)

        await eventually(booths_know_approval, timeout=60, what="the approval in the booths service")

    # 6. Pick a booth on the plan: it is held, with a countdown.
    await page.goto(f"{base}/registrations/{registration_id}")
    await page.get_by_role("link", name="Chọn gian hàng trên sơ đồ").click()
    await page.wait_for_url(f"**/me/registrations/{registration_id}/booths")
    await page.locator('#pick-map [data-code="A03"]').click()  # the map ticks the list's checkbox
    assert await page.get_by_label("A03", exact=True).is_checked()
    await shot(page, "pick-booth")
    await page.get_by_role("button", name="Giữ chỗ các gian đã chọn").click()
    await page.wait_for_url("**/booths?done=held")
    timer = page.locator("[data-left]")
    first = await timer.inner_text()
    assert re.fullmatch(r"\d+:\d\d", first), first
    await page.wait_for_timeout(2_100)
    assert await timer.inner_text() != first  # the countdown runs (the script is allowed by the CSP)
    assert await page.get_by_role("heading", name=re.compile("Đang giữ chỗ: A03")).count() == 1
    await shot(page, "hold-countdown")

    # 7. Confirm: the booth is assigned.
    await page.get_by_role("button", name="Xác nhận gian hàng").click()
    await page.wait_for_url("**/booths?done=assigned")
    assert (await page.locator(".codes").inner_text()).strip() == "A03"
    await shot(page, "assigned")

    # 8. The invoice appears (billing issues it on booths.assigned); open it and download the PDF.
    async def invoice_link() -> bool:
        await page.goto(f"{base}/me")
        return await page.locator('a[href^="/invoices/"]:not([href$=".pdf"])').count() > 0

    await eventually(invoice_link, timeout=60, what="the invoice on the dashboard")
    assert await page.get_by_text("Đã xếp gian: A03").count() == 1
    await shot(page, "dashboard-with-invoice")
    await page.locator('a[href^="/invoices/"]:not([href$=".pdf"])').first.click()
    await page.wait_for_url("**/invoices/*")
    assert await page.get_by_text("Hóa đơn giá trị gia tăng").count() >= 1
    assert await page.get_by_text("Cách thanh toán").count() == 1
    await shot(page, "invoice")
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Tải hóa đơn PDF").click()
    download = await downloading.value
    saved = tmp_path / "invoice.pdf"
    await download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF"), saved.read_bytes()[:40]
    assert download.suggested_filename.endswith(".pdf")
    assert scripts_blocked == []
    await context.close()


async def _has_option(select: Any, label: str) -> bool:
    return await select.locator("option", has_text=label).count() > 0
