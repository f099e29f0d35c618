"""The organizer plans a year of market sessions in real Chromium: programme → sites and suppliers → scheduler
→ proposal on the calendar → pin → confirm → results → the year's summary. Screenshots in test-artifacts/e2e/markets.

The programme is of the current year (results can only be recorded for a session that has started), with a
small instance (three sites with frequent markets, two new sessions to place) so the solver answers in seconds.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import expect

from devstack.platform import Platform
from shared.auth import Role
from tests.e2e.conftest import E2E, Shots, bearer, login

pytestmark = E2E
shot = Shots("markets")
ORGANIZER = bearer(role=Role.ORGANIZER, centre_id="tq")
TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


async def test_organizer_plans_confirms_and_reports_a_market_programme(platform: Platform, browser: Any) -> None:
    base, markets = platform.url("portal"), platform.url("markets")
    name = f"Đưa hàng Việt về miền núi (e2e {uuid.uuid4().hex[:6]})"
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = await context.new_page()
    await login(page, base, "Ban tổ chức – TT KC&XTTM Tuyên Quang")

    # 1. A programme, created in the browser.
    await page.goto(f"{base}/organizer/markets")
    await page.get_by_role("link", name="Tạo chương trình mới").click()
    await page.get_by_label("Tên chương trình").fill(name)
    await page.get_by_label("Năm").fill(str(TODAY.year))
    await page.get_by_label("Tỉnh").select_option("08")
    await page.get_by_label("Số phiên mục tiêu").fill("3")
    await page.get_by_label("Số ngày mỗi phiên").fill("3")
    await page.get_by_label("Số gian mỗi phiên").fill("20")
    await page.get_by_label("Số doanh nghiệp mỗi phiên").fill("3")
    await page.get_by_label("Kinh phí (đồng)").fill("500.000.000")
    await page.get_by_label("Cách nhau tối thiểu (ngày) giữa hai phiên ở một điểm").fill("7")
    await page.get_by_label("Số đoàn đi cùng lúc").fill("2")
    await shot(page, "programme-form")
    await page.get_by_role("button", name="Tạo chương trình").click()
    await page.wait_for_url(re.compile(r"/organizer/markets/[A-Za-z0-9_-]+\?notice="))
    programme_id = page.url.split("/organizer/markets/")[1].split("?")[0]
    await expect(page.get_by_role("heading", name=name)).to_be_visible()
    await shot(page, "programme-created")

    # 2. Sites: one in the browser (a form error first, next to its field), two by API.
    await page.get_by_role("link", name="Điểm tổ chức").click()
    await page.get_by_label(re.compile(r"^Xã \(")).select_option(label="Xã Lũng Cú")
    await page.get_by_label("Biên giới", exact=True).check()
    await page.get_by_label("Sức chứa (gian)").fill("0")
    await page.get_by_label("Giờ đi đường từ trung tâm").fill("2")
    await page.get_by_label("Chủ nhật", exact=True).check()
    await page.get_by_role("button", name="Thêm điểm").click()
    await expect(page.locator("#capacity_booths-error")).to_have_text("Phải lớn hơn hoặc bằng 1.")
    await shot(page, "site-error-next-to-field")
    await page.get_by_label("Sức chứa (gian)").fill("20")
    await page.get_by_role("button", name="Thêm điểm").click()
    await expect(page.get_by_text("Đã thêm điểm tổ chức.")).to_be_visible()
    async with httpx.AsyncClient(base_url=markets, headers=ORGANIZER, timeout=30) as api:
        imported = await api.post(f"/programmes/{programme_id}/sites/import", json={"sites": [
            {"commune_code": code, "capacity_booths": 20, "travel_hours": 1.5, "mountain": True,
             "market_day": {"kind": "daily"}} for code in ("00745", "00763")]})
        assert imported.status_code == 201, imported.text
        for n in range(2):
            supplier = await api.post(f"/programmes/{programme_id}/suppliers", json={
                "name": f"HTX Nông sản {n + 1}", "categories": ["nông sản", "dược liệu"][n:n + 1], "funded": n == 0})
            assert supplier.status_code == 201, supplier.text
        # A session that has started (today), so its results can be recorded at the end of the journey.
        held = await api.post(f"/programmes/{programme_id}/sessions", json={
            "commune_code": "00769", "site_name": "Chợ Mèo Vạc", "starts_on": TODAY.isoformat(),
            "ends_on": min(TODAY + timedelta(days=2), date(TODAY.year, 12, 31)).isoformat(), "booth_quota": 20})
        assert held.status_code == 201, held.text
    await page.reload()
    await expect(page.locator("tbody tr")).to_have_count(3)
    await shot(page, "sites")

    # 3. A supplier in the browser.
    await page.get_by_role("link", name="Nhà cung cấp").click()
    await page.get_by_label("Tên doanh nghiệp / HTX").fill("HTX Chè Shan tuyết Đồng Văn")
    await page.get_by_label(re.compile(r"^Nhóm hàng \(")).fill("chè, nông sản")
    await page.get_by_label("Được chương trình hỗ trợ kinh phí").check()
    await page.get_by_role("button", name="Thêm nhà cung cấp").click()
    await expect(page.get_by_role("cell", name="HTX Chè Shan tuyết Đồng Văn")).to_be_visible()
    await shot(page, "suppliers")

    # 4. The scheduler: a waiting page that polls, then the proposal on the calendar.
    await page.get_by_role("link", name="Tổng quan").click()
    await page.get_by_label("Thời gian giải tối đa (giây)").fill("5")
    await page.get_by_role("button", name="Lập lại kế hoạch").click()  # a confirmed (held) session exists
    await page.wait_for_url("**/organizer/markets/proposals/*", timeout=60_000)
    new_marks = page.locator("table.month a.mark.a-new")
    await expect(new_marks).to_have_count(2)
    await expect(page.locator("table.month a.mark.a-keep")).to_have_count(1)
    await shot(page, "proposal-calendar")

    # 5. Pin the first new session: the draft is solved again with it fixed.
    first_new = page.locator("tr.a-new").first
    await first_new.get_by_role("button", name=re.compile("^Ghim")).click()
    await page.wait_for_url("**/organizer/markets/proposals/*", timeout=60_000)
    await expect(page.locator("table.month a.mark.pinned")).to_have_count(1)
    await expect(page.get_by_role("button", name=re.compile("^Bỏ ghim"))).to_have_count(1)
    await shot(page, "proposal-pinned")

    # 6. Confirm: the sessions are scheduled (session.scheduled is announced by the service).
    await page.get_by_role("button", name="Xác nhận phương án").click()
    await expect(page.get_by_text("Đã xác nhận: 2 phiên mới, 0 phiên dời lịch, 0 phiên hủy.")).to_be_visible()
    await expect(page.locator("table.sessions tbody tr")).to_have_count(3)
    await shot(page, "confirmed")

    # 7. Results of the session held today, a field error first; then the year's summary.
    await page.get_by_role("link", name="Ghi kết quả").click()
    await page.get_by_label("Lượt khách").fill("nhiều")
    await page.get_by_label("Doanh thu (đồng)").fill("120.000.000")
    await page.get_by_label("Số doanh nghiệp tham gia").fill("3")
    await page.get_by_label("Nhóm hàng 1").fill("nông sản")
    await page.get_by_label("Doanh thu nhóm 1").fill("80.000.000")
    await page.get_by_role("button", name="Ghi kết quả").click()
    await expect(page.locator("#visitors-error")).to_have_text("Vui lòng nhập một số nguyên.")
    await shot(page, "results-error")
    await page.get_by_label("Lượt khách").fill("1500")
    await page.get_by_role("button", name="Ghi kết quả").click()
    await expect(page.get_by_text("Đã ghi kết quả phiên chợ.")).to_be_visible()
    stats = page.locator("dl.stats")
    await expect(stats.locator("div", has_text="Phiên đã tổ chức").locator("dd")).to_have_text("1")
    await expect(stats.locator("div", has_text="Doanh thu").locator("dd")).to_have_text("120.000.000\u00a0₫")
    await expect(page.locator("svg.month-chart rect.bar-held")).to_have_count(1)
    await shot(page, "summary")

    # 8. The calendar feed the page links to carries the three sessions.
    feed = await page.request.get(f"{base}/organizer/markets/{programme_id}/calendar.ics")
    assert feed.ok and (await feed.text()).count("BEGIN:VEVENT") == 3

    # 9. Border guards suspend a gathering: cancel it with the reason, re-plan; the confirmed sessions stay.
    last = page.locator("table.sessions tbody tr").last
    await last.get_by_label(re.compile("^Lý do hủy phiên")).fill("Biên phòng tạm dừng tụ tập đông người")
    await last.get_by_role("button", name="Hủy phiên").click()
    await expect(page.get_by_text("Đã hủy phiên chợ.", exact=False)).to_be_visible()
    await expect(page.get_by_text("Biên phòng tạm dừng tụ tập đông người")).to_be_visible()
    await page.get_by_label("Thời gian giải tối đa (giây)").fill("5")
    await page.get_by_role("button", name="Lập lại kế hoạch").click()
    await page.wait_for_url("**/organizer/markets/proposals/*", timeout=60_000)
    await expect(page.locator("table.month a.mark.a-keep")).to_have_count(2)
    await expect(page.locator("table.month a.mark.a-new")).to_have_count(1)
    await shot(page, "replan-after-cancellation")
    await page.get_by_role("button", name="Xác nhận phương án").click()
    await expect(page.get_by_text("Đã xác nhận: 1 phiên mới, 0 phiên dời lịch, 0 phiên hủy.")).to_be_visible()
    await expect(page.locator("table.sessions tbody tr")).to_have_count(4)
    await shot(page, "replanned")
    await context.close()
