"""The billing service in memory (FastStream's test broker) on a real database (SQLite, and PostgreSQL
when TEST_POSTGRES_URL is set): invoices issued from events, numbered without gaps, read over HTTP."""

from __future__ import annotations

import asyncio
from datetime import date

from faststream.kafka.annotations import KafkaMessage

from services.billing.models import Invoice, InvoiceSeries
from services.billing.service import reactions as service
from shared.contracts.booths import BoothsAssigned
from shared.contracts.registration import FairPublished, FairUpdated, RegistrationCancelled
from tests.conftest import running_app, token, unique
from tests.service import billing_support
from tests.service.billing_support import (
    FAIR_NAME,
    LOCAL,
    MARCH_2027,
    MAY_2026,
    admin,
    approved,
    approved_registration,
    assigned,
    emitted,
    exhibitor,
    fair_info,
    feed,
    invoice_for,
    organizer,
    pdf_text,
    publish_fair,
    stored_invoices,
)

# The shared fixtures, by assignment (an import would be flagged as shadowed by the test arguments).
app, clock = billing_support.app, billing_support.clock


def dead_letters(app) -> list[dict[str, str]]:
    """Collect what the service dead-letters on booths.events.dlq (subscribe before the app starts)."""
    collected: list[dict[str, str]] = []

    @app.state.runtime.broker.subscriber("booths.events.dlq", group_id="tests.dlq")
    async def on_dead(message: KafkaMessage) -> None:
        collected.append({k: v.decode() if isinstance(v, bytes) else v for k, v in message.headers.items()})

    return collected


class TestIssueInvoice:
    async def test_golden_invoice_two_booths_at_8_percent_numbered_from_one(self, app):
        fair_id = unique("fair-")
        async with running_app(app) as client:
            await feed(app, FairPublished(**fair_info(fair_id)))
            first = await approved_registration(app, fair_id)
            second = await approved_registration(app, fair_id)
            await feed(app, assigned(fair_id, *first, codes=["A01", "A02"]))
            await feed(app, assigned(fair_id, *second, codes=["A03", "A04"]))
            issued = await emitted(app, "invoice.issued")
            detail = (await client.get(f"/invoices/{issued[0].invoice_id}",
                                       headers=token(app.state.settings, "admin"))).json()
        assert [(e.symbol, e.number) for e in issued] == [("C26TAA", "00000001"), ("C26TAA", "00000002")]
        golden = issued[0]
        assert (golden.form, golden.net_vnd, golden.vat_vnd, golden.total_vnd, golden.payable_vnd) == (
            "1", 10_000_000, 800_000, 10_800_000, 10_800_000)
        assert golden.amount_in_words == "Mười triệu tám trăm nghìn đồng"
        assert (golden.issued_on, golden.due_on) == (date(2026, 5, 10), date(2026, 5, 25))
        assert (golden.registration_id, golden.exhibitor_id, golden.key()) == (*first, fair_id)
        [line] = detail["lines"]
        assert line["description"] == f"Thuê gian hàng tiêu chuẩn 3m×3m – {FAIR_NAME} (A01, A02)"
        assert (line["unit"], line["quantity"], line["unit_price_vnd"], line["vat_rate"]) == (
            "gian", 2, 5_000_000, "8%")
        assert detail["vat_by_rate"] == [{"vat_rate": "8%", "net_vnd": 10_000_000, "vat_vnd": 800_000}]
        assert detail["total_display"] == "10.800.000 ₫"
        assert detail["seller"]["tax_code"] == "0100233488"
        assert detail["buyer"]["name"] == "HTX Chè Shan tuyết Đồng Văn"
        assert detail["status"] == "issued"

    async def test_in_2027_at_10_percent_under_c27taa_numbered_from_one(self, app, clock):
        fair_id = unique("fair-")
        async with running_app(app):
            await feed(app, FairPublished(**fair_info(fair_id)))
            await feed(app, assigned(fair_id, *await approved_registration(app, fair_id)))
            clock.now = MARCH_2027
            await feed(app, assigned(fair_id, *await approved_registration(app, fair_id)))
            issued = await emitted(app, "invoice.issued")
        assert [(e.symbol, e.number) for e in issued] == [("C26TAA", "00000001"), ("C27TAA", "00000001")]
        assert (issued[1].vat_vnd, issued[1].total_vnd) == (1_000_000, 11_000_000)
        assert issued[1].amount_in_words == "Mười một triệu đồng"

    async def test_uses_the_latest_price_of_an_updated_fair(self, app):
        fair_id = unique("fair-")
        async with running_app(app):
            await feed(app, FairPublished(**fair_info(fair_id)))
            await feed(app, FairUpdated(**fair_info(fair_id, price=4_000_000)))
            await feed(app, assigned(fair_id, *await approved_registration(app, fair_id)))
            [issued] = await emitted(app, "invoice.issued")
        assert issued.net_vnd == 8_000_000


class TestIdempotency:
    async def test_a_redelivered_booths_assigned_issues_nothing(self, app):
        fair_id = unique("fair-")
        async with running_app(app):
            await feed(app, FairPublished(**fair_info(fair_id)))
            event = assigned(fair_id, *await approved_registration(app, fair_id))
            headers = await feed(app, event)
            await feed(app, event, headers)
            assert len(await emitted(app, "invoice.issued")) == 1
        assert len(await stored_invoices(app)) == 1

    async def test_a_second_event_for_the_same_assignment_issues_nothing(self, app):
        fair_id = unique("fair-")
        dead = dead_letters(app)
        async with running_app(app):
            await feed(app, FairPublished(**fair_info(fair_id)))
            event = assigned(fair_id, *await approved_registration(app, fair_id))
            await feed(app, event)
            await feed(app, event)  # new ce_id, same assignment_id
            assert len(await emitted(app, "invoice.issued")) == 1
        assert len(await stored_invoices(app)) == 1
        assert dead == []


class TestGaplessNumbering:
    async def issue(self, app, event: BoothsAssigned) -> Invoice | None:
        async with app.state.runtime.db.unit_of_work() as uow:
            return await service.issue_invoice(uow=uow, assigned=event, now=MAY_2026)

    async def crash_after_taking_a_number(self, app) -> None:
        async with app.state.runtime.db.transaction() as session:
            await service.take_number(session, "tq", "C26TAA")
            raise RuntimeError("crash after taking a number")

    async def series_next(self, app, symbol: str) -> int:
        async with app.state.runtime.db.sessions() as session:
            return (await session.get(InvoiceSeries, ("tq", symbol))).next_number

    async def test_twenty_concurrent_issues_are_numbered_1_to_20(self, app):
        fair_id = unique("fair-")
        async with running_app(app):
            await feed(app, FairPublished(**fair_info(fair_id)))
            regs = [await approved_registration(app, fair_id) for _ in range(20)]
            results = await asyncio.gather(*(self.issue(app, assigned(fair_id, *r)) for r in regs))
            assert sorted(r.number for r in results) == list(range(1, 21))
            assert [i.number for i in await stored_invoices(app)] == list(range(1, 21))
            assert await self.series_next(app, "C26TAA") == 21

    async def test_issues_that_roll_back_leave_no_gap(self, app):
        fair_id = unique("fair-")
        async with running_app(app):
            await feed(app, FairPublished(**fair_info(fair_id)))
            events = [assigned(fair_id, *await approved_registration(app, fair_id)) for _ in range(15)]
            # Racing duplicates of assignments (each sees the invoice or hits the unique constraint) and
            # crashes after taking a number: their numbers roll back with their transactions.
            work = [self.issue(app, e) for e in events + events[:5]]
            work += [self.crash_after_taking_a_number(app) for _ in range(5)]
            results = await asyncio.gather(*work, return_exceptions=True)
            assert sum(isinstance(r, RuntimeError) for r in results) == 5
            assert [i.number for i in await stored_invoices(app)] == list(range(1, 16))
            assert await self.series_next(app, "C26TAA") == 16


class TestOutOfOrder:
    """booths.assigned travels on another topic than the fair and the approval it needs: it waits (parked)."""

    async def test_an_assignment_before_its_approval_waits_for_it_and_burns_no_number(self, app):
        fair_id = unique("fair-")
        dead = dead_letters(app)
        async with running_app(app):
            await feed(app, FairPublished(**fair_info(fair_id)))
            registration_id, exhibitor_id = unique("reg-"), unique("ex-")
            await feed(app, assigned(fair_id, registration_id, exhibitor_id))
            assert await emitted(app, "invoice.issued") == []
            other = await approved_registration(app, fair_id)
            # Another registration of the same fair does not wait behind the parked one (issue 12): a stuck
            # registration never stops a fair's invoicing.
            await feed(app, assigned(fair_id, *other))
            assert [e.registration_id for e in await emitted(app, "invoice.issued")] == [other[0]]
            await feed(app, approved(fair_id, registration_id, exhibitor_id))
            issued = await emitted(app, "invoice.issued")
        assert [(e.registration_id, e.number) for e in issued] == [(other[0], "00000001"),
                                                                   (registration_id, "00000002")]
        assert dead == []

    async def test_a_parked_assignment_is_visible_to_an_admin_with_its_reason_and_age(self, app):
        fair_id, registration_id, exhibitor_id = unique("fair-"), unique("reg-"), unique("ex-")
        async with running_app(app) as client:
            await feed(app, FairPublished(**fair_info(fair_id)))
            await feed(app, assigned(fair_id, registration_id, exhibitor_id))
            assert (await client.get("/admin/delivery", headers=organizer(app))).status_code == 403
            assert (await client.get("/admin/delivery")).status_code == 401
            answer = await client.get("/admin/delivery", headers=token(app.state.settings, "admin"))
        assert answer.status_code == 200
        [consumer] = answer.json()["consumers"]
        [parked] = consumer["parked"]
        assert (consumer["name"], parked["subject"], parked["event_type"]) == (
            "billing", registration_id, "vn.hangviet.booths.assigned.v1")
        assert registration_id in parked["reason"] and parked["age_s"] >= 0
        assert 0 < parked["dead_letter_in_s"] <= consumer["park_ttl_s"]
        assert consumer["stats"]["parked"] == 1 and answer.json()["outbox"]["unsent"] >= 0

    async def test_an_assignment_before_its_fair_waits_for_the_fair_and_the_approval(self, app):
        fair_id, registration_id, exhibitor_id = unique("fair-"), unique("reg-"), unique("ex-")
        dead = dead_letters(app)
        async with running_app(app):
            await feed(app, assigned(fair_id, registration_id, exhibitor_id))
            await feed(app, FairPublished(**fair_info(fair_id)))
            assert await stored_invoices(app) == []
            await feed(app, approved(fair_id, registration_id, exhibitor_id))
            [issued] = await emitted(app, "invoice.issued")
        assert (issued.registration_id, dead) == (registration_id, [])

    async def test_an_assignment_contradicting_its_registration_is_dead_lettered(self, app):
        fair_id = unique("fair-")
        dead = dead_letters(app)
        async with running_app(app):
            await feed(app, FairPublished(**fair_info(fair_id)))
            registration_id, _ = await approved_registration(app, fair_id)
            await feed(app, assigned(fair_id, registration_id, unique("ex-someone-else-")))
        assert len(dead) == 1
        assert (dead[0]["dlq_consumer"], dead[0]["dlq_original_topic"], dead[0]["dlq_attempts"]) == (
            "billing", "booths.events", "2")
        assert "InconsistentAssignment" in dead[0]["dlq_reason"]
        assert await stored_invoices(app) == []


class TestAuthorization:
    async def issue_for_two_exhibitors(self, app, fair_id: str) -> tuple[str, str, dict[str, str]]:
        await feed(app, FairPublished(**fair_info(fair_id, centre_id="tq")))
        a = await approved_registration(app, fair_id, exhibitor_id=unique("ex-a-"))
        b = await approved_registration(app, fair_id, exhibitor_id=unique("ex-b-"))
        await feed(app, assigned(fair_id, *a))
        await feed(app, assigned(fair_id, *b))
        ids = {e.exhibitor_id: e.invoice_id for e in await emitted(app, "invoice.issued")}
        return a[1], b[1], ids

    async def test_an_exhibitor_sees_only_its_own_invoices(self, app):
        settings, fair_id = app.state.settings, unique("fair-")
        async with running_app(app) as client:
            a, b, ids = await self.issue_for_two_exhibitors(app, fair_id)
            as_a = token(settings, "exhibitor", exhibitor_id=a)
            own = await client.get("/invoices", headers=as_a)
            others = await client.get(f"/invoices?exhibitor_id={b}", headers=as_a)
            by_fair = await client.get(f"/invoices?fair_id={fair_id}", headers=as_a)
            b_invoice = await client.get(f"/invoices/{ids[b]}", headers=as_a)
        assert [i["id"] for i in own.json()["data"]] == [ids[a]]
        assert others.json() == {"data": [], "count": 0}
        assert [i["exhibitor_id"] for i in by_fair.json()["data"]] == [a]
        assert b_invoice.status_code == 404
        assert b_invoice.headers["content-type"] == "application/problem+json"

    async def test_an_organizer_sees_its_centres_invoices_only(self, app):
        settings, fair_id = app.state.settings, unique("fair-")
        async with running_app(app) as client:
            a, _, ids = await self.issue_for_two_exhibitors(app, fair_id)
            mine = token(settings, "organizer", centre_id="tq")
            own = await client.get(f"/invoices?fair_id={fair_id}", headers=mine)
            other = token(settings, "organizer", centre_id="hg")
            foreign_list = await client.get("/invoices", headers=other)
            foreign_one = await client.get(f"/invoices/{ids[a]}", headers=other)
            everything = await client.get("/invoices", headers=token(settings, "admin"))
        assert own.json()["count"] == 2
        assert foreign_list.json()["count"] == 0
        assert foreign_one.status_code == 404
        assert {i["id"] for i in everything.json()["data"]} == set(ids.values())

    async def test_regional_centres_and_anonymous_callers_are_refused(self, app):
        settings = app.state.settings
        async with running_app(app) as client:
            regional = await client.get("/invoices", headers=token(settings, "regional", region="north"))
            anonymous = await client.get("/invoices")
        assert (regional.status_code, anonymous.status_code) == (403, 401)

    async def test_the_organizer_filters_its_list_by_status_and_programme(self, app):
        async with running_app(app) as client:
            res = await client.post("/subsidy-programmes", json=LOCAL, headers=organizer(app))
            programme_id = res.json()["id"]
            fair_id = await publish_fair(app)
            supported = [await invoice_for(app, client, fair_id) for _ in range(3)]
            unsupported = [await invoice_for(app, client, fair_id, is_cscnnt=False) for _ in range(2)]
            paid, voided = supported[0], supported[1]
            await client.post(f"/invoices/{paid['id']}/payments", headers=organizer(app), json={
                "amount_vnd": paid["payable_vnd"], "method": "bank_transfer", "reference": "FT26130099",
                "received_on": "2026-05-10"})
            await feed(app, RegistrationCancelled(fair_id=fair_id, exhibitor_id=voided["exhibitor_id"],
                                                  registration_id=voided["registration_id"], reason="organizer"))

            async def ids(headers=None, **params: str) -> set[str]:
                body = (await client.get("/invoices", params=params, headers=headers or organizer(app))).json()
                assert body["count"] == len(body["data"])
                return {i["id"] for i in body["data"]}

            by_status = {s: await ids(status=s) for s in ("issued", "paid", "voided", "overdue")}
            by_programme = await ids(programme_id=programme_id)
            both = await ids(programme_id=programme_id, status="issued")
            unknown = await ids(programme_id=unique("p-"))
            other_centre = await ids(organizer(app, "hg"), programme_id=programme_id)
            bad = await client.get("/invoices", params={"status": "lost"}, headers=organizer(app))
        assert by_status == {"issued": {supported[2]["id"], *(i["id"] for i in unsupported)},
                             "paid": {paid["id"]}, "voided": {voided["id"]}, "overdue": set()}
        assert by_programme == {i["id"] for i in supported}
        assert both == {supported[2]["id"]}
        assert (unknown, other_centre) == (set(), set())
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "status")

    async def test_a_bad_filter_is_a_problem_naming_the_field(self, app):
        async with running_app(app) as client:
            res = await client.get("/invoices?limit=0", headers=token(app.state.settings, "admin"))
        assert res.status_code == 422
        assert res.json()["errors"][0]["field"] == "limit"


class TestCancellation:
    async def test_cancelling_the_registration_voids_its_unpaid_invoice(self, app):
        fair_id = unique("fair-")
        async with running_app(app) as client:
            await feed(app, FairPublished(**fair_info(fair_id)))
            registration_id, exhibitor_id = await approved_registration(app, fair_id)
            await feed(app, assigned(fair_id, registration_id, exhibitor_id))
            cancel = RegistrationCancelled(fair_id=fair_id, registration_id=registration_id,
                                           exhibitor_id=exhibitor_id, reason="exhibitor")
            headers = await feed(app, cancel)
            await feed(app, cancel, headers)  # redelivered: voids nothing more
            [issued] = await emitted(app, "invoice.issued")
            [voided] = await emitted(app, "invoice.voided")
            as_exhibitor = token(app.state.settings, "exhibitor", exhibitor_id=exhibitor_id)
            detail = (await client.get(f"/invoices/{issued.invoice_id}", headers=as_exhibitor)).json()
        assert (voided.invoice_id, voided.reason, voided.cancellation_number) == (
            issued.invoice_id, "exhibitor", "HUY-C26TAA-00000001")
        assert (detail["status"], detail["symbol"], detail["number"]) == ("voided", "C26TAA", "00000001")
        assert detail["cancellation"]["number"] == "HUY-C26TAA-00000001"
        assert len(await stored_invoices(app)) == 1  # never deleted

    async def test_the_cancellation_document_refers_to_the_original_invoice(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            url = f"/invoices/{invoice['id']}/cancellation"
            owner = exhibitor(app, invoice["exhibitor_id"])
            standing = await client.get(url, headers=owner)
            await feed(app, RegistrationCancelled(fair_id=invoice["fair_id"], exhibitor_id=invoice["exhibitor_id"],
                                                  registration_id=invoice["registration_id"], reason="unpaid"))
            document = await client.get(url, headers=owner)
            by_organizer = await client.get(url, headers=organizer(app))
            by_stranger = await client.get(url, headers=exhibitor(app, "ex-other"))
            by_other_centre = await client.get(url, headers=organizer(app, "hg"))
            detail = (await client.get(f"/invoices/{invoice['id']}", headers=owner)).json()
        assert (standing.status_code, standing.json()["type"].rsplit("/", 1)[-1]) == (404, "not-voided")
        body = document.json()
        assert document.status_code == 200, document.text
        assert {k: body[k] for k in ("number", "reason", "reason_text", "cancelled_on", "invoice_id", "invoice_form",
                                     "invoice_symbol", "invoice_number", "invoice_issued_on", "invoice_total_vnd",
                                     "buyer_name", "seller_tax_code")} == {
            "number": "HUY-C26TAA-00000001", "reason": "unpaid",
            "reason_text": "Quá hạn thanh toán / not paid by the due date", "cancelled_on": "2026-05-10",
            "invoice_id": invoice["id"], "invoice_form": "1", "invoice_symbol": "C26TAA", "invoice_number": "00000001",
            "invoice_issued_on": "2026-05-10", "invoice_total_vnd": 10_800_000,
            "buyer_name": "HTX Chè Shan tuyết Đồng Văn", "seller_tax_code": "0100233488"}
        assert by_organizer.json() == body and detail["cancellation"] == body
        assert (by_stranger.status_code, by_other_centre.status_code) == (404, 404)
        # The original keeps its own number and date; the document only refers to them.
        assert (detail["status"], detail["number"], detail["issued_on"]) == ("voided", "00000001", "2026-05-10")

    async def test_the_pdf_of_a_voided_invoice_carries_the_cancelled_banner(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            voided, standing = await invoice_for(app, client, fair_id), await invoice_for(app, client, fair_id)
            await feed(app, RegistrationCancelled(fair_id=fair_id, exhibitor_id=voided["exhibitor_id"],
                                                  registration_id=voided["registration_id"], reason="exhibitor"))
            texts = [pdf_text((await client.get(f"/invoices/{i['id']}.pdf", headers=admin(app))).content)
                     for i in (voided, standing)]
        assert "ĐÃ HỦY – theo văn bản hủy số HUY-C26TAA-00000001" in texts[0].splitlines()
        assert "Ngày hủy: 10/05/2026 – Lý do: Đơn vị tham gia hủy đăng ký / the exhibitor withdrew" in texts[0]
        assert "Mẫu số: 1    Ký hiệu: C26TAA    Số: 00000001" in texts[0]
        assert "ĐÃ HỦY" not in texts[1] and "Số: 00000002" in texts[1]

    async def test_a_cancellation_that_overtakes_the_assignment_prevents_the_invoice(self, app):
        fair_id = unique("fair-")
        async with running_app(app):
            await feed(app, FairPublished(**fair_info(fair_id)))
            registration_id, exhibitor_id = await approved_registration(app, fair_id)
            await feed(app, RegistrationCancelled(fair_id=fair_id, registration_id=registration_id,
                                                  exhibitor_id=exhibitor_id, reason="organizer"))
            await feed(app, assigned(fair_id, registration_id, exhibitor_id))
            assert await emitted(app, "invoice.issued") == []
        assert await stored_invoices(app) == []
