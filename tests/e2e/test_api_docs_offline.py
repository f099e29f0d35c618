"""Each service's `/docs` works offline: in Chromium with every request outside the service refused, Swagger UI
renders the service's operations from assets the service serves itself."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from devstack.platform import Platform
from tests.e2e.conftest import E2E

pytestmark = E2E

SERVICES = ["billing", "booths", "markets", "registration", "subscriptions"]


@pytest.mark.parametrize("service", SERVICES)
async def test_swagger_ui_shows_the_operations_with_the_network_blocked(
        platform: Platform, browser: Any, service: str) -> None:
    base = platform.url(service)
    origin = urlsplit(base).netloc
    context = await browser.new_context()
    refused: list[str] = []

    async def only_the_service(route: Any) -> None:
        if urlsplit(route.request.url).netloc == origin:
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_the_service)
    page = await context.new_page()
    await page.goto(f"{base}/docs")
    await page.locator(".opblock-summary-path").first.wait_for(timeout=15_000)
    paths = await page.locator(".opblock-summary-path").all_inner_texts()
    await context.close()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        documented = set((await client.get("/openapi.json")).json()["paths"])
    assert {p.replace("\u200b", "").strip() for p in paths} == documented
    assert refused == []  # nothing was even asked of the outside
