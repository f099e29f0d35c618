"""The PDF renderer's fonts: every Vietnamese letter with every tone is drawn; a missing glyph is caught."""

from __future__ import annotations

import io
import unicodedata

from fpdf import FPDF
from fpdf.fonts import TTFFont
from pypdf import PdfReader

from services.billing.adapters.pdf import FONT, common_fonts, drawn, missing_glyphs, new_document, whole_fonts

VOWELS = "aăâeêioôơuưy"
TONES = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]  # ngang, huyền, sắc, ngã, hỏi, nặng


def every_vietnamese_letter() -> str:
    letters = {unicodedata.normalize("NFC", v + tone) for v in VOWELS for tone in TONES}
    text = "".join(sorted(letters)) + "đ"
    return text + text.upper()


def draw(text: str) -> list[str]:
    pdf = new_document()
    for style in ("", "B", "I"):
        pdf.set_font(FONT, style, 10)
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output()
    return missing_glyphs(pdf)


class TestGlyphs:
    def test_every_letter_with_every_tone_renders_in_regular_bold_and_italic(self):
        text = every_vietnamese_letter()
        assert len(text) == 2 * (len(VOWELS) * len(TONES) + 1)
        assert draw(text + " ₫ – × №") == []

    def test_a_glyph_the_font_lacks_is_reported(self):
        assert draw("Đồng 漢") == ["漢"]


def lines(text: str):
    def draw(pdf: FPDF) -> None:
        for style in ("", "B", "I"):
            pdf.set_font(FONT, style, 10)
            pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    return draw


def files_of(pdf: FPDF) -> set[str]:
    return {str(f.ttffile) for f in pdf.fonts.values() if isinstance(f, TTFFont)}


def text_of(pdf: FPDF) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(pdf.output()))).pages)


class TestCommonFonts:
    """Documents are drawn with the faces cut down to the common characters, the whole ones when they need more."""

    def test_vietnamese_text_is_drawn_with_the_cut_faces_and_reads_the_same(self):
        text = every_vietnamese_letter() + " Hóa đơn 5.000.000\xa0₫ – × № “Đồng Văn”"
        cut = common_fonts()
        assert cut is not None and set(cut) == {"", "B", "I"}
        pdf = drawn("t", lines(text))
        assert files_of(pdf) == {str(path) for path in cut.values()}
        whole = new_document("t")
        lines(text)(whole)
        assert missing_glyphs(pdf) == [] and text_of(pdf) == text_of(whole)

    def test_a_character_outside_them_is_drawn_with_the_whole_faces(self):
        pdf = drawn("t", lines("Đồng Văn Ωμέγα Жанна"))
        assert files_of(pdf) == {str(path) for path in whole_fonts().values()}
        assert missing_glyphs(pdf) == []
        assert "Ωμέγα Жанна" in text_of(pdf)

    def test_a_glyph_no_face_has_is_still_reported(self):
        assert missing_glyphs(drawn("t", lines("Đồng 漢"))) == ["漢"]

    def test_the_cut_faces_are_made_once_and_much_smaller(self):
        cut = common_fonts()
        assert cut is not None and common_fonts() is cut
        for style, path in whole_fonts().items():
            assert cut[style].stat().st_size < path.stat().st_size / 5

    def test_documents_drawn_one_after_another_keep_their_own_glyphs(self):
        """The parsed faces are shared; what a document used and missed is its own."""
        first = drawn("t", lines("Đồng Văn Ωμέγα"))  # tried with the cut faces first: Ω… missed there
        second = drawn("t", lines("Mèo Vạc"))
        assert files_of(second) == {str(path) for path in (common_fonts() or {}).values()}
        assert missing_glyphs(second) == []
        assert "Ωμέγα" in text_of(first) and text_of(second).splitlines()[0] == "Mèo Vạc"
        used = {chr(code) for font in second.fonts.values() if isinstance(font, TTFFont)
                for glyph, _ in font.subset.items() if glyph is not None
                for code in (glyph.unicode if isinstance(glyph.unicode, tuple) else (glyph.unicode,)) if code}
        assert not {"Đ", "ồ", "n", "g"} & used and {"M", "è", "ạ"} <= used
