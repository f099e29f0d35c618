"""A cancellation as the seller's notice to the tax authority (TBao, form 04/SS-HĐĐT), ready to be signed.

It refers to the original by form, symbol, number and date, says it is a cancellation (TCTBao 1) and why,
naming billing's own cancellation document (HUY-…). Checked against ``tbao.xsd``, written from the
specification (docs/billing.md, "E-invoice XML").
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from services.billing.adapters.einvoice import xml_text
from services.billing.adapters.einvoice.hdon import FORMAT_VERSION
from services.billing.domain.invoices import cancellation_reason, issue_date
from services.billing.models import Invoice, InvoiceCancellation

SCHEMA = Path(__file__).with_name("tbao.xsd")
FORM = "04/SS-HĐĐT"
TITLE = "Thông báo hóa đơn điện tử có sai sót"
OWN_NOTICE = 1  # Loai: the seller's own notice, not an answer to one of the authority's
UNDER_DECREE_123 = 1  # LADHDDT: an invoice under Decree 123/2020
CANCELLATION = 1  # TCTBao: cancel (2 adjust, 3 replace, 4 explain)


def _add(parent: etree._Element, tag: str, text: str | int) -> None:
    etree.SubElement(parent, tag).text = xml_text(text)


def build_tbao(invoice: Invoice, cancellation: InvoiceCancellation) -> etree._Element:
    """The TBao element: the seller, the day, the original invoice cancelled and why; a signature slot."""
    root = etree.Element("TBao")
    data = etree.SubElement(root, "DLTBao", Id=f"TB{cancellation.id}")
    for tag, text in (("PBan", FORMAT_VERSION), ("MSo", FORM), ("Ten", TITLE), ("Loai", OWN_NOTICE),
                      ("TNNT", invoice.seller_name), ("MST", invoice.seller_tax_code),
                      ("NTBao", issue_date(cancellation.created_at).isoformat())):
        _add(data, tag, text)
    original = etree.SubElement(etree.SubElement(data, "DSHDon"), "HDon")
    reason = f"Hủy theo văn bản {cancellation.number}: {cancellation_reason(cancellation.reason)}"
    for tag, text in (("STT", 1), ("KHMSHDon", invoice.form), ("KHHDon", invoice.symbol), ("SHDon", invoice.number),
                      ("Ngay", invoice.issued_on.isoformat()), ("LADHDDT", UNDER_DECREE_123),
                      ("TCTBao", CANCELLATION), ("LDo", reason[:255])):
        _add(original, tag, text)
    etree.SubElement(etree.SubElement(root, "DSCKS"), "NNT")  # the seller's signature goes here
    return root


def render_tbao(invoice: Invoice, cancellation: InvoiceCancellation) -> bytes:
    """The notice as UTF-8 XML bytes with a declaration."""
    return bytes(etree.tostring(build_tbao(invoice, cancellation), xml_declaration=True, encoding="UTF-8",
                                pretty_print=True))


@cache
def schema() -> etree.XMLSchema:
    """The schema the notice is checked against (parsed once)."""
    return etree.XMLSchema(etree.parse(str(SCHEMA)))
