"""The registration's current booths on the invoice pages (issue 16): an issued invoice is never edited, so after a
move the exhibitor's printable page and the organizer's invoice page show the booths now apart from the lines and
say, in the reader's language, that they were moved after the invoice was issued."""

from __future__ import annotations

import httpx
import pytest

from services.portal.app import create_app
from services.portal.domain.invoice_booths import booths_now, invoiced_booths
from tests.conftest import running_app
from tests.service.test_portal import (
    INVOICE_DETAIL,
    PORTAL,
    FakeServices,
    database_url,  # noqa: F401 - the portal tests run on SQLite only
    log_in,
    problem,
    text_of,
)

ISSUED = {**INVOICE_DETAIL, "outstanding_vnd": 0, "paid_vnd": 10_800_000, "lines": [
    {"position": 1, "description": "Thuê gian hàng tiêu chuẩn 3m×3m – Hội chợ Xuân (A01, A02)", "unit": "gian",
     "quantity": 2, "unit_price_vnd": 5_000_000, "net_vnd": 10_000_000, "kind": "booth", "vat_rate": "8%",
     "vat_vnd": 800_000},
    {"position": 2, "description": "Phụ phí gian góc (A01)", "unit": "gian", "quantity": 1, "unit_price_vnd": 0,
     "net_vnd": 0, "kind": "surcharge", "vat_rate": "8%", "vat_vnd": 0}]}
MOVED = "Gian hàng đã được đổi sau khi lập hóa đơn."
MOVED_EN = "The booths were moved after the invoice was issued."


def assignments(*rows: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, json={"data": list(rows), "count": len(rows)})


@pytest.fixture
def portal(settings_for):
    fake = FakeServices({n: PORTAL.service_url(n) for n in ("registration", "booths", "billing", "markets")})
    fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json=ISSUED))
    fake.on("GET", "billing", "/exhibitors/ex-dongvan/credits", httpx.Response(200, json={"balance_vnd": 0}))
    fake.on("GET", "booths", "/fairs/f-1/assignments", assignments(
        {"registration_id": "r-0", "booth_codes": ["B01"], "released_at": None},
        {"registration_id": "r-1", "booth_codes": ["A01", "A02"], "released_at": "2026-11-06T00:00:00+00:00"},
        {"registration_id": "r-1", "booth_codes": ["C05", "C06"], "released_at": None}))
    return create_app(settings_for("portal"), portal=PORTAL, transport=httpx.MockTransport(fake.handler)), fake


class TestInvoicedBooths:
    def test_reads_the_codes_of_the_booth_lines_only(self) -> None:
        assert invoiced_booths(ISSUED) == ("A01", "A02")
        assert invoiced_booths({"lines": [{"kind": "extra", "description": "Điện (3 kW)"}]}) == ()

    def test_moved_when_the_sets_differ_and_the_invoice_names_booths(self) -> None:
        assert booths_now(ISSUED, ["C05", "C06"]).moved
        assert not booths_now(ISSUED, ["A02", "A01"]).moved
        assert booths_now(ISSUED, []).moved
        assert not booths_now({"lines": []}, ["C05"]).moved


class TestInvoicePages:
    async def test_the_exhibitor_sees_the_booths_now_and_that_they_were_moved(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            vi = text_of(await client.get("/invoices/inv-1"))
            client.cookies.set("hangviet_lang", "en")
            en = text_of(await client.get("/invoices/inv-1"))
        assert "Gian hàng hiện tại" in vi and '<p class="codes">C05, C06</p>' in vi
        assert MOVED in vi and "Hóa đơn ghi A01, A02;" in vi and MOVED_EN not in vi
        assert "(A01, A02)" in vi  # the invoice's own line is left as issued
        assert "Current booths" in en and MOVED_EN in en and MOVED not in en
        assert fake.calls_to("GET", "/fairs/f-1/assignments")[0].headers["authorization"].startswith("Bearer ")

    async def test_the_organizer_invoice_page_says_the_same(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/billing/invoices/inv-1"))
        assert '<p class="codes">C05, C06</p>' in page and MOVED in page

    async def test_no_note_when_the_booths_are_those_invoiced(self, portal):
        app, fake = portal
        fake.on("GET", "booths", "/fairs/f-1/assignments", assignments(
            {"registration_id": "r-1", "booth_codes": ["A02", "A01"], "released_at": None}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = text_of(await client.get("/invoices/inv-1"))
        assert '<p class="codes">A02, A01</p>' in page and MOVED not in page

    async def test_the_page_stands_without_the_part_when_booths_cannot_be_asked(self, portal):
        app, fake = portal
        fake.on("GET", "booths", "/fairs/f-1/assignments", problem(503, "Lỗi / Error"))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/invoices/inv-1")
        assert res.status_code == 200
        assert "Gian hàng hiện tại" not in text_of(res) and MOVED not in text_of(res)
