"""Diacritic-free folding and matching of Vietnamese text (hand-written: no GPL unidecode)."""

from __future__ import annotations

import unicodedata

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
