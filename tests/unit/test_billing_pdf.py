"""The PDF renderer's fonts: every Vietnamese letter with every tone is drawn; a missing glyph is caught."""

from __future__ import annotations

import unicodedata

from services.billing.adapters.pdf import FONT, missing_glyphs, new_document

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
