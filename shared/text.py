"""Vietnamese text: diacritic-free folding and matching (hand-written: no GPL unidecode), and the validated
text types of every request's free-text fields."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

# đ/Đ are letters of their own, not d + a combining mark, so NFD leaves them alone.
# ð (U+00F0, from Ð U+00D0) is the look-alike that legacy encodings and careless typing leave behind.
_LETTERS = str.maketrans({"đ": "d", "ð": "d"})


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse whitespace: "Hoà Bình" → "hoa binh"."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.translate(_LETTERS).split())


def matches(query: str, text: str) -> bool:
    """True when every folded word of `query` is a substring of folded `text`."""
    haystack = fold(text)
    return all(word in haystack for word in fold(query).split())


# ---- validated text inputs --------------------------------------------------------------------------------
# What a request's free text may not carry, whatever the service: control characters (they break CSV/XLSX
# exports, logs and PDFs), bidi embeddings/overrides/isolates left open (they reorder whatever is printed after
# them: "Trojan Source"), and values made only of whitespace and invisible characters (a name nobody can see).

_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")  # LRE RLE LRO RLO, closed by PDF (U+202C)
_ISOLATES = frozenset("\u2066\u2067\u2068")  # LRI RLI FSI, closed by PDI (U+2069)
_PDF, _PDI = "\u202c", "\u2069"
_MULTILINE_ALLOWED = frozenset("\t\n")


def _error(code: str, vi: str, en: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(code, f"{vi} / {en}", ctx)


def _refuse_characters(value: str, *, multiline: bool) -> None:
    for index, ch in enumerate(value):
        category = unicodedata.category(ch)
        if category == "Cc" and not (multiline and ch in _MULTILINE_ALLOWED):
            raise _error("text_control_character", f"Có ký tự điều khiển U+{ord(ch):04X} ở vị trí {index}",
                         f"control character U+{ord(ch):04X} at position {index}",
                         character=f"U+{ord(ch):04X}", position=index)
        if category == "Cs" or (not multiline and ch in "\u2028\u2029"):
            raise _error("text_invalid_character", f"Ký tự không hợp lệ U+{ord(ch):04X} ở vị trí {index}",
                         f"invalid character U+{ord(ch):04X} at position {index}",
                         character=f"U+{ord(ch):04X}", position=index)


def _bidi_balanced(line: str) -> bool:
    """Every embedding/override closed by a PDF and every isolate by a PDI, properly nested, within the line."""
    open_: list[str] = []
    for ch in line:
        if ch in _EMBEDDINGS or ch in _ISOLATES:
            open_.append(ch)
        elif ch == _PDF or ch == _PDI:
            closes = _EMBEDDINGS if ch == _PDF else _ISOLATES
            if not open_ or open_.pop() not in closes:
                return False
    return not open_


def is_invisible(ch: str) -> bool:
    """Whitespace, or a format character nobody sees (zero-width space and joiners, word joiner, BOM, soft
    hyphen, bidi marks)."""
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def normalize_text(value: str, *, multiline: bool = False, nfc: bool = False) -> str:
    """CRLF → LF in multi-line text (browsers send a textarea's line breaks as CRLF); NFC when `nfc`."""
    if multiline:
        value = value.replace("\r\n", "\n")
    return unicodedata.normalize("NFC", value) if nfc else value


def check_text(value: str, *, multiline: bool = False) -> str:
    """The value if it is acceptable free text, else a `PydanticCustomError` saying why."""
    _refuse_characters(value, multiline=multiline)
    if not all(_bidi_balanced(line) for line in value.split("\n")):
        raise _error("text_bidi_unbalanced",
                     "Ký tự định hướng (U+202A–U+202E, U+2066–U+2069) không được đóng đúng cặp",
                     "bidi embedding, override or isolate (U+202A–U+202E, U+2066–U+2069) not closed in its line")
    if value and all(is_invisible(ch) for ch in value):
        raise _error("text_blank", "Chỉ có khoảng trắng hoặc ký tự vô hình",
                     "only whitespace or invisible characters")
    return value


def clean_text(value: str, *, multiline: bool = False, nfc: bool = False) -> str:
    """`normalize_text` then `check_text`: what a field typed `Text`, `MultilineText` or `Name` stores."""
    return check_text(normalize_text(value, multiline=multiline, nfc=nfc), multiline=multiline)


@dataclass(frozen=True)
class CleanText:
    """Pydantic metadata for a `str` field: `normalize_text` before the string's own validation (so lengths count
    composed characters and LF line breaks), `check_text` after it (so a stripped value is checked).

    Put it *after* the field's own constraints — `Annotated[str, StringConstraints(max_length=300), TEXT]` — so
    that those stay on the string itself (stripping, `string_too_long` errors); constraints placed after it are
    applied to its result as generic length checks (`too_long`, "items").
    """

    multiline: bool = False
    nfc: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        checked = core_schema.no_info_after_validator_function(self._check, handler(source))
        return core_schema.no_info_before_validator_function(self._normalize, checked)

    def _normalize(self, value: Any) -> Any:
        return normalize_text(value, multiline=self.multiline, nfc=self.nfc) if isinstance(value, str) else value

    def _check(self, value: str) -> str:
        return check_text(value, multiline=self.multiline)


TEXT = CleanText()
MULTILINE = CleanText(multiline=True)
NAME = CleanText(nfc=True)

Text = Annotated[str, TEXT]
"""Single-line free text: no control character at all, bidi controls balanced, not blank if given."""
MultilineText = Annotated[str, MULTILINE]
"""Free text that may hold tabs and line breaks (CRLF stored as LF); otherwise as `Text`."""
Name = Annotated[str, NAME]
"""A name: single-line `Text`, stored NFC-normalised (Vietnamese typed as base letter + combining marks is
stored composed, so it compares, sorts and folds like the same name typed composed)."""
