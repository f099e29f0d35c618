"""The invoice as a PDF in Vietnamese (the printable rendering of the e-invoice), with fpdf2 and DejaVu fonts.

DejaVu Sans has every Vietnamese glyph (ă â đ ê ô ơ ư and the five tones, stacked); fpdf2 embeds the
subset used. The fonts ship inside matplotlib's data, so nothing is downloaded at run time.

Speed: fpdf2 parses the whole font file (≈6,000 glyphs a face) for every document and subsets it again at the
end — ≈170 ms of CPU for an invoice, most of a saga's cost. A document is therefore first drawn with the three
faces cut down once to the characters invoices print (`COMMON_CHARACTERS`: Latin, every Vietnamese letter, the
punctuation, ₫ — ≈340 glyphs), ≈25 ms; only a document that uses a character outside them (a Greek or Cyrillic
letter in a buyer's name) is drawn again with the whole fonts. The text of the PDF is the same either way.
"""

from __future__ import annotations

import copy
import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from pathlib import Path

import structlog
from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import TableCellFillMode
from fpdf.fonts import SubsetMap, TTFFont

from services.billing.domain.amounts import format_vnd
from services.billing.domain.invoices import cancellation_reason, issue_date
from services.billing.domain.numbering import format_invoice_number
from services.billing.models import Invoice, InvoiceCancellation
from services.billing.service.queries import InvoiceView

log = structlog.get_logger()
FONT = "DejaVu"
FACES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
_RED = (180, 0, 0)
# ASCII, Latin-1 (the no-break space of amounts, ×), the Vietnamese letters outside it (Ă Đ Ĩ Ũ Ơ Ư and
# U+1EA0–U+1EF9), the combining tone marks of decomposed text, dashes, quotes and bullets, ‰ ‹ ›, ₫ €, №, ™.
COMMON_CHARACTERS = frozenset(
    code for low, high in ((0x20, 0x7E), (0xA0, 0xFF), (0x102, 0x103), (0x110, 0x111), (0x128, 0x129),
                           (0x168, 0x169), (0x1A0, 0x1A1), (0x1AF, 0x1B0), (0x300, 0x303), (0x309, 0x309),
                           (0x323, 0x323), (0x1EA0, 0x1EF9), (0x2010, 0x2027), (0x2030, 0x203A),
                           (0x20AB, 0x20AC), (0x2116, 0x2116), (0x2122, 0x2122))
    for code in range(low, high + 1))


@cache
def font_dir() -> Path:
    """Where the DejaVu TrueType fonts are (matplotlib's data directory)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _money(vnd: int) -> str:
    return format_vnd(vnd, nbsp=True)


def _day(day: date) -> str:
    return f"Ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def whole_fonts() -> dict[str, Path]:
    """The three DejaVu faces as shipped, by style."""
    return {style: font_dir() / name for style, name in FACES.items()}


@cache
def common_fonts() -> dict[str, Path] | None:
    """The three faces cut down to `COMMON_CHARACTERS`, by style; None when they cannot be written (the whole
    fonts are used then). Made once per machine and font version, in the temporary directory, named by what
    they are made from; written beside and renamed, so processes making them at once never see half a file."""
    try:
        sources = {style: (path, path.stat()) for style, path in whole_fonts().items()}
        key = hashlib.sha256(repr((sorted(COMMON_CHARACTERS), ttLib.__file__, [
            (str(path), stat.st_size, stat.st_mtime_ns) for path, stat in sources.values()])).encode()).hexdigest()
        folder = Path(tempfile.gettempdir()) / f"hangviet-fonts-{key[:16]}"
        folder.mkdir(exist_ok=True)
        made = {}
        for style, (path, _) in sources.items():
            target = folder / path.name
            if not target.exists():
                _cut(path, target)
            made[style] = target
        return made
    except (OSError, ttLib.TTLibError) as exc:
        log.warning("billing.pdf_fonts_not_cut", error=repr(exc))
        return None


def _cut(source: Path, target: Path) -> None:
    font = ttLib.TTFont(source, recalcTimestamp=False)
    wanted = [code for code in font.getBestCmap() if code in COMMON_CHARACTERS]
    options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True,
                               name_IDs=["*"], name_languages=["*"], name_legacy=True, layout_features=[])
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    partial = target.with_name(f"{target.name}.{os.getpid()}.part")
    font.save(partial)
    os.replace(partial, target)


def new_document(title: str = "Hóa đơn giá trị gia tăng", *, fonts: Mapping[str, Path] | None = None) -> FPDF:
    """An A4 portrait document with the DejaVu family registered (regular, bold, italic): the whole fonts, or
    `fonts` (e.g. `common_fonts()`)."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    if fonts is None:
        for style, path in whole_fonts().items():
            pdf.add_font(FONT, style, str(path))
    else:
        for key, parsed in _parsed(tuple(sorted(fonts.items()))).items():
            pdf.fonts[key] = _for_one_document(parsed)
    pdf.set_title(title)
    pdf.set_creator("hangviet billing")
    pdf.add_page()
    return pdf


@cache
def _parsed(fonts: tuple[tuple[str, Path], ...]) -> dict[str, TTFFont]:
    """The faces as fpdf2 reads them (widths, character map, descriptor), once per process: reading them was
    ≈10 ms of each document even cut down. Never drawn with: each document gets a copy (`_for_one_document`)."""
    reader = FPDF()
    for style, path in fonts:
        reader.add_font(FONT, style, str(path))
    return {key: font for key, font in reader.fonts.items() if isinstance(font, TTFFont)}


def _for_one_document(parsed: TTFFont) -> TTFFont:
    """A copy of a parsed face with the state one document changes of its own: the glyphs it used (its subset),
    the characters it missed, its biggest size, and the font file fpdf2 subsets in place when it writes the PDF
    (opened lazily: tables are read when the subset needs them). What it shares is only read (the widths and
    character map; a width read for a character the face lacks adds the face's default width)."""
    font = copy.copy(parsed)
    font.ttfont = ttLib.TTFont(parsed.ttffile, recalcTimestamp=False, lazy=True)
    font.ttfont.recalcBBoxes = False  # glyph boxes computed when the faces were cut: not again at each document's end
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    return font


def drawn(title: str, draw: Callable[[FPDF], None]) -> FPDF:
    """The document `draw` lays out: with the common fonts, or the whole ones when it printed a character
    outside them (a glyph the whole fonts lack too is then reported by `missing_glyphs`)."""
    common = common_fonts()
    if common is not None:
        pdf = new_document(title, fonts=common)
        draw(pdf)
        if not missing_glyphs(pdf):
            return pdf
    pdf = new_document(title)
    draw(pdf)
    return pdf


def build_invoice_pdf(view: InvoiceView) -> FPDF:
    """Lay the invoice out: header, parties, lines, totals per VAT rate, total and its words, who pays it."""

    def draw(pdf: FPDF) -> None:
        _header(pdf, view)
        _parties(pdf, view)
        _lines(pdf, view)
        _totals(pdf, view)
        _footer(pdf, view)

    return drawn("Hóa đơn giá trị gia tăng", draw)


def render_invoice(view: InvoiceView) -> bytes:
    """The invoice as PDF bytes."""
    return bytes(build_invoice_pdf(view).output())


def missing_glyphs(pdf: FPDF) -> list[str]:
    """Characters some font of the document could not draw (empty when every glyph rendered)."""
    return sorted({chr(code) for font in pdf.fonts.values() for code in getattr(font, "missing_glyphs", [])})


def _header(pdf: FPDF, view: InvoiceView) -> None:
    inv = view.invoice
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 8, "HÓA ĐƠN GIÁ TRỊ GIA TĂNG", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "I", 9)
    pdf.cell(0, 5, "(Bản thể hiện của hóa đơn điện tử)", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, _day(inv.issued_on), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, f"Mẫu số: {inv.form}    Ký hiệu: {inv.symbol}    Số: {format_invoice_number(inv.number)}",
             align="R", new_x="LMARGIN", new_y="NEXT")
    if view.authority_code:
        pdf.cell(0, 5, f"Mã của cơ quan thuế / authority code: {view.authority_code}", align="R",
                 new_x="LMARGIN", new_y="NEXT")
    if view.cancellation is not None:
        pdf.set_text_color(*_RED)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 6, f"ĐÃ HỦY – theo văn bản hủy số {view.cancellation.number}", align="C",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 9)
        cancelled_on = issue_date(view.cancellation.created_at)
        pdf.cell(0, 5, f"Ngày hủy: {cancelled_on.strftime('%d/%m/%Y')} – Lý do: "
                       f"{cancellation_reason(view.cancellation.reason)}", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def _party(pdf: FPDF, label: str, name: str, tax_code: str, address: str) -> None:
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(0, 5, f"{label}: {name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 5, f"Mã số thuế: {tax_code}", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, f"Địa chỉ: {address or '—'}", new_x="LMARGIN", new_y="NEXT")


def _parties(pdf: FPDF, view: InvoiceView) -> None:
    inv = view.invoice
    _party(pdf, "Đơn vị bán hàng", inv.seller_name, inv.seller_tax_code, inv.seller_address)
    pdf.ln(1)
    _party(pdf, "Đơn vị mua hàng", inv.buyer_name, inv.buyer_tax_code, inv.buyer_address)
    pdf.cell(0, 5, "Hình thức thanh toán: Tiền mặt/Chuyển khoản", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _lines(pdf: FPDF, view: InvoiceView) -> None:
    pdf.set_font(FONT, "", 8.5)
    widths = (9, 71, 12, 12, 25, 27, 14)
    with pdf.table(col_widths=widths, text_align=("CENTER", "LEFT", "CENTER", "RIGHT", "RIGHT", "RIGHT", "CENTER"),
                   cell_fill_mode=TableCellFillMode.NONE, line_height=4.5) as table:
        table.row(("STT", "Tên hàng hóa, dịch vụ", "ĐVT", "Số lượng", "Đơn giá", "Thành tiền chưa thuế",
                   "Thuế suất"))
        for row in view.lines:
            table.row((str(row.position), row.description, row.unit, f"{row.quantity:,}".replace(",", "."),
                       _money(row.unit_price_vnd), _money(row.net_vnd), row.vat_rate))
    pdf.ln(2)


def _totals(pdf: FPDF, view: InvoiceView) -> None:
    inv, totals = view.invoice, view.totals
    pdf.set_font(FONT, "", 9)
    with pdf.table(col_widths=(40, 50, 50), width=140, align="RIGHT", line_height=4.5,
                   text_align=("CENTER", "RIGHT", "RIGHT")) as table:
        table.row(("Thuế suất GTGT", "Thành tiền chưa thuế", "Tiền thuế GTGT"))
        for code, net in totals.net_by_rate.items():
            label = "Không chịu thuế (KCT)" if code == "KCT" else code
            table.row((label, _money(net), _money(totals.vat_by_rate[code])))
    pdf.ln(1)
    for label, amount in (("Cộng tiền hàng chưa thuế", inv.net_vnd), ("Tiền thuế GTGT", inv.vat_vnd),
                          ("Tổng cộng tiền thanh toán", inv.total_vnd)):
        pdf.set_font(FONT, "B" if label.startswith("Tổng") else "", 10)
        pdf.cell(130, 6, f"{label}:", align="R")
        pdf.cell(0, 6, _money(amount), align="R", new_x="LMARGIN", new_y="NEXT")
    # The words spell the figure just above them, the invoice's own total (docs/billing.md, "Two payers").
    pdf.set_font(FONT, "I", 10)
    pdf.multi_cell(0, 6, f"Số tiền viết bằng chữ: {inv.amount_in_words}.", new_x="LMARGIN", new_y="NEXT")
    if inv.subsidy_programme_id is not None:
        _settlement(pdf, view)


def _settlement(pdf: FPDF, view: InvoiceView) -> None:
    """Who pays the total: a note beside the invoice's figures, not a change to them."""
    inv = view.invoice
    pdf.ln(1)
    pdf.set_font(FONT, "B", 9)
    pdf.cell(0, 5, "Thanh toán tổng cộng tiền thanh toán theo người trả tiền / Settlement of the total by payer:",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    for label, amount in (("Kinh phí khuyến công hỗ trợ / paid by the programme", inv.subsidy_vnd),
                          ("Đơn vị mua hàng thanh toán / paid by the buyer", inv.payable_vnd)):
        pdf.cell(130, 5, f"{label}:", align="R")
        pdf.cell(0, 5, _money(amount), align="R", new_x="LMARGIN", new_y="NEXT")


def _footer(pdf: FPDF, view: InvoiceView) -> None:
    inv = view.invoice
    if inv.subsidy_note:
        pdf.set_font(FONT, "", 9)
        pdf.multi_cell(0, 5, f"Ghi chú: {inv.subsidy_note}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 6, f"Hạn thanh toán: {inv.due_on.strftime('%d/%m/%Y')}", new_x="LMARGIN", new_y="NEXT")
    if inv.paid_vnd:
        pdf.cell(0, 5, f"Đã thanh toán: {_money(inv.paid_vnd)}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(FONT, "B", 10)
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.cell(half, 6, "Người mua hàng", align="C")
    pdf.cell(half, 6, "Người bán hàng", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "I", 8)
    pdf.cell(half, 5, "(Ký, ghi rõ họ tên)", align="C")
    pdf.cell(half, 5, "(Chữ ký số, ghi rõ họ tên)", align="C", new_x="LMARGIN", new_y="NEXT")


def build_cancellation_pdf(invoice: Invoice, cancellation: InvoiceCancellation) -> FPDF:
    """Lay the cancellation document out: its number and day, the parties, the original it cancels and why.

    The printable companion of the 04/SS-HĐĐT notice (einvoice/tbao.py): it names the original by form,
    symbol, number and date as the notice does, and adds its total so a reader can match it to the invoice.
    """
    def draw(pdf: FPDF) -> None:
        pdf.set_font(FONT, "B", 15)
        pdf.cell(0, 8, "VĂN BẢN HỦY HÓA ĐƠN ĐIỆN TỬ", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "I", 9)
        pdf.cell(0, 5, "(Bản thể hiện; thông báo với cơ quan thuế theo Mẫu 04/SS-HĐĐT)", align="C",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 5, _day(issue_date(cancellation.created_at)), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 10)
        pdf.cell(0, 6, f"Số: {cancellation.number}", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        _party(pdf, "Đơn vị bán hàng", invoice.seller_name, invoice.seller_tax_code, invoice.seller_address)
        pdf.ln(1)
        _party(pdf, "Đơn vị mua hàng", invoice.buyer_name, invoice.buyer_tax_code, invoice.buyer_address)
        pdf.ln(2)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(0, 6, "Hóa đơn bị hủy / invoice cancelled:", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 10)
        with pdf.table(col_widths=(20, 30, 35, 40, 55), line_height=5,
                       text_align=("CENTER", "CENTER", "CENTER", "CENTER", "RIGHT")) as table:
            table.row(("Mẫu số", "Ký hiệu", "Số", "Ngày lập", "Tổng cộng tiền thanh toán"))
            table.row((invoice.form, invoice.symbol, format_invoice_number(invoice.number),
                       invoice.issued_on.strftime("%d/%m/%Y"), _money(invoice.total_vnd)))
        pdf.ln(2)
        pdf.multi_cell(0, 5, f"Lý do hủy: {cancellation_reason(cancellation.reason)}", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 5, "Hóa đơn trên không còn giá trị kể từ ngày hủy; hóa đơn được giữ nguyên, không xóa và "
                             "không đánh lại số.", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        pdf.set_font(FONT, "B", 10)
        half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
        pdf.cell(half, 6, "")
        pdf.cell(half, 6, "Người bán hàng", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "I", 8)
        pdf.cell(half, 5, "")
        pdf.cell(half, 5, "(Chữ ký số, ghi rõ họ tên)", align="C", new_x="LMARGIN", new_y="NEXT")

    return drawn("Văn bản hủy hóa đơn điện tử", draw)


def render_cancellation(invoice: Invoice, cancellation: InvoiceCancellation) -> bytes:
    """The cancellation document as PDF bytes."""
    return bytes(build_cancellation_pdf(invoice, cancellation).output())
