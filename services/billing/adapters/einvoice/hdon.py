"""An invoice as the XML data document of the tax authority's format (HDon), ready to be signed.

The format is Quyết định 1450/QĐ-TCT as updated (PBan 2.1.0); the schema billing checks it against is
``hdon.xsd`` beside this module, written from the specification (docs/billing.md, "E-invoice XML"). The
document carries the invoice as issued: a voided invoice's data stay as they were, its cancellation is a
document of its own.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from services.billing.adapters.einvoice import xml_text
from services.billing.service.queries import InvoiceView

FORMAT_VERSION = "2.1.0"
SCHEMA = Path(__file__).with_name("hdon.xsd")
INVOICE_TITLE = {"1": "Hóa đơn giá trị gia tăng", "2": "Hóa đơn bán hàng"}
PAYMENT_METHOD = "TM/CK"  # tiền mặt hoặc chuyển khoản, as the PDF says ("Tiền mặt/Chuyển khoản")
# A buyer's 12-digit personal identification number is its tax code since 1 July 2025 (TT 86/2024/TT-BTC);
# it is also given as the buyer's CCCDan, the field the 2025 format added for it.
PERSONAL_ID_DIGITS = 12


def _add(parent: etree._Element, tag: str, text: str | int | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = xml_text(text)
    return element


def _other(parent: etree._Element, fields: list[tuple[str, str, str | int]]) -> None:
    """TTKhac: extra fields of the document as (name, kind "string"/"numeric", value)."""
    other = _add(parent, "TTKhac")
    for name, kind, value in fields:
        item = _add(other, "TTin")
        _add(item, "TTruong", name)
        _add(item, "KDLieu", kind)
        _add(item, "DLieu", value)


def build_hdon(view: InvoiceView, *, provider_tax_code: str = "") -> etree._Element:
    """The HDon element: DLHDon (general data, parties, lines, totals), the MCCQT slot, the signature slots."""
    inv = view.invoice
    root = etree.Element("HDon")
    data = _add(root, "DLHDon")
    data.set("Id", f"HD{inv.id}")
    _general(_add(data, "TTChung"), view, provider_tax_code)
    content = _add(data, "NDHDon")
    _seller(_add(content, "NBan"), view)
    _buyer(_add(content, "NMua"), view)
    _lines(_add(content, "DSHHDVu"), view)
    _totals(_add(content, "TToan"), view)
    if inv.symbol.startswith("C"):
        # The authority's code once it came back (empty until then); an invoice without code (K…) has none.
        _add(root, "MCCQT", view.authority_code)
    _add(_add(root, "DSCKS"), "NBan")  # the seller's signature goes here when the document is signed
    return root


def render_hdon(view: InvoiceView, *, provider_tax_code: str = "") -> bytes:
    """The document as UTF-8 XML bytes with a declaration."""
    return bytes(etree.tostring(build_hdon(view, provider_tax_code=provider_tax_code), xml_declaration=True,
                                encoding="UTF-8", pretty_print=True))


@cache
def schema() -> etree.XMLSchema:
    """The schema billing's documents are checked against (parsed once)."""
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def _general(general: etree._Element, view: InvoiceView, provider_tax_code: str) -> None:
    inv = view.invoice
    _add(general, "PBan", FORMAT_VERSION)
    _add(general, "THDon", INVOICE_TITLE.get(inv.form, INVOICE_TITLE["1"]))
    _add(general, "KHMSHDon", inv.form)
    _add(general, "KHHDon", inv.symbol)
    _add(general, "SHDon", inv.number)
    _add(general, "NLap", inv.issued_on.isoformat())
    _add(general, "DVTTe", "VND")
    _add(general, "TGia", 1)
    _add(general, "HTTToan", PAYMENT_METHOD)
    if provider_tax_code:
        _add(general, "MSTTCGP", provider_tax_code)


def _seller(seller: etree._Element, view: InvoiceView) -> None:
    inv = view.invoice
    _add(seller, "Ten", inv.seller_name)
    _add(seller, "MST", inv.seller_tax_code)
    _add(seller, "DChi", inv.seller_address)


def _buyer(buyer: etree._Element, view: InvoiceView) -> None:
    inv = view.invoice
    _add(buyer, "Ten", inv.buyer_name)
    _add(buyer, "MST", inv.buyer_tax_code)
    _add(buyer, "DChi", inv.buyer_address)
    if len(inv.buyer_tax_code) == PERSONAL_ID_DIGITS:
        _add(buyer, "CCCDan", inv.buyer_tax_code)


def _lines(lines: etree._Element, view: InvoiceView) -> None:
    for row in view.lines:
        line = _add(lines, "HHDVu")
        _add(line, "TChat", 1)  # a good or service (not a promotion, discount or note)
        _add(line, "STT", row.position)
        _add(line, "THHDVu", row.description)
        _add(line, "DVTinh", row.unit)
        _add(line, "SLuong", row.quantity)
        _add(line, "DGia", row.unit_price_vnd)
        _add(line, "ThTien", row.net_vnd)
        _add(line, "TSuat", row.vat_rate)


def _totals(totals: etree._Element, view: InvoiceView) -> None:
    inv, by_rate = view.invoice, view.totals
    summary = _add(totals, "THTTLTSuat")
    for code, net in by_rate.net_by_rate.items():
        rate = _add(summary, "LTSuat")
        _add(rate, "TSuat", code)
        _add(rate, "ThTien", net)
        _add(rate, "TThue", by_rate.vat_by_rate[code])
    _add(totals, "TgTCThue", inv.net_vnd)
    _add(totals, "TgTThue", inv.vat_vnd)
    _add(totals, "TgTTTBSo", inv.total_vnd)
    # The words of the total just above (docs/billing.md, "Two payers"), never of one payer's share.
    _add(totals, "TgTTTBChu", inv.amount_in_words)
    if inv.subsidy_programme_id is not None:
        # Who pays the total: a settlement note beside the invoice's figures, as the PDF prints it.
        _other(totals, [("Kinh phí khuyến công hỗ trợ", "numeric", inv.subsidy_vnd),
                        ("Số tiền đơn vị mua hàng thanh toán", "numeric", inv.payable_vnd),
                        ("Ghi chú", "string", inv.subsidy_note)])
