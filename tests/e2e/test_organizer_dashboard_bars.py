"""The organizer dashboard's occupancy and budget bars, measured in real Chromium: each bar's filled part is as
wide as its value says (a header rule once gave every `.bar` padding, and the bars drew empty). A fair half
approved (4 of 8 booths) and a programme partly committed (half the rent of 2 booths, of 10.000.000 ₫) make
sure there is something to measure. Screenshots in test-artifacts/e2e/organizer-dashboard/."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import httpx

from devstack.platform import Platform
from shared.auth import Role
from tests.e2e.conftest import E2E, Shots, bearer, login
from tests.e2e.test_organizer_billing_journey import ORGANIZER, ORGANIZER_LABEL, unique_tax_code
from tests.integration.helpers import eventually
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = E2E
shot = Shots("organizer-dashboard")
LABEL = re.compile(r":\s*(\d+)\s*/\s*(\d+)$")  # the bar's aria-label ends "…: value / total"


async def half_approved_fair_and_half_committed_programme(platform: Platform, tag: str) -> str:
    """A fair of 8 booths with one exhibitor approved for 4, under a programme that pays half of 2 booths."""
    exhibitor = bearer(role=Role.EXHIBITOR, exhibitor_id=f"ex-bars-{tag}")
    async with httpx.AsyncClient(timeout=30) as client:
        registration = platform.url("registration")
        fair = await client.post(f"{registration}/fairs", headers=ORGANIZER, json=fair_body(
            name=f"Hội chợ Đông Tuyên Quang {tag}", capacity_booths=8, max_booths_per_exhibitor=4))
        assert fair.status_code == 201, fair.text
        fair_id = str(fair.json()["id"])
        assert (await client.post(f"{registration}/fairs/{fair_id}/publish", headers=ORGANIZER)).status_code == 200
        year = date.today().year

        async def programme_created() -> httpx.Response | None:  # billing learns of the fair from its event
            res = await client.post(f"{platform.url('billing')}/subsidy-programmes", headers=ORGANIZER, json={
                "name": f"Hỗ trợ KCĐP {tag}", "level": "local", "funder": "Sở Công Thương Tuyên Quang",
                "funding_province_code": "08", "budget_vnd": 10_000_000, "valid_from": f"{year}-01-01",
                "valid_to": f"{year + 1}-12-31", "support_percent": 50, "max_booths_per_exhibitor": 2,
                "base": "net", "fair_ids": [fair_id]})
            return res if res.status_code == 201 else None
        programme = await eventually(programme_created, interval=1, what="billing to know the new fair")
        profile = await client.post(f"{registration}/exhibitors", headers=exhibitor, json=exhibitor_body(
            legal_name=f"HTX Cam sành Hàm Yên {tag}", tax_code=unique_tax_code()))
        assert profile.status_code == 201, profile.text
        submitted = await client.post(f"{registration}/fairs/{fair_id}/registrations", headers=exhibitor,
                                      json={"booths_requested": 4})
        assert submitted.status_code == 201, submitted.text
        approved = await client.post(f"{registration}/registrations/{submitted.json()['id']}/approve",
                                     headers=ORGANIZER)
        assert approved.status_code == 200, approved.text
    return str(programme.json()["id"])


async def measured_bars(page: Any) -> list[tuple[str, float, float]]:
    """(label, the value's share, the drawn share) of every bar on the page."""
    rows = []
    for bar in await page.locator("svg.bar").all():
        label = str(await bar.get_attribute("aria-label"))
        found = LABEL.search(label)
        assert found, label
        value, total = int(found.group(1)), int(found.group(2))
        outer = await bar.bounding_box()
        filled = await bar.locator("rect").nth(1).bounding_box()
        assert outer and outer["height"] >= 4, f"{label}: the bar has no height ({outer})"
        assert filled and filled["height"] >= 4, f"{label}: the filled part has no height ({filled})"
        expected = min(value / total, 1.0) if total else 0.0
        rows.append((label, expected, filled["width"] / outer["width"]))
    return rows


async def test_the_dashboards_bars_are_as_wide_as_their_values(platform: Platform, browser: Any) -> None:
    base = platform.url("portal")
    tag = uuid.uuid4().hex[:6]
    programme_id = await half_approved_fair_and_half_committed_programme(platform, tag)
    async with httpx.AsyncClient(timeout=30) as client:
        async def committed() -> int:
            res = await client.get(f"{platform.url('billing')}/subsidy-programmes/{programme_id}", headers=ORGANIZER)
            return int(res.json().get("committed_vnd") or 0) if res.status_code == 200 else 0
        amount = await eventually(committed, what="the programme's commitment for the approved booths")

    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = await context.new_page()
    await login(page, base, ORGANIZER_LABEL)
    await page.goto(f"{base}/organizer")
    await shot(page, "dashboard-bars")

    bars = await measured_bars(page)
    labels = [label for label, _, _ in bars]
    assert "Gian đã duyệt: 4 / 8" in labels, labels
    assert f"Kinh phí đã cam kết so với dự toán: {amount} / 10000000" in labels, labels
    for label, expected, drawn in bars:
        assert abs(drawn - expected) < 0.03, f"{label}: drawn {drawn:.2f} of the bar, the value is {expected:.2f}"
    await context.close()
