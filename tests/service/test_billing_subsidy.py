"""Subsidy programmes over HTTP and as second payer: CRUD, overlaps, the split on booths.assigned, exhaustion,
releases, and the settlement report (JSON and .xlsx). Budgets under concurrency: test_billing_budget.py."""

from __future__ import annotations

import asyncio
import io

from openpyxl import load_workbook
from sqlmodel import select

from services.billing.models import SubsidyCommitment
from shared.contracts.registration import RegistrationCancelled
from tests.conftest import running_app, unique
from tests.service import billing_support
from tests.service.billing_support import (
    LOCAL,
    admin,
    approved_registration,
    assigned,
    create,
    emitted,
    exhibitor,
    feed,
    invoice_for,
    organizer,
    pdf_text,
    programme,
    publish_fair,
)

# The shared fixtures, by assignment (an import would be flagged as shadowed by the test arguments).
app, clock = billing_support.app, billing_support.clock


class TestProgrammeCrud:
    async def test_an_organizer_creates_reads_changes_and_deletes_a_programme(self, app):
        async with running_app(app) as client:
            created = await create(app, client)
            listed = (await client.get("/subsidy-programmes", headers=organizer(app))).json()
            patched = await client.patch(f"/subsidy-programmes/{created['id']}", headers=organizer(app),
                                         json={"budget_vnd": 150_000_000, "cap_per_booth_vnd": None})
            deleted = await client.delete(f"/subsidy-programmes/{created['id']}", headers=organizer(app))
            gone = await client.get(f"/subsidy-programmes/{created['id']}", headers=organizer(app))
        assert (created["funding_province_code"], created["remaining_vnd"], created["centre_id"]) == ("08", 100_000_000,
                                                                                                       "tq")
        assert [p["id"] for p in listed["data"]] == [created["id"]]
        assert (patched.json()["budget_vnd"], patched.json()["cap_per_booth_vnd"]) == (150_000_000, None)
        assert (deleted.status_code, gone.status_code) == (204, 404)

    async def test_another_centre_and_exhibitors_cannot_see_or_touch_it(self, app):
        async with running_app(app) as client:
            created = await create(app, client)
            url = f"/subsidy-programmes/{created['id']}"
            foreign = [await client.get(url, headers=organizer(app, "hg")),
                       await client.patch(url, json={"budget_vnd": 1}, headers=organizer(app, "hg")),
                       await client.delete(url, headers=organizer(app, "hg"))]
            as_exhibitor = await client.get(url, headers=exhibitor(app, "ex-1"))
            foreign_list = (await client.get("/subsidy-programmes", headers=organizer(app, "hg"))).json()
        assert [r.status_code for r in foreign] == [404, 404, 404]
        assert as_exhibitor.status_code == 403
        assert foreign_list["count"] == 0

    async def test_an_unknown_programme_is_404_on_every_route(self, app):
        async with running_app(app) as client:
            url = f"/subsidy-programmes/{unique('p-')}"
            results = [await client.get(url, headers=organizer(app)),
                       await client.patch(url, json={"budget_vnd": 1}, headers=organizer(app)),
                       await client.delete(url, headers=organizer(app)),
                       await client.get(f"{url}/settlement", headers=organizer(app)),
                       await client.get(f"{url}/settlement.xlsx", headers=organizer(app))]
        assert [r.status_code for r in results] == [404] * 5
        assert results[0].headers["content-type"] == "application/problem+json"


class TestProgrammeBadInput:
    async def test_overlapping_validity_for_the_same_funder_is_refused_and_nothing_is_created(self, app):
        async with running_app(app) as client:
            first = await create(app, client)
            overlapping = await client.post("/subsidy-programmes", headers=organizer(app), json={
                **LOCAL, "name": "Đợt 2", "valid_from": "2026-07-01", "valid_to": "2027-06-30"})
            next_year = await client.post("/subsidy-programmes", headers=organizer(app), json={
                **LOCAL, "name": "2027", "valid_from": "2027-01-01", "valid_to": "2027-12-31"})
            national = await client.post("/subsidy-programmes", headers=organizer(app), json={
                **LOCAL, "level": "national", "funder": "Bộ Công Thương", "funding_province_code": None})
            stretched = await client.patch(f"/subsidy-programmes/{first['id']}", headers=organizer(app),
                                           json={"valid_to": "2027-03-31"})
            count = (await client.get("/subsidy-programmes", headers=organizer(app))).json()["count"]
            after = await programme(app, client, first["id"])
        assert overlapping.status_code == 409
        problem = overlapping.json()
        assert problem["type"].endswith("/overlapping-programme") and problem["errors"][0]["field"] == "valid_from"
        assert (next_year.status_code, national.status_code) == (201, 201)
        assert stretched.status_code == 409
        assert (after["valid_from"], after["valid_to"]) == ("2026-01-01", "2026-12-31")
        assert after == first  # the refused PATCH changed nothing, not even updated_at
        assert count == 3

    async def test_overlapping_programmes_created_at_the_same_instant_are_refused_but_one(self, app):
        async with running_app(app) as client:
            results = await asyncio.gather(*(
                client.post("/subsidy-programmes", headers=organizer(app),
                            json={**LOCAL, "name": f"Đợt {n}", "valid_from": f"2026-{n + 1:02d}-01"})
                for n in range(8)))
            count = (await client.get("/subsidy-programmes", headers=organizer(app))).json()["count"]
        assert sorted(r.status_code for r in results) == [201] + [409] * 7
        assert count == 1

    async def test_terms_that_cannot_work_name_their_field(self, app):
        async with running_app(app) as client:
            cases = [({"valid_to": "2025-12-31"}, "valid_to"), ({"support_percent": 0}, "support_percent"),
                     ({"budget_vnd": -1}, "budget_vnd"), ({"funding_province_code": None}, "funding_province_code"),
                     ({"funding_province_code": "Atlantis"}, "funding_province_code"),
                     ({"fair_ids": ["never-published"]}, "fair_ids"), ({"level": "galactic"}, "level"),
                     ({"eligible_kinds": ["ngo"]}, "eligible_kinds.0")]
            results = [await client.post("/subsidy-programmes", json={**LOCAL, **body}, headers=organizer(app))
                       for body, _ in cases]
            count = (await client.get("/subsidy-programmes", headers=organizer(app))).json()["count"]
        for (_, field), res in zip(cases, results, strict=True):
            assert res.status_code == 422, (field, res.text)
            assert res.json()["errors"][0]["field"] == field, res.json()
        assert count == 0

    async def test_the_budget_may_not_drop_below_what_is_committed(self, app):
        async with running_app(app) as client:
            created = await create(app, client)
            fair_id = await publish_fair(app)
            await invoice_for(app, client, fair_id)
            lowered = await client.patch(f"/subsidy-programmes/{created['id']}", headers=organizer(app),
                                         json={"budget_vnd": 3_999_999})
            used = await client.delete(f"/subsidy-programmes/{created['id']}", headers=organizer(app))
            after = await programme(app, client, created["id"])
        assert (lowered.status_code, lowered.json()["errors"][0]["field"]) == (409, "budget_vnd")
        assert used.status_code == 409
        assert (after["budget_vnd"], after["committed_vnd"]) == (100_000_000, 4_000_000)


class TestSplit:
    async def test_the_programme_pays_its_share_and_the_exhibitor_the_rest(self, app):
        async with running_app(app) as client:
            created = await create(app, client)
            fair_id = await publish_fair(app)
            invoice = await invoice_for(app, client, fair_id)
            [committed] = await emitted(app, "subsidy.committed")
            [issued] = await emitted(app, "invoice.issued")
            after = await programme(app, client, created["id"])
        assert (invoice["total_vnd"], invoice["subsidy_vnd"], invoice["payable_vnd"]) == (10_800_000, 4_000_000,
                                                                                          6_800_000)
        assert invoice["subsidy"]["programme_id"] == created["id"] and not invoice["subsidy"]["budget_short"]
        assert (committed.amount_vnd, committed.booths, committed.invoice_id) == (4_000_000, 2, invoice["id"])
        assert (issued.subsidy_vnd, issued.subsidy_programme_id) == (4_000_000, created["id"])
        assert (after["committed_vnd"], after["remaining_vnd"]) == (4_000_000, 96_000_000)

    async def test_the_booth_limit_per_exhibitor_spans_the_programmes_fairs(self, app):
        async with running_app(app) as client:
            await create(app, client, max_booths_per_exhibitor=3)
            first, second = await publish_fair(app), await publish_fair(app)
            registration, exhibitor_id = await approved_registration(app, first)
            await feed(app, assigned(first, registration, exhibitor_id))
            again = await invoice_for(app, client, second, exhibitor_id=exhibitor_id)
        assert (again["subsidy_vnd"], again["subsidy"]["note"].count("cho 1 gian")) == (2_000_000, 1)

    async def test_national_programmes_pay_before_local_ones_and_scope_to_their_fairs(self, app):
        async with running_app(app) as client:
            fair_id, other = await publish_fair(app), await publish_fair(app)
            local = await create(app, client)
            national = await create(app, client, level="national", funder="Bộ Công Thương",
                                    funding_province_code=None, support_percent=100, cap_per_booth_vnd=1_000_000,
                                    fair_ids=[fair_id])
            in_scope = await invoice_for(app, client, fair_id)
            out_of_scope = await invoice_for(app, client, other)
        assert (in_scope["subsidy"]["programme_id"], in_scope["subsidy_vnd"]) == (national["id"], 2_000_000)
        assert (out_of_scope["subsidy"]["programme_id"], out_of_scope["subsidy_vnd"]) == (local["id"], 4_000_000)

    async def test_a_programme_paying_everything_leaves_a_paid_invoice(self, app):
        async with running_app(app) as client:
            await create(app, client, support_percent=100, cap_per_booth_vnd=None)
            invoice = await invoice_for(app, client, await publish_fair(app))
            [paid] = await emitted(app, "invoice.paid")
        assert (invoice["subsidy_vnd"], invoice["payable_vnd"], invoice["status"]) == (10_800_000, 0, "paid")
        # The words spell the invoice's total, which the programme pays: not the buyer's nothing.
        assert (invoice["amount_in_words"], paid.invoice_id, paid.paid_vnd) == (
            "Mười triệu tám trăm nghìn đồng", invoice["id"], 0)

    async def test_a_fair_outside_the_validity_gets_nothing(self, app):
        async with running_app(app) as client:
            await create(app, client, valid_to="2026-05-31")
            invoice = await invoice_for(app, client, await publish_fair(app))
        assert (invoice["subsidy"], invoice["subsidy_vnd"], invoice["payable_vnd"]) == (None, 0, 10_800_000)


class TestExhaustion:
    async def test_a_short_budget_pays_what_is_left_says_so_and_then_nothing(self, app):
        async with running_app(app) as client:
            created = await create(app, client, budget_vnd=5_000_000)
            fair_id = await publish_fair(app)
            full = await invoice_for(app, client, fair_id)
            short = await invoice_for(app, client, fair_id)
            empty = await invoice_for(app, client, fair_id)
            exhausted = await emitted(app, "subsidy.exhausted")
            after = await programme(app, client, created["id"])
        assert [i["subsidy_vnd"] for i in (full, short, empty)] == [4_000_000, 1_000_000, 0]
        assert short["payable_vnd"] == 9_800_000 and short["subsidy"]["budget_short"]
        note = short["subsidy"]["note"]
        assert "không đủ" in note and "doanh nghiệp thanh toán phần còn lại" in note
        assert short["subsidy_note"] == note and full["subsidy_note"] == full["subsidy"]["note"]
        # Nothing left: no programme pays, and the invoice says which one ran out and who pays instead.
        assert empty["subsidy"] is None and (empty["subsidy_vnd"], empty["payable_vnd"]) == (0, 10_800_000)
        assert empty["subsidy_note"] == (
            f"Chương trình {LOCAL['name']} đã hết kinh phí hỗ trợ; doanh nghiệp thanh toán toàn bộ. / "
            f"{LOCAL['name']}: no support budget left; the exhibitor pays in full.")
        assert [(e.invoice_id, e.requested_vnd, e.granted_vnd, e.remaining_vnd, e.subsidy_programme_id)
                for e in exhausted] == [(short["id"], 4_000_000, 1_000_000, 0, created["id"]),
                                        (empty["id"], 4_000_000, 0, 0, created["id"])]
        assert (after["committed_vnd"], after["remaining_vnd"]) == (5_000_000, 0)

    async def test_the_pdf_of_an_invoice_after_the_budget_ran_out_prints_the_note(self, app):
        async with running_app(app) as client:
            await create(app, client, budget_vnd=4_000_000)
            fair_id = await publish_fair(app)
            full = await invoice_for(app, client, fair_id)
            empty = await invoice_for(app, client, fair_id)
            printed = [" ".join(pdf_text((await client.get(f"/invoices/{i['id']}.pdf", headers=admin(app))).content)
                                .split()) for i in (full, empty)]
        assert f"Ghi chú: Chương trình {LOCAL['name']} đã hết kinh phí hỗ trợ; doanh nghiệp thanh toán toàn bộ." \
            in printed[1]
        assert "đã hết kinh phí" not in printed[0] and "Kinh phí khuyến công hỗ trợ" in printed[0]
        assert "Kinh phí khuyến công hỗ trợ" not in printed[1]

    async def test_a_later_programme_pays_when_the_first_has_run_out_and_the_note_names_both(self, app):
        async with running_app(app) as client:
            national = await create(app, client, level="national", funder="Bộ Công Thương", name="KCQG 2026",
                                    funding_province_code=None, budget_vnd=1_000_000)
            local = await create(app, client)
            fair_id = await publish_fair(app)
            await invoice_for(app, client, fair_id)  # takes the national budget's last 1 000 000
            later = await invoice_for(app, client, fair_id)
            exhausted = await emitted(app, "subsidy.exhausted")
        assert (later["subsidy"]["programme_id"], later["subsidy_vnd"]) == (local["id"], 4_000_000)
        assert later["subsidy_note"].startswith("Chương trình KCQG 2026 đã hết kinh phí hỗ trợ. / ")
        assert later["subsidy_note"].endswith(later["subsidy"]["note"])
        assert "toàn bộ" not in later["subsidy_note"]
        assert [(e.subsidy_programme_id, e.granted_vnd) for e in exhausted] == [(national["id"], 1_000_000),
                                                                                 (national["id"], 0)]


class TestRelease:
    async def test_cancelling_releases_the_subsidy_to_the_budget_once(self, app):
        async with running_app(app) as client:
            created = await create(app, client)
            fair_id = await publish_fair(app)
            invoice = await invoice_for(app, client, fair_id)
            cancel = RegistrationCancelled(fair_id=fair_id, registration_id=invoice["registration_id"],
                                           exhibitor_id=invoice["exhibitor_id"], reason="exhibitor")
            headers = await feed(app, cancel)
            await feed(app, cancel, headers)
            await feed(app, RegistrationCancelled(**{**cancel.model_dump(), "reason": "organizer"}))
            [released] = await emitted(app, "subsidy.released")
            after = await programme(app, client, created["id"])
            again = await invoice_for(app, client, fair_id, exhibitor_id=invoice["exhibitor_id"])
        assert (released.amount_vnd, released.invoice_id, released.booths, released.reason) == (
            4_000_000, invoice["id"], 2, "exhibitor")
        assert after["committed_vnd"] == 0
        assert again["subsidy_vnd"] == 4_000_000  # the exhibitor's booths came back too


class TestSettlement:
    async def test_the_xlsx_holds_names_stored_before_the_text_checks(self, app):
        async with running_app(app) as client:
            created = await create(app, client, eligible_provinces=[])
            invoice = await invoice_for(app, client, await publish_fair(app))
            async with app.state.runtime.db.transaction() as session:  # as stored before names were checked
                row = (await session.exec(select(SubsidyCommitment).where(
                    SubsidyCommitment.invoice_id == invoice["id"]))).one()
                row.exhibitor_name = "=HTX Chè\x07 Shan tuyết"
                session.add(row)
            xlsx = await client.get(f"/subsidy-programmes/{created['id']}/settlement.xlsx", headers=organizer(app))
        assert xlsx.status_code == 200
        detail = load_workbook(io.BytesIO(xlsx.content))["Chi tiết"]
        assert detail.cell(2, 5).value == "'=HTX Chè Shan tuyết"  # no control character, not a formula

    async def test_by_fair_and_province_committed_paid_released_as_json_and_xlsx(self, app):
        async with running_app(app) as client:
            created = await create(app, client, eligible_provinces=[])
            fair_a, fair_b = await publish_fair(app), await publish_fair(app)
            paid = await invoice_for(app, client, fair_a)
            await invoice_for(app, client, fair_a, province_code="15")
            released = await invoice_for(app, client, fair_b)
            await client.post(f"/invoices/{paid['id']}/payments", headers=organizer(app), json={
                "amount_vnd": paid["payable_vnd"], "method": "bank_transfer", "reference": "FT26130001",
                "received_on": "2026-05-10"})
            await feed(app, RegistrationCancelled(fair_id=fair_b, registration_id=released["registration_id"],
                                                  exhibitor_id=released["exhibitor_id"], reason="unpaid"))
            report = (await client.get(f"/subsidy-programmes/{created['id']}/settlement",
                                       headers=organizer(app))).json()
            xlsx = await client.get(f"/subsidy-programmes/{created['id']}/settlement.xlsx", headers=organizer(app))
        assert (report["committed_vnd"], report["paid_vnd"], report["released_vnd"]) == (8_000_000, 4_000_000,
                                                                                         4_000_000)
        assert (report["booths"], report["exhibitors"], report["remaining_vnd"]) == (4, 2, 92_000_000)
        by_fair = {g["key"]: (g["booths"], g["committed_vnd"], g["paid_vnd"], g["released_vnd"])
                   for g in report["by_fair"]}
        assert by_fair == {fair_a: (4, 8_000_000, 4_000_000, 0), fair_b: (0, 0, 0, 4_000_000)}
        by_province = {g["label"]: (g["booths"], g["exhibitors"]) for g in report["by_province"]}
        assert by_province == {"Tuyên Quang": (2, 1), "Lào Cai": (2, 1)}
        assert [line["status"] for line in report["lines"]] == ["paid", "committed", "released"]

        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(xlsx.content))
        assert book.sheetnames == ["Tổng hợp", "Theo hội chợ", "Theo tỉnh", "Chi tiết"]
        detail = book["Chi tiết"]
        assert [c.value for c in detail[1]][:5] == ["STT", "Hóa đơn", "Ngày hóa đơn", "Hội chợ", "Đơn vị tham gia"]
        assert [detail.cell(row, 12).value for row in (2, 3, 4)] == ["Đã thực hiện", "Đã cam kết", "Đã hoàn trả"]
        assert detail.cell(2, 11).value == 4_000_000
        summary = {row[0].value: row[1].value for row in book["Tổng hợp"].iter_rows(min_row=2)}
        assert (summary["Tổng kinh phí (đồng)"], summary["Đã thực hiện (đồng)"]) == (100_000_000, 4_000_000)
