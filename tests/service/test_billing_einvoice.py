"""The e-invoice XML data document (HDon): golden documents, the schema, who may read it.

The expected documents are written out by hand from the invoice's figures (2 booths at 5 000 000 at 8%,
two tables at 150 000 at 10%, cleaning at 100 000 not subject to VAT), not copied from the output.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree
from sqlmodel import select

from services.billing.adapters.einvoice.hdon import schema
from services.billing.adapters.einvoice.tbao import schema as notice_schema
from services.billing.models import InvoiceCancellation
from services.billing.settings import BillingSettings
from shared.contracts.registration import RegistrationCancelled
from tests.conftest import running_app, token
from tests.service import billing_support
from tests.service.billing_support import (
    LOCAL,
    MAY_2026,
    admin,
    approved_registration,
    assigned,
    emitted,
    exhibitor,
    feed,
    organizer,
    pdf_text,
    publish_fair,
)

app, clock = billing_support.app, billing_support.clock

PRICE_LIST = {"extras": [
    {"code": "table", "name": "Bàn phụ", "unit": "cái", "unit_price_vnd": 150_000, "vat_category": "standard"},
    {"code": "cleaning", "name": "Phí vệ sinh thu hộ", "unit": "lần", "unit_price_vnd": 100_000,
     "vat_category": "not_subject"}]}
NAM_DAN = {"address": "Thôn Nấm Dẩn", "commune_code": "01141"}  # Xã Nấm Dẩn, Tuyên Quang (formerly Hà Giang)
HOUSEHOLD = {"kind": "household", "is_cscnnt": False, "name": "Hộ kinh doanh Lò Thị Hường – Thổ cẩm Đồng Văn",
             "tax_code": "001087012345"}


async def issue(app, client, *, extras: bool, **who) -> str:
    """Approve, order extras (or not), assign A01 and A02; the invoice's id."""
    fair_id = await publish_fair(app)
    await client.put(f"/fairs/{fair_id}/price-list", json=PRICE_LIST, headers=organizer(app))
    registration_id, exhibitor_id = await approved_registration(app, fair_id, **who)
    if extras:
        res = await client.post(f"/registrations/{registration_id}/extras", headers=organizer(app),
                                json={"items": [{"code": "table", "quantity": 2}, {"code": "cleaning", "quantity": 1}]})
        assert res.status_code == 200, res.text
    await feed(app, assigned(fair_id, registration_id, exhibitor_id, codes=["A01", "A02"]))
    [issued] = [e for e in await emitted(app, "invoice.issued") if e.registration_id == registration_id]
    return str(issued.invoice_id)


def line(position: int, name: str, unit: str, quantity: int, price: int, rate: str) -> str:
    return f"""
        <HHDVu>
          <TChat>1</TChat>
          <STT>{position}</STT>
          <THHDVu>{name}</THHDVu>
          <DVTinh>{unit}</DVTinh>
          <SLuong>{quantity}</SLuong>
          <DGia>{price}</DGia>
          <ThTien>{quantity * price}</ThTien>
          <TSuat>{rate}</TSuat>
        </HHDVu>"""


def rate(code: str, net: int, vat: int) -> str:
    return f"""
          <LTSuat>
            <TSuat>{code}</TSuat>
            <ThTien>{net}</ThTien>
            <TThue>{vat}</TThue>
          </LTSuat>"""


def document(invoice_id: str, *, number: int, general_extra: str, buyer: str, lines: str, rates: str,
             totals: str) -> str:
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<HDon>
  <DLHDon Id="HD{invoice_id}">
    <TTChung>
      <PBan>2.1.0</PBan>
      <THDon>Hóa đơn giá trị gia tăng</THDon>
      <KHMSHDon>1</KHMSHDon>
      <KHHDon>C26TAA</KHHDon>
      <SHDon>{number}</SHDon>
      <NLap>2026-05-10</NLap>
      <DVTTe>VND</DVTTe>
      <TGia>1</TGia>
      <HTTToan>TM/CK</HTTToan>{general_extra}
    </TTChung>
    <NDHDon>
      <NBan>
        <Ten>Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang</Ten>
        <MST>0100233488</MST>
        <DChi>Tuyên Quang</DChi>
      </NBan>
      <NMua>{buyer}
      </NMua>
      <DSHHDVu>{lines}
      </DSHHDVu>
      <TToan>
        <THTTLTSuat>{rates}
        </THTTLTSuat>{totals}
      </TToan>
    </NDHDon>
  </DLHDon>
  <MCCQT/>
  <DSCKS>
    <NBan/>
  </DSCKS>
</HDon>
"""


BOOTHS = "Thuê gian hàng tiêu chuẩn 3m×3m – Hội chợ Xuân Tuyên Quang 2026 (A01, A02)"


async def xml_of(app, client, invoice_id: str) -> str:
    res = await client.get(f"/invoices/{invoice_id}.xml", headers=admin(app))
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("application/xml")
    return res.text


class TestGoldenDocuments:
    async def test_an_invoice_the_exhibitor_and_a_programme_pay_together(self, app):
        async with running_app(app) as client:
            await client.post("/subsidy-programmes", json=LOCAL, headers=organizer(app))
            invoice_id = await issue(app, client, extras=True, **NAM_DAN)
            xml = await xml_of(app, client, invoice_id)
        # The address line, then the commune and the province named from the event's codes.
        # net 10 000 000 (8%) + 300 000 (10%) + 100 000 (KCT) = 10 400 000; VAT 800 000 + 30 000 = 830 000;
        # total 11 230 000, of which the programme pays 2 × 2 000 000 (half a booth with VAT, capped).
        assert xml == document(
            invoice_id, number=1, general_extra="",
            buyer="""
        <Ten>HTX Chè Shan tuyết Đồng Văn</Ten>
        <MST>0100109106</MST>
        <DChi>Thôn Nấm Dẩn, xã Nấm Dẩn, tỉnh Tuyên Quang</DChi>""",
            lines=line(1, BOOTHS, "gian", 2, 5_000_000, "8%") + line(2, "Bàn phụ", "cái", 2, 150_000, "10%")
            + line(3, "Phí vệ sinh thu hộ", "lần", 1, 100_000, "KCT"),
            rates=rate("8%", 10_000_000, 800_000) + rate("10%", 300_000, 30_000) + rate("KCT", 100_000, 0),
            totals="""
        <TgTCThue>10400000</TgTCThue>
        <TgTThue>830000</TgTThue>
        <TgTTTBSo>11230000</TgTTTBSo>
        <TgTTTBChu>Mười một triệu hai trăm ba mươi nghìn đồng</TgTTTBChu>
        <TTKhac>
          <TTin>
            <TTruong>Kinh phí khuyến công hỗ trợ</TTruong>
            <KDLieu>numeric</KDLieu>
            <DLieu>4000000</DLieu>
          </TTin>
          <TTin>
            <TTruong>Số tiền đơn vị mua hàng thanh toán</TTruong>
            <KDLieu>numeric</KDLieu>
            <DLieu>7230000</DLieu>
          </TTin>
          <TTin>
            <TTruong>Ghi chú</TTruong>
            <KDLieu>string</KDLieu>
            <DLieu>Kinh phí Khuyến công địa phương tỉnh Tuyên Quang 2026 hỗ trợ 50% giá thuê gian hàng, tối đa \
2.000.000 đồng/gian: 4.000.000 ₫ cho 2 gian.</DLieu>
          </TTin>
        </TTKhac>""")
        schema().assertValid(etree.fromstring(xml.encode()))

    async def test_a_household_with_a_12_digit_personal_number_paying_alone(self, app):
        app.state.billing = BillingSettings(overdue_check_enabled=False, einvoice_provider_tax_code="0101352495")
        async with running_app(app) as client:
            invoice_id = await issue(app, client, extras=False, **HOUSEHOLD)
            xml = await xml_of(app, client, invoice_id)
        # The household's personal identification number is its tax code, and its CCCDan as well. Its event
        # carries no commune: the address line and the province.
        assert xml == document(
            invoice_id, number=1, general_extra="\n      <MSTTCGP>0101352495</MSTTCGP>",
            buyer="""
        <Ten>Hộ kinh doanh Lò Thị Hường – Thổ cẩm Đồng Văn</Ten>
        <MST>001087012345</MST>
        <DChi>Thị trấn Đồng Văn, tỉnh Tuyên Quang</DChi>
        <CCCDan>001087012345</CCCDan>""",
            lines=line(1, BOOTHS, "gian", 2, 5_000_000, "8%"), rates=rate("8%", 10_000_000, 800_000),
            totals="""
        <TgTCThue>10000000</TgTCThue>
        <TgTThue>800000</TgTThue>
        <TgTTTBSo>10800000</TgTTTBSo>
        <TgTTTBChu>Mười triệu tám trăm nghìn đồng</TgTTTBChu>""")
        schema().assertValid(etree.fromstring(xml.encode()))


def changed(xml: str, path: str, text: str | None = None, *, remove: bool = False) -> etree._Element:
    """The document with the element at ``path`` given ``text``, or removed."""
    root = etree.fromstring(xml.encode())
    element = root.find(path)
    assert element is not None, path
    if remove:
        element.getparent().remove(element)
    else:
        element.text = text
    return root


class TestTheSchema:
    """The schema the documents are checked against refuses what the format refuses."""

    @pytest.mark.parametrize(("path", "text", "remove"), [
        ("DLHDon/NDHDon/TToan/TgTTTBChu", None, True),  # the words are required
        ("DLHDon/NDHDon/NMua/MST", "01001091061", False),  # 11 digits is no tax code
        ("DLHDon/TTChung/KHHDon", "C26TA", False),  # a symbol has six characters
        ("DLHDon/NDHDon/DSHHDVu/HHDVu/TSuat", "7%", False),  # no such rate
        ("DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat/ThTien", "10000000.5", False),  # whole đồng
        ("DLHDon/TTChung/SHDon", "0", False),  # numbers start at 1
        ("DSCKS", None, True),  # the signature slot is part of the document
    ])
    async def test_a_broken_document_is_refused(self, app, path, text, remove):
        async with running_app(app) as client:
            xml = await xml_of(app, client, await issue(app, client, extras=False))
        assert schema().validate(etree.fromstring(xml.encode()))
        assert not schema().validate(changed(xml, path, text, remove=remove))

    async def test_two_summaries_of_one_rate_are_refused(self, app):
        async with running_app(app) as client:
            xml = await xml_of(app, client, await issue(app, client, extras=False))
        root = etree.fromstring(xml.encode())
        summary = root.find("DLHDon/NDHDon/TToan/THTTLTSuat")
        summary.append(etree.fromstring(etree.tostring(summary[0])))
        assert not schema().validate(root)


class TestWhoReadsIt:
    async def test_the_same_readers_as_the_invoice_pdf(self, app):
        async with running_app(app) as client:
            invoice_id = await issue(app, client, extras=False)
            owner = (await client.get(f"/invoices/{invoice_id}", headers=admin(app))).json()["exhibitor_id"]
            url = f"/invoices/{invoice_id}.xml"
            answers = {
                "owner": await client.get(url, headers=exhibitor(app, owner)),
                "organizer": await client.get(url, headers=organizer(app)),
                "stranger": await client.get(url, headers=exhibitor(app, "ex-other")),
                "other centre": await client.get(url, headers=organizer(app, "hg")),
                "regional": await client.get(url, headers=token(app.state.settings, "regional", centre_id="tq")),
                "anonymous": await client.get(url),
            }
            documented = (await client.get("/openapi.json")).json()["paths"]["/invoices/{invoice_id}.xml"]["get"]
        assert {who: res.status_code for who, res in answers.items()} == {
            "owner": 200, "organizer": 200, "stranger": 404, "other centre": 404, "regional": 403, "anonymous": 401}
        assert answers["owner"].text == answers["organizer"].text
        assert answers["owner"].headers["content-disposition"] == 'inline; filename="hoa-don-C26TAA-00000001.xml"'
        assert "application/xml" in documented["responses"]["200"]["content"]


async def cancellation_id(app, invoice_id: str) -> str:
    async with app.state.runtime.db.sessions() as session:
        query = select(InvoiceCancellation).where(InvoiceCancellation.invoice_id == invoice_id)
        row = (await session.exec(query)).one()
    return row.id


class TestCancellationNotice:
    """The cancellation as the seller's notice (04/SS-HĐĐT), referring to the original it cancels."""

    async def test_the_notice_names_the_original_by_form_symbol_number_and_date(self, app, clock):
        async with running_app(app) as client:
            invoice_id = await issue(app, client, extras=False)
            url = f"/invoices/{invoice_id}/cancellation.xml"
            standing = await client.get(url, headers=admin(app))
            detail = (await client.get(f"/invoices/{invoice_id}", headers=admin(app))).json()
            clock.now = MAY_2026 + timedelta(days=3, hours=16)  # 14 May, 02:00 in Hà Nội (still the 13th in UTC)
            await feed(app, RegistrationCancelled(fair_id=detail["fair_id"], registration_id=detail["registration_id"],
                                                  exhibitor_id=detail["exhibitor_id"], reason="unpaid"))
            notice = await client.get(url, headers=exhibitor(app, detail["exhibitor_id"]))
            stranger = await client.get(url, headers=exhibitor(app, "ex-other"))
            document_id = await cancellation_id(app, invoice_id)
        assert (standing.status_code, standing.json()["type"].rsplit("/", 1)[-1]) == (404, "not-voided")
        assert stranger.status_code == 404
        assert notice.status_code == 200 and notice.headers["content-type"].startswith("application/xml")
        assert notice.headers["content-disposition"] == 'inline; filename="HUY-C26TAA-00000001.xml"'
        assert notice.text == f"""<?xml version='1.0' encoding='UTF-8'?>
<TBao>
  <DLTBao Id="TB{document_id}">
    <PBan>2.1.0</PBan>
    <MSo>04/SS-HĐĐT</MSo>
    <Ten>Thông báo hóa đơn điện tử có sai sót</Ten>
    <Loai>1</Loai>
    <TNNT>Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang</TNNT>
    <MST>0100233488</MST>
    <NTBao>2026-05-14</NTBao>
    <DSHDon>
      <HDon>
        <STT>1</STT>
        <KHMSHDon>1</KHMSHDon>
        <KHHDon>C26TAA</KHHDon>
        <SHDon>1</SHDon>
        <Ngay>2026-05-10</Ngay>
        <LADHDDT>1</LADHDDT>
        <TCTBao>1</TCTBao>
        <LDo>Hủy theo văn bản HUY-C26TAA-00000001: Quá hạn thanh toán / not paid by the due date</LDo>
      </HDon>
    </DSHDon>
  </DLTBao>
  <DSCKS>
    <NNT/>
  </DSCKS>
</TBao>
"""
        root = etree.fromstring(notice.content)
        assert notice_schema().validate(root)
        root.find("DLTBao/DSHDon/HDon/TCTBao").text = "5"  # no such kind of notice
        assert not notice_schema().validate(root)


class TestCancellationPdf:
    """The cancellation document as PDF: its own number and day, the parties, the original it cancels."""

    async def test_the_pdf_names_the_original_by_form_symbol_number_and_date(self, app, clock):
        async with running_app(app) as client:
            invoice_id = await issue(app, client, extras=False, **NAM_DAN)
            url = f"/invoices/{invoice_id}/cancellation.pdf"
            standing = await client.get(url, headers=admin(app))
            detail = (await client.get(f"/invoices/{invoice_id}", headers=admin(app))).json()
            clock.now = MAY_2026 + timedelta(days=3, hours=16)  # 14 May, 02:00 in Hà Nội (still the 13th in UTC)
            await feed(app, RegistrationCancelled(fair_id=detail["fair_id"], registration_id=detail["registration_id"],
                                                  exhibitor_id=detail["exhibitor_id"], reason="unpaid"))
            owner = await client.get(url, headers=exhibitor(app, detail["exhibitor_id"]))
            answers = {
                "organizer": await client.get(url, headers=organizer(app)),
                "stranger": await client.get(url, headers=exhibitor(app, "ex-other")),
                "other centre": await client.get(url, headers=organizer(app, "hg")),
                "regional": await client.get(url, headers=token(app.state.settings, "regional", centre_id="tq")),
                "anonymous": await client.get(url),
            }
            documented = (await client.get("/openapi.json")).json()["paths"][
                "/invoices/{invoice_id}/cancellation.pdf"]["get"]
        assert (standing.status_code, standing.json()["type"].rsplit("/", 1)[-1]) == (404, "not-voided")
        assert {who: res.status_code for who, res in answers.items()} == {
            "organizer": 200, "stranger": 404, "other centre": 404, "regional": 403, "anonymous": 401}
        assert owner.status_code == 200 and owner.headers["content-type"] == "application/pdf"
        assert owner.headers["content-disposition"] == 'inline; filename="HUY-C26TAA-00000001.pdf"'
        assert "application/pdf" in documented["responses"]["200"]["content"]
        assert pdf_text(owner.content).replace("\xa0", " ").splitlines() == [
            "VĂN BẢN HỦY HÓA ĐƠN ĐIỆN TỬ",
            "(Bản thể hiện; thông báo với cơ quan thuế theo Mẫu 04/SS-HĐĐT)",
            "Ngày 14 tháng 05 năm 2026",
            "Số: HUY-C26TAA-00000001",
            "Đơn vị bán hàng: Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang",
            "Mã số thuế: 0100233488",
            "Địa chỉ: Tuyên Quang",
            "Đơn vị mua hàng: HTX Chè Shan tuyết Đồng Văn",
            "Mã số thuế: 0100109106",
            "Địa chỉ: Thôn Nấm Dẩn, xã Nấm Dẩn, tỉnh Tuyên Quang",
            "Hóa đơn bị hủy / invoice cancelled:",
            "Mẫu số Ký hiệu Số Ngày lập Tổng cộng tiền thanh toán",
            "1 C26TAA 00000001 10/05/2026 10.800.000 ₫",
            "Lý do hủy: Quá hạn thanh toán / not paid by the due date",
            "Hóa đơn trên không còn giá trị kể từ ngày hủy; hóa đơn được giữ nguyên, không xóa và không đánh lại",
            "số.",
            "Người bán hàng",
            "(Chữ ký số, ghi rõ họ tên)"]
