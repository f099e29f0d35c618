"""Golden invoices of the issue, end to end through the service: events in, invoice and events out."""

from __future__ import annotations

from datetime import date

from services.billing.domain.amounts import amount_in_words
from tests.conftest import running_app, unique
from tests.service import billing_support
from tests.service.billing_support import (
    LOCAL,
    MARCH_2027,
    admin,
    emitted,
    invoice_for,
    organizer,
    pdf_text,
    publish_fair,
)

# The shared fixtures, by assignment (an import would be flagged as shadowed by the test arguments).
app, clock = billing_support.app, billing_support.clock

HOUSEHOLD = {"kind": "household", "is_cscnnt": True, "name": "Hộ kinh doanh Lò Thị Hường – Thổ cẩm Đồng Văn",
             "tax_code": "001087012345"}
ENTERPRISE = {"kind": "enterprise", "is_cscnnt": False, "name": "Công ty TNHH Thương mại Phú Thịnh",
              "tax_code": "0100109106"}


async def local_programme(app, client, **changes) -> dict:
    res = await client.post("/subsidy-programmes", json={**LOCAL, **changes}, headers=organizer(app))
    assert res.status_code == 201, res.text
    return dict(res.json())


def summary(invoice: dict) -> tuple:
    return (invoice["symbol"], invoice["net_vnd"], invoice["vat_vnd"], invoice["total_vnd"], invoice["subsidy_vnd"],
            invoice["payable_vnd"], invoice["amount_in_words"])


class TestGoldenInvoices:
    async def test_cscnnt_household_two_booths_local_programme_half_capped_per_booth(self, app):
        async with running_app(app) as client:
            programme = await local_programme(app, client)
            invoice = await invoice_for(app, client, await publish_fair(app), **HOUSEHOLD)
            [committed] = await emitted(app, "subsidy.committed")
        # 2 × 5 000 000 = 10 000 000 + 8% = 10 800 000. Half of a booth with VAT is 2 700 000, capped at
        # 2 000 000: the programme pays 4 000 000, the household 6 800 000.
        assert summary(invoice) == ("C26TAA", 10_000_000, 800_000, 10_800_000, 4_000_000, 6_800_000,
                                    "Mười triệu tám trăm nghìn đồng")
        assert invoice["buyer"]["name"] == HOUSEHOLD["name"] and invoice["buyer"]["tax_code"] == "001087012345"
        assert invoice["vat_by_rate"] == [{"vat_rate": "8%", "net_vnd": 10_000_000, "vat_vnd": 800_000}]
        assert invoice["subsidy"] == {
            "programme_id": programme["id"], "amount_vnd": 4_000_000, "requested_vnd": 4_000_000,
            "budget_short": False,
            "note": "Kinh phí Khuyến công địa phương tỉnh Tuyên Quang 2026 hỗ trợ 50% giá thuê gian hàng, "
                    "tối đa 2.000.000 đồng/gian: 4.000.000 ₫ cho 2 gian."}
        assert (committed.amount_vnd, committed.booths) == (4_000_000, 2)

    async def test_an_enterprise_that_is_not_eligible_pays_everything(self, app):
        async with running_app(app) as client:
            await local_programme(app, client)
            invoice = await invoice_for(app, client, await publish_fair(app), **ENTERPRISE)
            committed = await emitted(app, "subsidy.committed")
        assert summary(invoice) == ("C26TAA", 10_000_000, 800_000, 10_800_000, 0, 10_800_000,
                                    "Mười triệu tám trăm nghìn đồng")
        assert invoice["subsidy"] is None and committed == []

    async def test_a_programme_with_too_little_budget_left(self, app):
        async with running_app(app) as client:
            programme = await local_programme(app, client, budget_vnd=1_500_000)
            invoice = await invoice_for(app, client, await publish_fair(app), **HOUSEHOLD)
            [exhausted] = await emitted(app, "subsidy.exhausted")
        assert summary(invoice) == ("C26TAA", 10_000_000, 800_000, 10_800_000, 1_500_000, 9_300_000,
                                    "Mười triệu tám trăm nghìn đồng")
        assert invoice["subsidy"]["budget_short"]
        assert invoice["subsidy"]["note"].endswith(
            "Kinh phí còn lại của Khuyến công địa phương tỉnh Tuyên Quang 2026 không đủ: chương trình hỗ trợ "
            "1.500.000 ₫ trên 4.000.000 ₫; doanh nghiệp thanh toán phần còn lại. / Khuyến công địa phương tỉnh "
            "Tuyên Quang 2026 had only 1.500.000 ₫ of 4.000.000 ₫ left; the exhibitor pays the rest.")
        assert (exhausted.subsidy_programme_id, exhausted.granted_vnd, exhausted.requested_vnd) == (
            programme["id"], 1_500_000, 4_000_000)

    async def test_vat_8_percent_in_2026_and_10_percent_in_2027_with_the_same_programme_terms(self, app, clock):
        async with running_app(app) as client:
            await local_programme(app, client)
            await local_programme(app, client, name="Khuyến công địa phương tỉnh Tuyên Quang 2027",
                                  valid_from="2027-01-01", valid_to="2027-12-31")
            in_2026 = await invoice_for(app, client, await publish_fair(app), **HOUSEHOLD)
            clock.now = MARCH_2027
            fair_2027 = await publish_fair(app, fair_id=unique("fair-"), starts_on=date(2027, 4, 1))
            in_2027 = await invoice_for(app, client, fair_2027, **HOUSEHOLD)
        assert summary(in_2026) == ("C26TAA", 10_000_000, 800_000, 10_800_000, 4_000_000, 6_800_000,
                                    "Mười triệu tám trăm nghìn đồng")
        assert summary(in_2027) == ("C27TAA", 10_000_000, 1_000_000, 11_000_000, 4_000_000, 7_000_000,
                                    "Mười một triệu đồng")
        assert [line["vat_rate"] for line in in_2027["lines"]] == ["10%"]
        assert in_2027["number"] == "00000001"

    async def test_odd_amounts_round_vat_half_up_and_the_share_down(self, app):
        async with running_app(app) as client:
            await local_programme(app, client, cap_per_booth_vnd=None)
            invoice = await invoice_for(app, client, await publish_fair(app, price=3_456_789), codes=["B05"],
                                        **HOUSEHOLD)
        # VAT 8% of 3 456 789 = 276 543,12 → 276 543; total 3 733 332; half is 1 866 666 exactly.
        assert summary(invoice)[1:6] == (3_456_789, 276_543, 3_733_332, 1_866_666, 1_866_666)
        assert invoice["amount_in_words"] == amount_in_words(3_733_332) == (
            "Ba triệu bảy trăm ba mươi ba nghìn ba trăm ba mươi hai đồng")


def printed_totals(pdf: str) -> list[str]:
    """The PDF's lines from the grand total down to the due date (total, words, who pays)."""
    lines = pdf.replace("\xa0", " ").splitlines()  # amounts print "10.800.000 ₫" with a no-break space
    start = next(i for i, line in enumerate(lines) if line.startswith("Tổng cộng tiền thanh toán"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Hạn thanh toán"))
    return lines[start:end]


class TestWordsMatchTheTotal:
    """The words spell the invoice's own total; a programme's share is a settlement shown apart."""

    async def test_the_exhibitor_alone_pays_the_total_it_reads(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app), **ENTERPRISE)
            pdf = pdf_text((await client.get(f"/invoices/{invoice['id']}.pdf", headers=admin(app))).content)
        assert printed_totals(pdf) == [
            "Tổng cộng tiền thanh toán: 10.800.000 ₫",
            "Số tiền viết bằng chữ: Mười triệu tám trăm nghìn đồng."]

    async def test_exhibitor_and_programme_share_the_total_the_words_spell(self, app):
        async with running_app(app) as client:
            await local_programme(app, client)
            invoice = await invoice_for(app, client, await publish_fair(app), **HOUSEHOLD)
            pdf = pdf_text((await client.get(f"/invoices/{invoice['id']}.pdf", headers=admin(app))).content)
            [issued] = await emitted(app, "invoice.issued")
        assert printed_totals(pdf)[:4] == [
            "Tổng cộng tiền thanh toán: 10.800.000 ₫",
            "Số tiền viết bằng chữ: Mười triệu tám trăm nghìn đồng.",
            "Thanh toán tổng cộng tiền thanh toán theo người trả tiền / Settlement of the total by payer:",
            "Kinh phí khuyến công hỗ trợ / paid by the programme: 4.000.000 ₫"]
        assert printed_totals(pdf)[4] == "Đơn vị mua hàng thanh toán / paid by the buyer: 6.800.000 ₫"
        assert (issued.total_vnd, issued.subsidy_vnd, issued.payable_vnd, issued.amount_in_words) == (
            10_800_000, 4_000_000, 6_800_000, "Mười triệu tám trăm nghìn đồng")


def printed_parties(pdf: str) -> list[str]:
    """The PDF's lines naming the seller and the buyer, down to the payment method."""
    lines = pdf.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Đơn vị bán hàng"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Hình thức thanh toán"))
    return lines[start:end]


class TestBuyerAddress:
    """The buyer's address is whole on the invoice: the line, the commune and the province of its codes."""

    async def test_the_village_line_is_followed_by_its_commune_and_province(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app), address="Thôn Nấm Dẩn",
                                        commune_code="01141", **ENTERPRISE)
            pdf = pdf_text((await client.get(f"/invoices/{invoice['id']}.pdf", headers=admin(app))).content)
        assert invoice["buyer"]["address"] == "Thôn Nấm Dẩn, xã Nấm Dẩn, tỉnh Tuyên Quang"
        assert printed_parties(pdf) == [
            "Đơn vị bán hàng: Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang",
            "Mã số thuế: 0100233488",
            "Địa chỉ: Tuyên Quang",
            "Đơn vị mua hàng: Công ty TNHH Thương mại Phú Thịnh",
            "Mã số thuế: 0100109106",
            "Địa chỉ: Thôn Nấm Dẩn, xã Nấm Dẩn, tỉnh Tuyên Quang"]

    async def test_without_a_commune_the_province_follows_the_line(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app), **HOUSEHOLD)
        assert invoice["buyer"]["address"] == "Thị trấn Đồng Văn, tỉnh Tuyên Quang"

    async def test_a_line_that_names_its_units_already_is_not_repeated(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app), address="Xã Đồng Văn, tỉnh Tuyên Quang",
                                        commune_code="00721", **HOUSEHOLD)
        assert invoice["buyer"]["address"] == "Xã Đồng Văn, tỉnh Tuyên Quang"
