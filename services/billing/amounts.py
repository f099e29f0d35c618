"""Display of VND amounts on invoices: digits with the đồng sign, and the total read out in words."""

from __future__ import annotations

import vn_money

__all__ = ["amount_in_words", "format_vnd"]

# vn_money writes U+00A0 (no-break space) before "₫", as ICU does; the platform's display format
# is "181.946.900.000 ₫" with an ordinary space, so the spacer is a choice left to the caller.
_NBSP = chr(0x00A0)


def _require_amount(vnd: int) -> None:
    """Raise TypeError for anything but a plain int (bool included)."""
    if isinstance(vnd, bool) or not isinstance(vnd, int):
        raise TypeError(f"amount must be an int number of đồng, got {vnd!r}")


def amount_in_words(vnd: int) -> str:
    """Read a non-negative amount out in Vietnamese, capitalised and ending in " đồng"."""
    _require_amount(vnd)
    if vnd < 0:
        raise ValueError(f"amount in words needs a non-negative amount, got {vnd}")
    words = vn_money.to_words(vnd)
    return f"{words[0].upper()}{words[1:]} đồng"


def format_vnd(vnd: int, *, nbsp: bool = False) -> str:
    """Format as "181.946.900.000 ₫"; ``nbsp=True`` keeps vn_money's no-break space (HTML/PDF)."""
    _require_amount(vnd)
    text = vn_money.format_vnd(vnd)
    return text if nbsp else text.replace(_NBSP, " ")
