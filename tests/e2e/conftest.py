"""One running platform and one Chromium for all the browser journeys (starting the stack costs ~30 s).

Both are package-scoped: they stop once the last journey has run, not at the end of the session (an idle stack
of seven services and a Chromium otherwise go on costing CPU while the worker runs every other test after them).

Each journey creates its own fair / programme / subscription with a unique name, so the journeys do not
depend on each other's order. Screenshots go to test-artifacts/e2e/<journey>/NN-step.png.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from devstack.platform import Platform, start_platform
from shared.auth import issue_token
from shared.settings import load_settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
SECRET = load_settings("tests").jwt_secret
# Every e2e module marks itself with this (and runs on the session's event loop).
E2E = [
    pytest.mark.integration, pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session"),
]


def bearer(**claims: Any) -> dict[str, str]:
    """An Authorization header for direct API calls that set up a journey."""
    return {"Authorization": f"Bearer {issue_token(SECRET, **claims)}"}


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    # Loopback webhooks: the regional journey's receiver listens on 127.0.0.1 (the SSRF guard refuses it otherwise).
    running = await start_platform(tmp_path_factory.mktemp("e2e"),
                                   extra_env={"HANGVIET_ENV": "test", "WEBHOOK_ALLOW_LOOPBACK": "true",
                                              "PORTAL_WATCH_INTERVAL_S": "2"})
    yield running
    running.stop()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    # `make test` installs Debian's Chromium where it can (Makefile: browser); a missing browser fails, never skips.
    assert CHROMIUM is not None, "Chromium is not installed: apt-get install -y chromium (make browser)"
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        await chromium.close()


async def login(page: Any, base: str, user_label: str) -> None:
    """Log in through the development picker as the seeded user with this label."""
    await page.goto(f"{base}/login")
    await page.get_by_role("button", name=user_label).click()
    await page.wait_for_load_state()


class Shots:
    """Numbered screenshots of one journey: `await shots(page, "registration-form")`."""

    def __init__(self, journey: str) -> None:
        self.folder = ARTIFACTS / journey
        self.count = 0

    async def __call__(self, page: Any, step: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        await page.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True)
