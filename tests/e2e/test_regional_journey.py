"""The regional centre in real Chromium: subscribe a real local receiver by webhook, see the SSRF guard's
refusal next to the URL, then a fair published in the north reaches the receiver (signed), the delivery log
and the live feed. Screenshots in test-artifacts/e2e/regional/."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from devstack.platform import Platform
from shared.auth import Role
from tests.e2e.conftest import E2E, Shots, bearer, login
from tests.integration.helpers import WebhookReceiver, eventually
from tests.service.fixtures import fair_body

pytestmark = E2E
shot = Shots("regional")
REGIONAL = "Trung tâm vùng – TT KC&TVPTCN 1"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    running = WebhookReceiver().start()
    yield running
    running.stop()


async def publish_fair(platform: Platform, name: str) -> str:
    """A fair of centre tq in Tuyên Quang (08, in the north), published by API."""
    organizer = bearer(role=Role.ORGANIZER, centre_id="tq")
    async with httpx.AsyncClient(base_url=platform.url("registration"), timeout=30) as client:
        fair = await client.post("/fairs", json=fair_body(name=name, province_code="08"), headers=organizer)
        assert fair.status_code == 201, fair.text
        published = await client.post(f"/fairs/{fair.json()['id']}/publish", headers=organizer)
        assert published.status_code == 200, published.text
    return str(fair.json()["id"])


async def test_regional_centre_subscribes_and_sees_a_delivery_and_the_live_feed(
        platform: Platform, browser: Any, receiver: WebhookReceiver) -> None:
    base = platform.url("portal")
    tag = uuid.uuid4().hex[:6]
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = await context.new_page()
    await login(page, base, REGIONAL)
    await page.goto(f"{base}/regional")
    await shot(page, "subscriptions")

    # The SSRF guard's refusal (cloud metadata address) stands next to the URL field.
    await page.get_by_role("link", name="Tạo đăng ký mới").click()
    await page.get_by_label("Tên gợi nhớ").fill(f"Hội chợ miền Bắc {tag}")
    await page.get_by_label("Địa chỉ nhận webhook").fill("http://169.254.169.254/latest/meta-data")
    await page.get_by_label("Loại sự kiện").fill("fair.*")
    await page.get_by_label("Miền Bắc", exact=False).check()
    await page.get_by_role("button", name="Tạo đăng ký").click()
    url_error = page.locator("#url-error")
    await url_error.wait_for()
    assert await url_error.inner_text()
    assert await page.get_by_label("Địa chỉ nhận webhook").get_attribute("aria-invalid") == "true"
    await shot(page, "url-refused")

    # The real receiver on 127.0.0.1 (loopback allowed on the test platform).
    await page.get_by_label("Địa chỉ nhận webhook").fill(receiver.url)
    await page.get_by_role("button", name="Tạo đăng ký").click()
    secret = await page.get_by_label("Khóa ký (Standard Webhooks)").input_value()
    assert secret.startswith("whsec_")
    await shot(page, "secret-shown-once")
    await page.get_by_role("link", name="Xem đăng ký và nhật ký gửi").click()
    subscription_url = page.url

    live = await context.new_page()
    await live.goto(f"{base}/regional/live")
    await live.get_by_text("Đã kết nối", exact=False).wait_for(timeout=15_000)

    name = f"Hội chợ Nông sản miền Bắc {tag}"
    await publish_fair(platform, name)

    await live.locator("#live-events li", has_text=name).wait_for(timeout=60_000)
    # The event in words, not its code (fair.published).
    assert await live.locator("#live-events li", has_text="Hội chợ mở nhận đăng ký").count() >= 1
    assert await live.locator("#live-events li", has_text="fair.published").count() == 0
    # Readable labels and the province's name, not `province_code: 08`.
    assert await live.locator("#live-events li", has_text="Tỉnh, thành phố: Tuyên Quang").count() >= 1
    assert await live.locator("#live-events li", has_text="province_code").count() == 0
    await shot(live, "live-feed")

    def delivered() -> list[dict[str, Any]]:
        return [r for r in receiver.delivered() if name.encode() in r["body"]]

    async def received() -> list[dict[str, Any]]:
        return delivered()

    request = (await eventually(received, timeout=60, what="the webhook at the receiver"))[0]
    event = Webhook(secret).verify(request["body"], request["headers"])
    assert event["type"] == "vn.hangviet.fair.published.v1" and event["data"]["name"] == name

    async def logged() -> bool:
        await page.goto(subscription_url)
        return await page.locator("li.delivery.state-delivered", has_text="Hội chợ mở nhận đăng ký").count() > 0

    await eventually(logged, timeout=30, interval=1, what="the delivery in the log")
    first = page.locator("li.delivery.state-delivered").first
    assert await first.locator("td.code").first.inner_text() == "200"
    await shot(page, "delivery-log")
    await context.close()
