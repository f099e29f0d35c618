"""The organizer's main pages on a 390×844 phone in real Chromium (issue 16): no page scrolls sideways
(document.scrollWidth ≤ the viewport) and no control (button, field, link styled as a button) sticks out of the
screen or is clipped by a box that hides its overflow; one in a box meant to scroll sideways (a wide table, the plan)
must fit that box's width, so scrolling shows all of it. The review queue, a registration's review page and the
required documents do not even scroll inside a box: their tables stack (issue 16). Every page's screenshot is
saved in test-artifacts/e2e/organizer-phone/, in Vietnamese and in English."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from devstack.platform import Platform
from tests.e2e.conftest import E2E, Shots, login
from tests.e2e.test_organizer_billing_journey import ORGANIZER, ORGANIZER_LABEL, fair_and_registration
from tests.integration.helpers import eventually

pytestmark = E2E
shot = Shots("organizer-phone")

MEASURE = """() => {
  const width = window.innerWidth;
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX; if (x === 'auto' || x === 'scroll') return true; } return false; };
  // clipped: outside an ancestor that hides its overflow (a scrolling box counts by its own width)
  const clipped = (el, r) => { for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX; if (x === 'visible') continue;
      const b = p.getBoundingClientRect();
      if (x === 'auto' || x === 'scroll') return r.width > b.width + 1;
      if (r.left < b.left - 1 || r.right > b.right + 1) return true; } return false; };
  const cut = [...document.querySelectorAll('button, input:not([type=hidden]), select, textarea, a.button, summary')]
    .filter(el => el.getClientRects().length)
    .map(el => ({el, r: el.getBoundingClientRect()}))
    .filter(({el, r}) => r.width > 0 && (clipped(el, r) || (!scrolls(el) && (r.left < -1 || r.right > width + 1))))
    .map(({el, r}) => `${el.tagName.toLowerCase()}#${el.id || ''}.${el.className || ''} `
      + `"${(el.innerText || el.name || '').trim().slice(0, 30)}" ${Math.round(r.left)}–${Math.round(r.right)}`);
  // boxes that scroll sideways: wider content inside a box that lets it scroll
  const sideways = [...document.querySelectorAll('body *')]
    .filter(el => { const x = getComputedStyle(el).overflowX; return (x === 'auto' || x === 'scroll')
      && el.scrollWidth > el.clientWidth + 1; })
    .map(el => `${el.tagName.toLowerCase()}.${el.className || ''} ${el.scrollWidth}>${el.clientWidth}`);
  return {width, scrollWidth: document.documentElement.scrollWidth, cut, sideways};
}"""
# Pages with nothing meant to scroll sideways, not even inside a box (the review queue's rows stack).
NO_SIDEWAYS_BOX = {"review-queue", "review", "documents"}


async def test_organizer_pages_fit_a_phone(platform: Platform, browser: Any) -> None:
    base, tag = platform.url("portal"), uuid.uuid4().hex[:6]
    fair_id, registration_id, _ = await fair_and_registration(platform, f"phone-{tag}")
    async with httpx.AsyncClient(timeout=30) as api:
        approved = await api.post(f"{platform.url('registration')}/registrations/{registration_id}/approve",
                                  headers=ORGANIZER)
        assert approved.status_code == 200, approved.text

        async def invoice_id() -> str | None:
            res = await api.get(f"{platform.url('billing')}/invoices", headers=ORGANIZER,
                                params={"registration_id": registration_id})
            rows = res.json().get("data", []) if res.status_code == 200 else []
            return str(rows[0]["id"]) if rows else None

        await eventually(invoice_id, timeout=60, what="the invoice")
        invoice = await invoice_id()
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = await context.new_page()
    await login(page, base, ORGANIZER_LABEL)
    pages = {
        "dashboard": "/organizer", "new-fair": "/organizer/fairs/new", "review-queue": f"/organizer/fairs/{fair_id}",
        "floorplan": f"/organizer/fairs/{fair_id}/floorplan", "audit": f"/organizer/fairs/{fair_id}/audit",
        "invoices": "/organizer/billing", "invoice": f"/organizer/billing/invoices/{invoice}",
        "programmes": "/organizer/billing/programmes", "new-programme": "/organizer/billing/programmes/new",
        "payment-settings": "/organizer/billing/settings", "markets": "/organizer/markets",
        "new-market-programme": "/organizer/markets/new", "review": f"/organizer/registrations/{registration_id}",
        "documents": f"/organizer/fairs/{fair_id}/documents",
    }
    failures: dict[str, Any] = {}
    for lang in ("vi", "en"):  # English words run longer
        await context.add_cookies([{"name": "hangviet_lang", "url": base, "value": lang}])
        for name, path in pages.items():
            res = await page.goto(f"{base}{path}")
            assert res is not None and res.status == 200, (path, res.status if res else None)
            measured = await page.evaluate(MEASURE)
            await shot(page, f"{name}-{lang}")
            if (measured["scrollWidth"] > measured["width"] or measured["cut"]
                    or (name in NO_SIDEWAYS_BOX and measured["sideways"])):
                failures[f"{name}-{lang}"] = measured
    assert failures == {}, failures
    # The measure itself catches what it is for: a control wider than the phone.
    await page.evaluate("""() => { const b = document.createElement('button'); b.textContent = 'rộng';
        b.style.width = '600px'; document.querySelector('main, body').appendChild(b); }""")
    planted = await page.evaluate(MEASURE)
    assert planted["scrollWidth"] > planted["width"] and any('"rộng"' in c for c in planted["cut"]), planted
    # And a table too wide for its scrolling box is seen scrolling sideways.
    await page.evaluate("""() => { const d = document.createElement('div'); d.className = 'scroll';
        const wide = document.createElement('p'); wide.textContent = 'rộng'; wide.style.width = '900px';
        d.appendChild(wide); document.querySelector('main, body').appendChild(d); }""")
    assert any(s.startswith("div.scroll") for s in (await page.evaluate(MEASURE))["sideways"])
    await context.close()
