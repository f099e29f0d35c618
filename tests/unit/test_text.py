"""Unit tests for shared.text: diacritic-free folding and matching, and the validated text types."""

from __future__ import annotations

import unicodedata
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field, StringConstraints, ValidationError

from shared.text import NAME, TEXT, MultilineText, Name, Text, fold, is_invisible, matches


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hoà Bình", "hoa binh"),  # old tone placement
        ("Hòa Bình", "hoa binh"),  # new tone placement
        ("HOA BINH", "hoa binh"),
        ("Đắk Lắk", "dak lak"),
        ("ĐỒNG VĂN", "dong van"),
        ("Hà Giang", "ha giang"),
        ("  Thành   phố\tHồ Chí Minh\n", "thanh pho ho chi minh"),
        ("Ðà Nẵng", "da nang"),  # Ð U+00D0, the look-alike of Đ
        ("Quốc Tử Giám", "quoc tu giam"),
        ("", ""),
    ],
)
def test_fold_golden(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_ignores_normal_form() -> None:
    nfc = unicodedata.normalize("NFC", "Lũng Cú")
    nfd = unicodedata.normalize("NFD", "Lũng Cú")
    assert nfc != nfd
    assert fold(nfc) == fold(nfd) == "lung cu"


def test_every_vietnamese_letter_folds_to_ascii() -> None:
    letters = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    folded = fold(letters + letters.upper())
    assert folded.isascii()
    assert set(folded) == set("aeiouyd")


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_fold_has_no_combining_marks_or_stray_whitespace(text: str) -> None:
    folded = fold(text)
    assert not any(unicodedata.combining(ch) for ch in folded)
    assert folded == " ".join(folded.split())


VIETNAMESE = "abcdeghiklmnopqrstuvxyàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ "


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper()))
def test_fold_ignores_case_of_vietnamese(text: str) -> None:
    assert fold(text.upper()) == fold(text.lower()) == fold(text)
    assert fold(text).isascii()


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("ha giang", "Hà Giang"),
        ("dak lak", "Tỉnh Đắk Lắk"),
        ("Hoà", "Hòa Bình"),
        ("giang ha", "Hà Giang"),  # word order is free
        ("lung", "Xã Lũng Cú"),
        ("", "anything"),
    ],
)
def test_matches(query: str, text: str) -> None:
    assert matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("ha noi", "Hà Giang"),
        ("dak nong", "Đắk Lắk"),
        ("hoa binh x", "Hòa Bình"),
    ],
)
def test_does_not_match(query: str, text: str) -> None:
    assert not matches(query, text)


@given(st.text(), st.text())
def test_text_matches_itself_and_its_parts(a: str, b: str) -> None:
    assert matches(a, a)
    assert matches(a, f"{a} {b}")


# ---- validated text inputs --------------------------------------------------------------------------------

class Sample(BaseModel):
    text: Text = ""
    multiline: MultilineText = ""
    name: Name = ""
    bounded: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10), NAME] = "x"
    field_bounded: Annotated[str, Field(max_length=10), TEXT] = ""


def refusal(**values: object) -> dict[str, object]:
    """The one error validating `values` gives."""
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(values)
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return dict(errors[0])


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
CONTROLS = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]]


class TestRefused:
    @pytest.mark.parametrize("ch", CONTROLS)
    def test_a_control_character_is_refused_in_single_line_text(self, ch: str) -> None:
        error = refusal(text=f"Hà{ch}Giang")
        assert error["type"] == "text_control_character" and error["loc"] == ("text",)
        assert f"U+{ord(ch):04X}" in str(error["msg"]) and " / " in str(error["msg"])

    @pytest.mark.parametrize("ch", [c for c in CONTROLS if c not in "\t\n"])
    def test_multiline_text_refuses_every_control_but_tab_and_newline(self, ch: str) -> None:
        assert refusal(multiline=f"dòng 1\n{ch}dòng 2")["type"] == "text_control_character"

    def test_nul_is_refused_everywhere(self) -> None:
        for field in ("text", "multiline", "name", "bounded", "field_bounded"):
            assert refusal(**{field: "a\x00b"})["loc"] == (field,)

    @pytest.mark.parametrize("value", ["\u202eexe.txt", "a\u202cb", "\u2067abc", "\u2069", "\u202a\u2066x\u202c\u2069",
                                       "\u202bline one\nline two\u202c"])
    def test_unbalanced_bidi_controls_are_refused(self, value: str) -> None:
        assert refusal(multiline=value)["type"] == "text_bidi_unbalanced"

    @pytest.mark.parametrize("value", [" ", "\u200b", "\u200c\u200d", "\u2060", "\ufeff", "\u00ad", "\t\n ",
                                       "\u202a\u202c", "\u3000"])
    def test_a_value_of_only_invisible_characters_is_refused(self, value: str) -> None:
        assert refusal(multiline=value)["type"] == "text_blank"

    def test_stripping_leaves_only_invisible_characters(self) -> None:
        assert refusal(bounded="  \u200b  ")["type"] == "text_blank"

    @pytest.mark.parametrize("value", ["a\u2028b", "a\u2029b", "\ud800"])
    def test_line_separators_and_lone_surrogates_are_refused_in_single_line_text(self, value: str) -> None:
        assert refusal(text=value)["type"] == "text_invalid_character"


class TestAccepted:
    @pytest.mark.parametrize("value", ["", "Hợp tác xã Chè Shan Tuyết", "Nhà văn hóa xã — Phố Cáo",
                                       "Mã: 01/2027 (ĐBKK) 50% #1 ☕", "שלום \u2067עולם\u2069!",
                                       "\u202bمرحبا\u202c", "👨\u200d👩\u200d👧"])
    def test_ordinary_text_passes_unchanged(self, value: str) -> None:
        assert Sample(text=value).text == value

    def test_multiline_text_keeps_tabs_and_newlines_and_stores_crlf_as_lf(self) -> None:
        assert Sample(multiline="Lý do:\r\n\t- hết hạn\n").multiline == "Lý do:\n\t- hết hạn\n"

    def test_a_decomposed_vietnamese_name_is_stored_composed(self) -> None:
        decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Đào")
        assert decomposed != "Nguyễn Thị Ánh Đào"
        assert Sample(name=decomposed).name == "Nguyễn Thị Ánh Đào"
        assert Sample(bounded=unicodedata.normalize("NFD", " Đắk Lắk ")).bounded == "Đắk Lắk"

    def test_lengths_count_composed_characters(self) -> None:
        assert Sample(bounded=unicodedata.normalize("NFD", "Ẩm Ờ Ỹ Ệ ẵ")).bounded == "Ẩm Ờ Ỹ Ệ ẵ"

    def test_the_fields_own_constraints_keep_their_errors(self) -> None:
        assert refusal(bounded="x" * 11)["type"] == "string_too_long"
        assert refusal(field_bounded="x" * 11)["type"] == "string_too_long"
        assert refusal(bounded="   ")["type"] == "string_too_short"
        assert refusal(text=42)["type"] == "string_type"
        assert Sample.model_json_schema()["properties"]["bounded"]["maxLength"] == 10


def accepted(**values: object) -> Sample | None:
    try:
        return Sample.model_validate(values)
    except ValidationError:
        return None


def balanced(line: str) -> bool:
    depth = [ch for ch in line if ch in BIDI]
    stack: list[str] = []
    for ch in depth:
        if ch in "\u202c\u2069":
            if not stack or (ch == "\u202c") != (stack.pop() not in "\u2066\u2067\u2068"):
                return False
        else:
            stack.append(ch)
    return not stack


HOSTILE = st.text(alphabet=st.one_of(st.characters(), st.sampled_from(BIDI + "\u200b\u200d\ufeff\u00ad\x00\t\n\r")))


@given(HOSTILE)
def test_no_control_character_ever_passes(value: str) -> None:
    sample = accepted(text=value, name=value)
    if sample is not None:
        assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in sample.text + sample.name)


@given(HOSTILE)
def test_multiline_text_passes_no_control_but_tab_and_newline(value: str) -> None:
    sample = accepted(multiline=value)
    if sample is not None:
        assert all(ch in "\t\n" for ch in sample.multiline if unicodedata.category(ch) == "Cc")


@given(HOSTILE)
def test_what_passes_has_balanced_bidi_controls_and_something_visible(value: str) -> None:
    sample = accepted(multiline=value)
    if sample is not None and sample.multiline:
        assert all(balanced(line) for line in sample.multiline.split("\n"))
        assert not all(is_invisible(ch) for ch in sample.multiline)


@given(HOSTILE)
def test_names_are_nfc_and_validating_again_changes_nothing(value: str) -> None:
    sample = accepted(name=value)
    if sample is not None:
        assert sample.name == unicodedata.normalize("NFC", sample.name)
        assert Sample(name=sample.name).name == sample.name


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper()).filter(str.strip))
def test_vietnamese_in_any_normal_form_is_one_name(text: str) -> None:
    composed = Sample(name=unicodedata.normalize("NFC", text)).name
    assert Sample(name=unicodedata.normalize("NFD", text)).name == composed
    assert Sample(text=text).text == text
