"""The exhibitor's plan with its own booths marked (issue 16): drawn 1:1 in a scrollable box (codes at 13 px on a
phone), own booths in their own style, a legend, a scale and the booths in words; the registration page links it."""

from __future__ import annotations

import re

import httpx
import pytest

from services.portal.app import create_app
from tests.conftest import running_app
from tests.service.test_portal import (
    FAIR,
    PORTAL,
    REGISTRATION,
    FakeServices,
    database_url,  # noqa: F401 - the portal tests run on SQLite only
    log_in,
    text_of,
)
from tests.service.test_portal_exhibitor import FLOORPLAN, booth

ASSIGNED = {**REGISTRATION, "status": "approved", "booths_requested": 2}
PLAN = {**FLOORPLAN, "booths": [booth("A01", 0), booth("A02", 3, "assigned", registration_id="r-1"),
                                 booth("A03", 6, "assigned", registration_id="r-1"), booth("A04", 9, "assigned")]}
ASSIGNMENTS = {"data": [{"registration_id": "r-1", "booth_codes": ["A02", "A03"], "released_at": None}], "count": 1}


@pytest.fixture
def portal(settings_for):
    fake = FakeServices({n: PORTAL.service_url(n) for n in ("registration", "booths", "billing", "markets")})
    fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json=FAIR))
    fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=ASSIGNED))
    fake.on("GET", "booths", "/fairs/f-1/floorplan", httpx.Response(200, json=PLAN))
    fake.on("GET", "booths", "/fairs/f-1/holds", httpx.Response(200, json={"data": [], "count": 0}))
    fake.on("GET", "booths", "/fairs/f-1/assignments", httpx.Response(200, json=ASSIGNMENTS))
    fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [], "count": 0}))
    return create_app(settings_for("portal"), portal=PORTAL, transport=httpx.MockTransport(fake.handler)), fake


async def test_the_booths_page_marks_the_exhibitors_booths_on_a_plan_drawn_one_to_one(portal):
    app, _ = portal
    async with running_app(app) as client:
        await log_in(client, "ex-dongvan")
        vi = text_of(await client.get("/me/registrations/r-1/booths"))
        client.cookies.set("hangviet_lang", "en")
        en = text_of(await client.get("/me/registrations/r-1/booths"))
    mine = re.findall(r'<g class="booth (\w+)( mine)?" data-booth="(\w+)">', vi)
    assert [(code, bool(own)) for _, own, code in mine] == [
        ("A01", False), ("A02", True), ("A03", True), ("A04", False)]
    svg = re.search(r'<svg id="my-map" width="([\d.]+)" height="([\d.]+)" viewBox="0 0 ([\d.]+) ([\d.]+)"', vi)
    assert svg is not None and float(svg.group(1)) == float(svg.group(3))  # one pixel per unit: labels keep 13 px
    assert "Gian của bạn: <strong>A02, A03</strong>" in vi
    assert 'aria-describedby="my-map-text"' in vi and '<div class="map-scroll" tabindex="0"' in vi
    assert "gian của bạn</li>" in vi and "10 m (gian tiêu chuẩn 3 m × 3 m)" in vi
    assert '<script src="/static/js/my-map.js" defer></script>' in vi
    assert '<a href="/fairs/f-1/floorplan.svg">Mở sơ đồ cỡ lớn để phóng to</a>' in vi  # the service's full plan
    assert "Your booths: <strong>A02, A03</strong>" in en and "your booths</li>" in en and "gian của bạn" not in en


async def test_the_registration_page_links_the_plan_once_booths_are_assigned(portal):
    app, _ = portal
    async with running_app(app) as client:
        await log_in(client, "ex-dongvan")
        page = text_of(await client.get("/registrations/r-1"))
    assert '<a href="/me/registrations/r-1/booths">Xem gian của bạn trên sơ đồ</a>' in page


async def test_why_these_booths_is_said_in_the_page_language_only(portal):
    app, fake = portal
    reason = "điểm ưu tiên 38; khối liền kề A02–A03 / priority 38; contiguous block A02–A03"
    fake.on("GET", "booths", "/fairs/f-1/assignments", httpx.Response(200, json={
        "data": [{**ASSIGNMENTS["data"][0], "reason": reason}], "count": 1}))
    async with running_app(app) as client:
        await log_in(client, "ex-dongvan")
        vi = text_of(await client.get("/me/registrations/r-1/booths"))
        client.cookies.set("hangviet_lang", "en")
        en = text_of(await client.get("/me/registrations/r-1/booths"))
    assert '<p class="note">điểm ưu tiên 38; khối liền kề A02–A03</p>' in vi and "contiguous" not in vi
    assert '<p class="note">priority 38; contiguous block A02–A03</p>' in en and "liền kề" not in en
