"""The portal in real Chromium against the running platform: exhibitor registers, organizer approves,
the exhibitor sees the invoice. Screenshots of each step go to test-artifacts/e2e/."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from shared.auth import Role, issue_token
from shared.platform import Platform, start_platform
from shared.settings import load_settings
from tests.integration.helpers import eventually
from tests.service.fixtures import exhibitor_body, fair_body

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
pytestmark = [
    pytest.mark.integration, pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: apt-get install -y chromium"),
]
SECRET = load_settings("tests").jwt_secret


def bearer(**claims: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, **claims)}"}  # type: ignore[arg-type]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    running = await start_platform(tmp_path_factory.mktemp("e2e"), extra_env={"HANGVIET_ENV": "test"})
    yield running
    running.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
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


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        await chromium.close()


async def login(page: object, base: str, user_label: str) -> None:
    await page.goto(f"{base}/login")  # type: ignore[attr-defined]
    await page.get_by_role("button", name=user_label).click()  # type: ignore[attr-defined]


async def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


async def test_exhibitor_registers_organizer_approves_and_the_invoice_appears(
        platform: Platform, fair_id: str, browser: object) -> None:
    base = platform.url("portal")
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")  # type: ignore[attr-defined]
    page = await context.new_page()

    await page.goto(base)
    assert await page.locator("html").get_attribute("lang") == "vi"
    await page.get_by_role("link", name="Hội chợ Xuân Tuyên Quang (e2e)").click()
    await shot(page, "01-fair-public")

    await login(page, base, "Doanh nghiệp – HTX Chè Shan tuyết Đồng Văn")
    await page.goto(f"{base}/fairs/{fair_id}")
    await page.get_by_label("Số gian đăng ký").fill("2")
    await page.get_by_label("Ngành hàng").fill("Chè, nông sản")
    await shot(page, "02-registration-form")
    await page.get_by_role("button", name="Gửi đăng ký").click()
    await page.wait_for_url("**/registrations/*")
    registration_url = page.url
    await shot(page, "03-registration-submitted")

    await context.clear_cookies()
    await login(page, base, "Ban tổ chức – TT KC&XTTM Tuyên Quang")
    await page.goto(f"{base}/organizer/fairs/{fair_id}")
    await shot(page, "04-organizer-queue")
    await page.get_by_role("button", name="Duyệt hồ sơ của HTX Chè Shan tuyết Đồng Văn").click()
    await shot(page, "05-organizer-approved")

    await context.clear_cookies()
    await login(page, base, "Doanh nghiệp – HTX Chè Shan tuyết Đồng Văn")

    async def invoice_shown() -> bool:
        await page.goto(registration_url)
        return await page.get_by_text("Mười triệu tám trăm nghìn đồng", exact=False).count() > 0

    await eventually(invoice_shown, timeout=60, what="the invoice on the registration page")
    await shot(page, "06-invoice")
    await context.close()
