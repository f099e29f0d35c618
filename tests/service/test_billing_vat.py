"""The VAT table as configurable data: an override of the built-in dated table (BILLING_VAT_RULES) changes
the rate invoices apply and store per line; a price list chooses the VAT category of booth rent."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, select

from services.billing.app import create_app
from services.billing.domain.vat import rate_on
from services.billing.models import InvoiceLineRow
from services.billing.settings import BillingSettings
from tests.conftest import running_app
from tests.service import billing_support
from tests.service.billing_support import MARCH_2027, MAY_2026, admin, invoice_for, organizer, publish_fair

clock = billing_support.clock

EXTENDED = "Giả định: Nghị quyết gia hạn giảm thuế GTGT đến hết 2027"
# A law extending the 8% cut through 2027, and a category the built-in table lacks (a fee not subject to VAT).
OVERRIDE = [
    {"category": "service", "valid_to": "2022-01-31", "rate": "10%", "basis": "Luật Thuế GTGT"},
    {"category": "service", "valid_from": "2022-02-01", "valid_to": "2027-12-31", "rate": "8%", "basis": EXTENDED},
    {"category": "service", "valid_from": "2028-01-01", "rate": "10%", "basis": "Luật Thuế GTGT 2024"},
    {"category": "state_fee", "rate": "KCT", "basis": "Phí thu hộ ngân sách"},
]


@pytest.fixture
def app(settings_for, clock):
    return create_app(settings_for("billing", consumer_max_attempts=2), clock=clock,
                      billing=BillingSettings(overdue_check_enabled=False, vat_rules=OVERRIDE))


@pytest.fixture
def default_app(settings_for, clock):
    return create_app(settings_for("billing", consumer_max_attempts=2), clock=clock,
                      billing=BillingSettings(overdue_check_enabled=False))


async def stored_lines(app, invoice_id: str) -> list[InvoiceLineRow]:
    async with app.state.runtime.db.sessions() as session:
        return list((await session.exec(select(InvoiceLineRow).where(InvoiceLineRow.invoice_id == invoice_id)
                                        .order_by(col(InvoiceLineRow.position)))).all())


class TestVatOverride:
    async def test_an_extended_cut_applies_8_percent_in_2027_and_each_line_stores_it(self, app, clock):
        assert rate_on(MARCH_2027.date()).percent == 10  # what the built-in table says for that day
        clock.now = MARCH_2027
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app, starts_on=date(2027, 4, 1)))
            [line] = await stored_lines(app, invoice["id"])
        assert (invoice["symbol"], invoice["vat_vnd"], invoice["total_vnd"]) == ("C27TAA", 800_000, 10_800_000)
        assert [(x["vat_rate"], x["vat_vnd"]) for x in invoice["lines"]] == [("8%", 800_000)]
        assert (line.vat_rate, line.vat_percent, line.vat_vnd, line.vat_basis) == ("8%", 8, 800_000, EXTENDED)

    async def test_categories_it_does_not_name_keep_their_built_in_rows(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            put = await client.put(f"/fairs/{fair_id}/price-list", headers=organizer(app), json={
                "booth_vat_category": "standard", "extras": [
                    {"code": "fee", "name": "Phí thu hộ", "unit": "lần", "unit_price_vnd": 50_000, "per_booth": True,
                     "vat_category": "state_fee"}]})
            invoice = await invoice_for(app, client, fair_id)
            lines = await stored_lines(app, invoice["id"])
        assert put.status_code == 200, put.text
        assert [(x.kind, x.vat_rate, x.vat_percent, x.vat_basis) for x in lines] == [
            ("booth", "10%", 10, "Luật Thuế GTGT 2024"), ("extra", "KCT", None, "Phí thu hộ ngân sách")]
        assert {r["vat_rate"]: r["vat_vnd"] for r in invoice["vat_by_rate"]} == {"10%": 1_000_000, "KCT": 0}

    async def test_without_the_override_the_same_invoice_is_at_the_built_in_rate(self, default_app, clock):
        clock.now = MARCH_2027
        async with running_app(default_app) as client:
            invoice = await invoice_for(default_app, client, await publish_fair(default_app,
                                                                                starts_on=date(2027, 4, 1)))
            [line] = await stored_lines(default_app, invoice["id"])
        assert (line.vat_rate, line.vat_vnd, line.vat_basis) == ("10%", 1_000_000, "Luật Thuế GTGT 2024")


class TestBoothVatCategory:
    async def test_the_price_list_puts_booth_rent_and_its_surcharges_in_its_category(self, default_app, clock):
        clock.now = MAY_2026
        app = default_app
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            await client.put(f"/fairs/{fair_id}/price-list", headers=organizer(app), json={
                "booth_vat_category": "standard", "corner_surcharge": {"amount_vnd": 500_000},
                "extras": [{"code": "light", "name": "Điện", "unit": "gian", "unit_price_vnd": 100_000,
                            "per_booth": True}]})
            invoice = await invoice_for(app, client, fair_id, corner_count=1)
            read = (await client.get(f"/fairs/{fair_id}/price-list", headers=organizer(app))).json()
        assert read["booth_vat_category"] == "standard"
        assert [(x["kind"], x["vat_rate"]) for x in invoice["lines"]] == [
            ("booth", "10%"), ("surcharge", "10%"), ("extra", "8%")]
        # 10% of 10 500 000 and 8% of 200 000.
        assert {r["vat_rate"]: r["vat_vnd"] for r in invoice["vat_by_rate"]} == {"10%": 1_050_000, "8%": 16_000}

    async def test_a_category_the_table_lacks_is_refused_naming_the_field(self, default_app):
        app = default_app
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            booth = await client.put(f"/fairs/{fair_id}/price-list", headers=organizer(app),
                                     json={"booth_vat_category": "state_fee"})
            extra = await client.put(f"/fairs/{fair_id}/price-list", headers=organizer(app), json={"extras": [
                {"code": "fee", "name": "Phí", "unit": "lần", "unit_price_vnd": 1, "vat_category": "state_fee"}]})
            kept = (await client.get(f"/fairs/{fair_id}/price-list", headers=admin(app))).json()
        assert (booth.status_code, booth.json()["errors"][0]["field"]) == (422, "booth_vat_category")
        assert (extra.status_code, extra.json()["errors"][0]["field"]) == (422, "extras.0.vat_category")
        assert (kept["booth_vat_category"], kept["extras"]) == ("service", [])
