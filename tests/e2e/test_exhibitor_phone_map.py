"""Issue 16 for an exhibitor on a 390×844 phone, in real Chromium against the running platform: the registration
form ticks a product from the profile (its CNNT recognition shown) and the registration earns the recognition's
points; once booths are assigned the plan marks them (own style, legend, words) with codes of at least 12 px as
rendered and the title and scale inside the screen; after the organizer moves the booths the invoice page shows the
booths now and says they were moved, in Vietnamese and in English. Screenshots in test-artifacts/e2e/phone-map/."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx

from devstack.platform import Platform
from shared.auth import Role, issue_token
from tests.e2e.conftest import E2E, SECRET, Shots, bearer
from tests.e2e.test_organizer_billing_journey import unique_tax_code
from tests.integration.helpers import eventually
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = E2E
shot = Shots("phone-map")
ORGANIZER = bearer(role=Role.ORGANIZER, centre_id="tq")
PRODUCT = "Miến dong Na Hang"
PHONE = {"width": 390, "height": 844}


async def setup_fair_and_profile(platform: Platform, tag: str, exhibitor_id: str) -> tuple[str, str]:
    """A published fair in rows of 12 booths (wider than a phone) and a profile with a recognised product."""
    fair_name = f"Hội chợ Đặc sản Na Hang (e2e {tag})"
    async with httpx.AsyncClient(base_url=platform.url("registration"), timeout=30) as client:
        created = await client.post("/fairs", headers=ORGANIZER, json=fair_body(
            name=fair_name, capacity_booths=36, booths_per_row=12))
        assert created.status_code == 201, created.text
        fair_id = str(created.json()["id"])
        assert (await client.post(f"/fairs/{fair_id}/publish", headers=ORGANIZER)).status_code == 200
        products = [{"name": PRODUCT, "group": "agro_food", "recognition": {
            "level": "provincial", "certificate_no": "QĐ-2025/15", "year": 2025}},
            {"name": "Măng khô", "group": "agro_food"}]
        profile = await client.post("/exhibitors", headers=bearer(role=Role.EXHIBITOR, exhibitor_id=exhibitor_id),
                                    json=exhibitor_body(legal_name=f"HTX Miến dong {tag}", tax_code=unique_tax_code(),
                                                        products=products))
        assert profile.status_code == 201, profile.text
    return fair_id, fair_name


async def test_phone_exhibitor_picks_a_recognised_product_sees_its_booths_and_the_move_on_the_invoice(
        platform: Platform, browser: Any) -> None:
    base, tag = platform.url("portal"), uuid.uuid4().hex[:6]
    exhibitor_id = f"ex-map-{tag}"
    fair_id, fair_name = await setup_fair_and_profile(platform, tag, exhibitor_id)
    context = await browser.new_context(viewport=PHONE, locale="vi-VN")
    await context.add_cookies([{"name": "hangviet_token", "url": base, "value": issue_token(
        SECRET, role=Role.EXHIBITOR, exhibitor_id=exhibitor_id)}])
    page = await context.new_page()

    # 1. The form offers the profile's products with their recognition; the ticked one is sent by its profile name.
    await page.goto(f"{base}/fairs/{fair_id}")
    assert await page.get_by_text("CNNT tiêu biểu cấp tỉnh 2025").count() == 1
    await page.get_by_label("Số gian đăng ký").fill("2")
    await page.get_by_label(PRODUCT).check()
    await page.get_by_label(PRODUCT).scroll_into_view_if_needed()
    await shot(page, "register-pick-products")
    await page.get_by_role("button", name="Gửi đăng ký").click()
    await page.wait_for_url("**/registrations/*")
    registration_id = page.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    async with httpx.AsyncClient(timeout=30) as api:
        sent = (await api.get(f"{platform.url('registration')}/registrations/{registration_id}",
                              headers=ORGANIZER)).json()
        assert sent["products"] == [PRODUCT]
        assert "cnnt_provincial" in [r["code"] for r in sent["priority_reasons"]], sent["priority_reasons"]
        approved = await api.post(f"{platform.url('registration')}/registrations/{registration_id}/approve",
                                  headers=ORGANIZER)
        assert approved.status_code == 200, approved.text

        async def assigned() -> list[str]:
            res = await api.get(f"{platform.url('booths')}/fairs/{fair_id}/assignments", headers=ORGANIZER)
            rows = res.json().get("data", []) if res.status_code == 200 else []
            return next((r["booth_codes"] for r in rows if r["registration_id"] == registration_id), [])

        await eventually(assigned, timeout=60, what="the booths assigned")
        booths = await assigned()

    # 2. The plan on the phone: own booths marked, labels legible, title and scale inside the screen.
    await page.goto(f"{base}/registrations/{registration_id}")
    await page.get_by_role("link", name="Xem gian của bạn trên sơ đồ").click()
    await page.wait_for_url(f"**/me/registrations/{registration_id}/booths")
    await page.locator("#my-map").wait_for()
    measured = await page.evaluate("""() => {
      const svg = document.querySelector('#my-map');
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      const labels = [...svg.querySelectorAll('text')].map(t => ({
        code: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
        height: t.getBoundingClientRect().height, mine: t.parentElement.classList.contains('mine')}));
      const box = el => { const r = document.querySelector(el).getBoundingClientRect();
                          return {left: r.left, right: r.right, width: r.width}; };
      const ownFill = getComputedStyle(svg.querySelector('.booth.mine rect')).fill;
      const otherFill = getComputedStyle(svg.querySelector('.booth:not(.mine) rect')).fill;
      return {scale, labels, title: box('#my-map-title'), scaleBar: box('.legend .scale'),
              legendMine: box('.legend .key.mine'), page: document.documentElement.scrollWidth,
              viewport: window.innerWidth, ownFill, otherFill,
              text: document.querySelector('#my-map-text').innerText};
    }""")
    assert measured["page"] <= measured["viewport"] == 390, measured  # the box scrolls, the page does not
    assert measured["scale"] >= 1, measured
    small = [(lbl["code"], lbl["px"]) for lbl in measured["labels"] if lbl["px"] < 12 or lbl["height"] < 12]
    assert measured["labels"] and small == [], small
    assert sorted(lbl["code"] for lbl in measured["labels"] if lbl["mine"]) == sorted(booths)
    assert measured["ownFill"] != measured["otherFill"]
    for part in ("title", "scaleBar", "legendMine"):
        assert 0 <= measured[part]["left"] and measured[part]["right"] <= 390, (part, measured[part])
    assert all(code in measured["text"] for code in booths), measured["text"]
    await shot(page, "plan-own-booths")
    await page.screenshot(path=str(shot.folder / "plan-own-booths-viewport.png"))  # what the phone shows first

    # 3. The invoice is issued; the organizer then moves the booths: the invoice page shows the move.
    async with httpx.AsyncClient(timeout=30) as api:
        async def invoice_id() -> str | None:
            res = await api.get(f"{platform.url('billing')}/invoices", headers=ORGANIZER,
                                params={"registration_id": registration_id})
            rows = res.json().get("data", []) if res.status_code == 200 else []
            return str(rows[0]["id"]) if rows else None

        await eventually(invoice_id, timeout=60, what="the invoice")
        invoice = await invoice_id()
        plan = (await api.get(f"{platform.url('booths')}/fairs/{fair_id}/floorplan", headers=ORGANIZER)).json()
        free = [b for b in plan["booths"] if b["status"] == "free"]
        target = next([a["code"], b["code"]] for a, b in itertools.pairwise(free)
                      if a["row"] == b["row"] and b["col"] == a["col"] + 1 and a["hall"] == b["hall"])
        moved = await api.post(f"{platform.url('booths')}/fairs/{fair_id}/assignments/{registration_id}/move",
                               headers=ORGANIZER, json={"booth_codes": target})
        assert moved.status_code == 200, moved.text
    await page.goto(f"{base}/invoices/{invoice}")
    note = page.locator(".booths-now .moved-note")
    assert "Gian hàng đã được đổi sau khi lập hóa đơn." in await note.inner_text()
    assert await page.locator(".booths-now .codes").inner_text() == ", ".join(target)
    await page.locator(".booths-now").scroll_into_view_if_needed()
    await shot(page, "invoice-booths-moved")
    await context.add_cookies([{"name": "hangviet_lang", "url": base, "value": "en"}])
    await page.reload()
    assert "The booths were moved after the invoice was issued." in await note.inner_text()
    await shot(page, "invoice-booths-moved-en")
    assert fair_name
    await context.close()
