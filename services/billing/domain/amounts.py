"""Display of VND amounts on invoices: digits with the đồng sign, and the total read out in words."""

from __future__ import annotations

import vn_money

__all__ = ["amount_in_words", "format_vnd", "read_number"]

# vn_money writes U+00A0 (no-break space) before "₫", as ICU does; the platform's display format
# is "181.946.900.000 ₫" with an ordinary space, so the spacer is a choice left to the caller.
_NBSP = chr(0x00A0)
_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_BILLION = 10**9
# The groups below one tỷ, highest first: their size and name ("" for the units).
_GROUPS = ((10**6, "triệu"), (10**3, "nghìn"), (1, ""))


def _require_amount(vnd: int) -> None:
    """Raise TypeError for anything but a plain int (bool included)."""
    if isinstance(vnd, bool) or not isinstance(vnd, int):
        raise TypeError(f"amount must be an int number of đồng, got {vnd!r}")


def amount_in_words(vnd: int) -> str:
    """Read a non-negative amount out in Vietnamese, capitalised and ending in " đồng"."""
    _require_amount(vnd)
    if vnd < 0:
        raise ValueError(f"amount in words needs a non-negative amount, got {vnd}")
    words = read_number(vnd)
    return f"{words[0].upper()}{words[1:]} đồng"


def read_number(n: int) -> str:
    """``n`` (≥ 0) in words, with vn-money's conventions (linh, mốt, tư, lăm; "không trăm", "không nghìn").

    Vietnamese counts tỷ as a unit that takes any number before it: 2 000 000 000 005 is "hai nghìn tỷ
    không triệu không nghìn không trăm linh năm", the part above a tỷ read as a number of its own. vn-money
    names "nghìn tỷ" and "triệu tỷ" as further groups and so reads an empty tỷ group in between ("hai nghìn
    tỷ không tỷ …"); that is why this reading is ours.
    """
    if n == 0:
        return "không"
    return _read(n, spoken_above=False)


def _read(n: int, *, spoken_above: bool) -> str:
    billions, rest = divmod(n, _BILLION)
    words: list[str] = []
    if billions:
        words.append(f"{_read(billions, spoken_above=spoken_above)} tỷ")
    below = _below_billion(rest, spoken_above=spoken_above or billions > 0)
    return " ".join([*words, below] if below else words)


def _below_billion(n: int, *, spoken_above: bool) -> str:
    """0 < n < 10⁹ by groups of three; a hole reads "không <group>" only once something above was said."""
    words: list[str] = []
    for size, name in _GROUPS:
        group, n = divmod(n, size)
        if group:
            words.append(f"{_triplet(group, full=spoken_above)} {name}".rstrip())
            spoken_above = True
        elif spoken_above and n and name:
            # an inner empty group with something below it: 1 000 005 is "một triệu không nghìn …"
            words.append(f"không {name}")
    return " ".join(words)


def _triplet(value: int, *, full: bool) -> str:
    """1..999; ``full`` reads zero hundreds ("không trăm") because a larger group was said before."""
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words.append(f"{_DIGITS[hundreds]} trăm")
    if tens:
        words.append("mười" if tens == 1 else f"{_DIGITS[tens]} mươi")
    elif units and words:
        words.append("linh")
    if units:
        words.append(_unit(units, tens))
    return " ".join(words)


def _unit(units: int, tens: int) -> str:
    """The last digit: mốt and tư after a tens of 2-9, lăm after any tens."""
    if units == 1 and tens >= 2:
        return "mốt"
    if units == 4 and tens >= 2:
        return "tư"
    if units == 5 and tens >= 1:
        return "lăm"
    return _DIGITS[units]


def format_vnd(vnd: int, *, nbsp: bool = False) -> str:
    """Format as "181.946.900.000 ₫"; ``nbsp=True`` keeps vn_money's no-break space (HTML/PDF)."""
    _require_amount(vnd)
    text = vn_money.format_vnd(vnd)
    return text if nbsp else text.replace(_NBSP, " ")
