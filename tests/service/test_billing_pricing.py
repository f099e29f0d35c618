"""A fair's price list over HTTP and on invoices: surcharges, prices per kind, extras, invoice settings."""

from __future__ import annotations

from shared.contracts.registration import FairUpdated
from tests.conftest import running_app, token, unique
from tests.service import billing_support
from tests.service.billing_support import (
    admin,
    approved_registration,
    assigned,
    emitted,
    exhibitor,
    fair_info,
    feed,
    invoice_for,
    organizer,
    publish_fair,
)

# The shared fixtures, by assignment (an import would be flagged as shadowed by the test arguments).
app, clock = billing_support.app, billing_support.clock

PRICE_LIST = {
    "price_by_kind": {"household": 3_000_000},
    "corner_surcharge": {"amount_vnd": 500_000},
    "premium_surcharge": {"percent": 20},
    "premium_booth_codes": ["A01"],
    "extras": [
        {"code": "light", "name": "Điện chiếu sáng", "unit": "gian", "unit_price_vnd": 200_000, "per_booth": True},
        {"code": "table", "name": "Bàn phụ", "unit": "cái", "unit_price_vnd": 150_000},
        {"code": "cleaning", "name": "Phí vệ sinh thu hộ", "unit": "lần", "unit_price_vnd": 100_000,
         "vat_category": "not_subject"},
    ],
}


class TestPriceList:
    async def test_the_organizer_sets_it_and_exhibitors_read_it(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            put = await client.put(f"/fairs/{fair_id}/price-list", json=PRICE_LIST, headers=organizer(app))
            read = await client.get(f"/fairs/{fair_id}/price-list", headers=exhibitor(app, "ex-1"))
        assert put.status_code == 200, put.text
        body = read.json()
        assert (body["booth_price_vnd"], body["price_by_kind"], body["corner_surcharge"]) == (
            5_000_000, {"household": 3_000_000}, {"amount_vnd": 500_000, "percent": 0})
        assert [e["code"] for e in body["extras"]] == ["light", "table", "cleaning"]

    async def test_the_standard_price_follows_the_fair_and_the_organizers_part_is_kept(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            await client.put(f"/fairs/{fair_id}/price-list", json=PRICE_LIST, headers=organizer(app))
            await feed(app, FairUpdated(**fair_info(fair_id, price=4_000_000)))
            body = (await client.get(f"/fairs/{fair_id}/price-list", headers=organizer(app))).json()
        assert (body["booth_price_vnd"], body["corner_surcharge"]["amount_vnd"]) == (4_000_000, 500_000)

    async def test_another_centre_neither_reads_nor_sets_it(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            other = organizer(app, "hg")
            put = await client.put(f"/fairs/{fair_id}/price-list", json=PRICE_LIST, headers=other)
            read = await client.get(f"/fairs/{fair_id}/price-list", headers=other)
            as_exhibitor = await client.put(f"/fairs/{fair_id}/price-list", json=PRICE_LIST,
                                            headers=exhibitor(app, "ex-1"))
            regional = await client.get(f"/fairs/{fair_id}/price-list",
                                        headers=token(app.state.settings, "regional", region="north"))
        assert (put.status_code, read.status_code, as_exhibitor.status_code, regional.status_code) == (
            404, 404, 403, 403)

    async def test_bad_prices_are_problems_naming_the_field(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            cases = [({"price_by_kind": {"household": -1}}, "price_by_kind"),
                     ({"price_by_kind": {"ngo": 1}}, "price_by_kind.ngo"),
                     ({"corner_surcharge": {"percent": 150}}, "corner_surcharge.percent"),
                     ({"extras": [PRICE_LIST["extras"][1], PRICE_LIST["extras"][1]]}, "extras"),
                     ({"extras": [{**PRICE_LIST["extras"][1], "vat_category": "luxury"}]}, "extras.0.vat_category"),
                     ({"unknown": 1}, "unknown")]
            results = [await client.put(f"/fairs/{fair_id}/price-list", json=body, headers=organizer(app))
                       for body, _ in cases]
            unknown_fair = await client.put(f"/fairs/{unique('f-')}/price-list", json={}, headers=organizer(app))
        for (_, field), res in zip(cases, results, strict=True):
            assert res.status_code == 422, (field, res.text)
            assert res.headers["content-type"] == "application/problem+json"
            assert any(e["field"].startswith(field) for e in res.json()["errors"]), res.json()
        assert unknown_fair.status_code == 404


class TestPricedInvoice:
    async def test_surcharges_per_booth_extras_and_the_households_price(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            await client.put(f"/fairs/{fair_id}/price-list", json=PRICE_LIST, headers=organizer(app))
            invoice = await invoice_for(app, client, fair_id, codes=["A01", "A02"], corner_count=1, kind="household")
        lines = [(x["kind"], x["description"], x["unit"], x["quantity"], x["unit_price_vnd"], x["vat_rate"])
                 for x in invoice["lines"]]
        assert lines[1:] == [
            ("surcharge", "Phụ thu gian góc (mở hai mặt)", "gian", 1, 500_000, "8%"),
            ("surcharge", "Phụ thu vị trí ưu tiên (A01)", "gian", 1, 600_000, "8%"),  # 20% of 3 000 000
            ("extra", "Điện chiếu sáng", "gian", 2, 200_000, "8%")]
        assert lines[0][0::3] == ("booth", 2) and lines[0][4] == 3_000_000
        # 6 000 000 + 500 000 + 600 000 + 400 000 = 7 500 000 net; 8% = 600 000.
        assert (invoice["net_vnd"], invoice["vat_vnd"], invoice["total_vnd"]) == (7_500_000, 600_000, 8_100_000)
        assert invoice["amount_in_words"] == "Tám triệu một trăm nghìn đồng"

    async def test_extras_ordered_before_the_assignment_join_the_booth_invoice(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            await client.put(f"/fairs/{fair_id}/price-list", json=PRICE_LIST, headers=organizer(app))
            registration_id, exhibitor_id = await approved_registration(app, fair_id)
            order = await client.post(f"/registrations/{registration_id}/extras", headers=exhibitor(app, exhibitor_id),
                                      json={"items": [{"code": "table", "quantity": 2},
                                                      {"code": "cleaning", "quantity": 1}]})
            await feed(app, assigned(fair_id, registration_id, exhibitor_id))
            [issued] = await emitted(app, "invoice.issued")
            detail = (await client.get(f"/invoices/{issued.invoice_id}", headers=admin(app))).json()
        assert order.status_code == 200, order.text
        assert order.json()["invoice_id"] is None
        assert [(x["description"], x["vat_rate"]) for x in detail["lines"][-2:]] == [
            ("Bàn phụ", "8%"), ("Phí vệ sinh thu hộ", "KCT")]
        # 8% of 11 700 000 (2 booths, premium A01, lighting for 2 booths, 2 tables); cleaning is not subject.
        assert {r["vat_rate"]: r["vat_vnd"] for r in detail["vat_by_rate"]} == {"8%": 936_000, "KCT": 0}

    async def test_extras_ordered_after_the_booth_invoice_get_an_invoice_of_their_own(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            await client.put(f"/fairs/{fair_id}/price-list", json=PRICE_LIST, headers=organizer(app))
            booths = await invoice_for(app, client, fair_id)
            res = await client.post(f"/registrations/{booths['registration_id']}/extras", headers=organizer(app),
                                    json={"items": [{"code": "table", "quantity": 1}]})
            extras = (await client.get(f"/invoices/{res.json()['invoice_id']}", headers=admin(app))).json()
        assert (extras["purpose"], extras["number"], extras["total_vnd"]) == ("extras", "00000002", 162_000)
        assert [x["kind"] for x in extras["lines"]] == ["extra"]

    async def test_an_unknown_extra_or_someone_elses_registration_is_refused(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            await client.put(f"/fairs/{fair_id}/price-list", json=PRICE_LIST, headers=organizer(app))
            registration_id, exhibitor_id = await approved_registration(app, fair_id)
            url = f"/registrations/{registration_id}/extras"
            unknown = await client.post(url, headers=exhibitor(app, exhibitor_id),
                                        json={"items": [{"code": "sauna", "quantity": 1}]})
            stranger = await client.post(url, headers=exhibitor(app, "ex-other"),
                                         json={"items": [{"code": "table", "quantity": 1}]})
            zero = await client.post(url, headers=exhibitor(app, exhibitor_id),
                                     json={"items": [{"code": "table", "quantity": 0}]})
        assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "items.0.code")
        assert stranger.status_code == 404
        assert zero.status_code == 422


class TestInvoiceSettings:
    async def test_the_centres_symbol_and_due_days_apply_and_numbering_is_per_centre(self, app):
        async with running_app(app) as client:
            put = await client.put("/invoice-settings", headers=organizer(app), json={
                "with_tax_authority_code": False, "series": "HV", "due_in_days": 30})
            fair_id = await publish_fair(app)
            other_fair = await publish_fair(app, centre_id="hg")
            mine = await invoice_for(app, client, fair_id)
            theirs = await invoice_for(app, client, other_fair)
        assert put.status_code == 200, put.text
        assert put.json()["symbol_this_year"] == "1K26THV"
        assert (mine["symbol"], mine["number"], mine["due_on"]) == ("K26THV", "00000001", "2026-06-09")
        assert (theirs["symbol"], theirs["number"]) == ("C26TAA", "00000001")

    async def test_only_the_centres_organizer_sets_them_and_bad_values_name_the_field(self, app):
        async with running_app(app) as client:
            bad = await client.put("/invoice-settings", headers=organizer(app), json={"series": "a1"})
            bad_type = await client.put("/invoice-settings", headers=organizer(app), json={"type_letter": "Z"})
            as_exhibitor = await client.get("/invoice-settings", headers=exhibitor(app, "ex-1"))
            no_centre = await client.get("/invoice-settings", headers=admin(app))
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "series")
        assert (bad_type.status_code, bad_type.json()["errors"][0]["field"]) == (422, "type_letter")
        assert (as_exhibitor.status_code, no_centre.status_code) == (403, 403)
