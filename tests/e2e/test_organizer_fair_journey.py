"""The organizer's fair journey in real Chromium against the running platform: create a fair in the browser
(a service's field error shown next to its field first), publish it, lay out its floor plan, approve the
exhibitors' registrations in one bulk action, run the automatic allocation and watch the live map update
in another tab, with the reason of every placement, then move an exhibitor by clicking two booths on the map.
Screenshots: test-artifacts/e2e/organizer-fair/."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from devstack.platform import Platform
from shared.auth import Role
from shared.taxcode import tax_code_check_digit
from tests.e2e.conftest import E2E, Shots, bearer, login
from tests.integration.helpers import eventually
from tests.service.fixtures import exhibitor_body

pytestmark = E2E
shot = Shots("organizer-fair")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
ORGANIZER = "Ban tổ chức – TT KC&XTTM Tuyên Quang"


def fresh_tax_code() -> str:
    """A valid ten-digit tax code nobody else in this platform uses (profiles are unique per tax code)."""
    while True:
        first9 = f"{random.randrange(10**8, 10**9)}"
        check = tax_code_check_digit(first9)
        if check is not None:
            return f"{first9}{check}"


def local(moment: datetime) -> str:
    """What a person types into a datetime-local field, in Vietnam's time."""
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M")


async def register_exhibitors(platform: Platform, fair_id: str, tag: str) -> list[str]:
    """Three exhibitors with their own profiles, each registered for booths at the fair (set up by API)."""
    names = []
    async with httpx.AsyncClient(base_url=platform.url("registration"), timeout=30) as client:
        for index, booths in enumerate((2, 1, 2), start=1):
            exhibitor = bearer(role=Role.EXHIBITOR, exhibitor_id=f"e2e-org-{tag}-{index}")
            name = f"HTX e2e {tag} số {index}"
            profile = await client.post("/exhibitors", headers=exhibitor, json=exhibitor_body(
                legal_name=name, tax_code=fresh_tax_code()))
            assert profile.status_code == 201, profile.text
            registration = await client.post(f"/fairs/{fair_id}/registrations", headers=exhibitor, json={
                "booths_requested": booths, "sector": "Chè", "products": [f"Chè Shan tuyết {index}"]})
            assert registration.status_code == 201, registration.text
            names.append(name)
    return names


async def waiting_requests(platform: Platform, fair_id: str) -> int:
    """How many approved registrations the booths service knows and waits to place."""
    organizer = bearer(role=Role.ORGANIZER, centre_id="tq")
    async with httpx.AsyncClient(base_url=platform.url("booths"), timeout=10) as client:
        res = await client.get(f"/fairs/{fair_id}/requests", params={"status": "waiting"}, headers=organizer)
    return int(res.json().get("count", 0)) if res.status_code == 200 else 0


async def test_organizer_creates_publishes_approves_and_allocates(platform: Platform, browser: Any) -> None:
    base = platform.url("portal")
    tag = uuid.uuid4().hex[:6]
    fair_name = f"Hội chợ Thu e2e {tag}"
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, locale="vi-VN")
    page = await context.new_page()
    await login(page, base, ORGANIZER)
    await page.goto(f"{base}/organizer")
    await shot(page, "dashboard")

    # Create a fair: the first try has a tax code with a wrong check digit, refused by the service.
    await page.get_by_role("link", name="Tạo hội chợ mới").click()
    now = datetime.now(UTC)
    await page.get_by_label("Tên hội chợ *").fill(fair_name)
    await page.get_by_label("Tỉnh, thành phố *").select_option("08")  # a required choice: none pre-selected
    await page.get_by_label("Địa điểm tổ chức *").fill("Quảng trường Nguyễn Tất Thành")
    await page.get_by_label("Ngày khai mạc *").fill("2027-10-01")
    await page.get_by_label("Ngày bế mạc *").fill("2027-10-05")
    await page.get_by_label("Mở nhận đăng ký *").fill(local(now - timedelta(days=1)))
    await page.get_by_label("Đóng nhận đăng ký *").fill(local(now + timedelta(days=30)))
    await page.get_by_label("Sức chứa (gian tiêu chuẩn) *").fill("24")
    await page.get_by_label("Số gian mỗi dãy").fill("8")
    await page.get_by_label("Giá thuê một gian (đồng) *").fill("4.500.000")
    await page.get_by_label("Cách xếp gian").select_option("organizer")
    await page.locator("#sectors").fill("Chè\nThủ công mỹ nghệ")
    await page.get_by_label("Tên đơn vị *").fill("Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang")
    await page.get_by_label("Mã số thuế *").fill("0100233480")
    await page.get_by_role("button", name="Tạo hội chợ").click()
    error = page.locator("#seller_tax_code-error")
    await error.wait_for()
    assert "Mã số thuế" in (await error.inner_text())
    assert await page.get_by_label("Mã số thuế *").get_attribute("aria-invalid") == "true"
    assert await page.get_by_label("Tên hội chợ *").input_value() == fair_name  # what was typed is kept
    await shot(page, "create-fair-field-error")

    await page.get_by_label("Mã số thuế *").fill("0100233488")
    for name in ("Mở nhận đăng ký *", "Đóng nhận đăng ký *"):  # a refused form keeps these too; type again
        assert await page.get_by_label(name).input_value()
    await page.get_by_role("button", name="Tạo hội chợ").click()
    await page.wait_for_url(re.compile(r".*/organizer/fairs/[^/?]+\?result=created$"))
    fair_id = page.url.split("/organizer/fairs/")[1].split("?")[0]
    await page.get_by_text("Đã tạo hội chợ (bản nháp)").wait_for()
    await shot(page, "fair-created")

    await page.get_by_role("button", name="Công bố, mở nhận đăng ký").click()
    await page.get_by_text("Hội chợ đang nhận đăng ký.").wait_for()
    await shot(page, "fair-published")

    # The floor plan: booths learns of the fair from fair.published, then the organizer lays out a grid.
    async def plan_shown() -> bool:
        await page.goto(f"{base}/organizer/fairs/{fair_id}/floorplan")
        return await page.locator("#live-map").count() > 0

    await eventually(plan_shown, timeout=60, what="the booths service to know the published fair")
    await page.get_by_label("Số dãy").fill("3")
    await page.get_by_label("Số gian mỗi dãy").fill("8")
    await page.get_by_label("Lối đi ngang sau mỗi … gian").fill("4")
    await page.get_by_label("Tên nhà").fill("Nhà A")
    await page.get_by_role("button", name="Tạo sơ đồ").click()
    await page.get_by_text("Đã tạo sơ đồ mới theo lưới.").wait_for()
    assert "Tổng: 24" in re.sub(r"\s+", " ", await page.locator(".counts-list").inner_text())
    await shot(page, "floorplan-grid")

    # Exhibitors register (by API); the organizer approves all of them in one bulk action.
    names = await register_exhibitors(platform, fair_id, tag)
    await page.goto(f"{base}/organizer/fairs/{fair_id}")
    for name in names:
        await page.get_by_label(f"Chọn hồ sơ của {name}").check()
    await shot(page, "review-queue")
    await page.get_by_role("button", name="Duyệt các hồ sơ đã chọn").click()
    await page.get_by_text("3 hồ sơ được duyệt.").wait_for()
    await shot(page, "bulk-approved")

    await eventually(lambda: _at_least(waiting_requests(platform, fair_id), 3), timeout=60,
                     what="booths to record the three approved requests")

    # A second tab watches the live map while the first runs the allocation.
    watcher = await context.new_page()
    await watcher.goto(f"{base}/organizer/fairs/{fair_id}/floorplan")
    await watcher.get_by_text("Sơ đồ cập nhật trực tiếp.").wait_for(timeout=15_000)
    assert "Đã xếp: 0" in re.sub(r"\s+", " ", await watcher.locator(".counts-list").inner_text())

    await page.goto(f"{base}/organizer/fairs/{fair_id}/floorplan")
    await page.get_by_role("button", name="Chạy phân bổ gian").click()
    await page.get_by_role("heading", name=re.compile("Ai được xếp ở đâu")).wait_for()
    rows = page.locator("table.decisions tbody tr")
    assert await rows.count() == 3
    for name in names:
        row = rows.filter(has_text=name)
        assert await row.count() == 1
        assert "điểm ưu tiên" in await row.inner_text()
    assert "Mọi hồ sơ đều đã có gian." in await page.content()
    await shot(page, "allocation-result")

    await watcher.get_by_text(re.compile("Sơ đồ vừa cập nhật lúc")).wait_for(timeout=15_000)
    assert await watcher.locator("#live-map").get_attribute("data-version") != "0"
    # The inlined map itself was fetched again: five booths assigned on it and in the counts, no reload.
    await watcher.locator('#live-map [data-code][data-status="assigned"]').nth(4).wait_for(timeout=15_000)
    assert "Đã xếp: 5" in re.sub(r"\s+", " ", await watcher.locator(".counts-list").inner_text())
    await shot(watcher, "live-map-updated")

    # A move on the map: the exhibitor with one booth, clicked first (the source), then a free booth (the target).
    await page.goto(f"{base}/organizer/fairs/{fair_id}/floorplan")
    mover = names[1]
    source = page.locator(f'#live-map [data-code][aria-label*="{mover}"]')
    assert await source.count() == 1 and await source.get_attribute("role") == "button"
    old_code = await source.get_attribute("data-code")
    free = page.locator('#live-map [data-code][data-status="free"]')
    target, other = free.nth(0), free.nth(1)
    new_code, other_code = await target.get_attribute("data-code"), await other.get_attribute("data-code")
    await page.get_by_label("Chuyển gian", exact=True).check()
    await source.click()
    chosen = page.locator("#move-registration_id option:checked")
    assert mover in await chosen.inner_text()
    await target.click()
    assert await page.locator("#move-booth_codes").input_value() == new_code
    assert await source.get_attribute("aria-pressed") == "true" and await target.get_attribute("aria-pressed") == "true"
    await other.focus()  # the keyboard does the same: Enter adds a booth, Space takes it away again
    await page.keyboard.press("Enter")
    assert await page.locator("#move-booth_codes").input_value() == f"{new_code}, {other_code}"
    await page.keyboard.press(" ")
    assert await page.locator("#move-booth_codes").input_value() == new_code
    assert f"Đã bỏ gian {other_code}" in await page.locator("#map-said").inner_text()  # said aloud (aria-live)
    await shot(page, "map-move-chosen")
    await page.locator("#move").get_by_role("button", name="Chuyển").click()
    await page.get_by_text("Đã chuyển gian.").wait_for()
    assert await page.locator(f'#live-map [data-code="{new_code}"]').get_attribute("data-status") == "assigned"
    assert await page.locator(f'#live-map [data-code="{old_code}"]').get_attribute("data-status") == "free"
    await shot(page, "map-moved")
    await watcher.locator(f'#live-map [data-code="{new_code}"][data-status="assigned"]').wait_for(timeout=15_000)
    await shot(watcher, "live-map-after-move")
    await watcher.reload()
    assert "Đã xếp: 5" in re.sub(r"\s+", " ", await watcher.locator(".counts-list").inner_text())
    assert await watcher.locator("section", has_text="Gian đã xếp và lý do").locator("tbody tr").count() == 3
    await shot(watcher, "floorplan-assigned")

    # The audit logs and the Excel export, through the portal.
    await page.goto(f"{base}/organizer/fairs/{fair_id}/audit")
    assert await page.get_by_text("registration.approved").count() >= 3
    await shot(page, "audit")
    export = await page.request.get(f"{base}/organizer/fairs/{fair_id}/registrations.xlsx")
    assert export.status == 200 and (await export.body())[:2] == b"PK"
    await context.close()


async def _at_least(count: Any, wanted: int) -> bool:
    return int(await count) >= wanted
