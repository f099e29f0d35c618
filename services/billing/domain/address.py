"""A buyer's address as an invoice prints it: the address line, then the commune and the province.

Registration sends the exhibitor's address line ("Thôn Nấm Dẩn") apart from its commune and province
codes; an invoice names the whole address, "Thôn Nấm Dẩn, xã Nấm Dẩn, tỉnh Tuyên Quang". Names are looked
up from the codes (shared.reference.geo) when the invoice is issued, and the invoice keeps the text it printed.
"""

from __future__ import annotations

from shared.reference import geo
from shared.text import fold

MAX_LENGTH = 500  # invoices.buyer_address, as long as registration's address line itself


def _named(parts: list[str], kind: str, name: str) -> bool:
    """True when one comma-separated part of the line already is the unit, with its kind or without."""
    wanted = {fold(f"{kind} {name}"), fold(name)}
    return any(fold(part) in wanted for part in parts)


def postal_address(line: str, *, commune_code: str | None, province_code: str | None) -> str:
    """``line``, then the commune and the province of the codes, each unless the line already names it.

    An unknown code adds nothing (the line is printed as given); without a province code the commune's
    province is used. Kinds after the first part are lower-case ("xã", "tỉnh"); a first part that is a kind is
    capitalised. The invoice's column holds ``MAX_LENGTH`` characters: a line that long is printed alone.
    """
    line = line.strip().rstrip(",").strip()
    parts = [part.strip() for part in line.split(",")] if line else []
    result = [line] if line else []
    commune = _commune(commune_code)
    if commune is not None and not _named(parts, commune.kind, commune.name):
        result.append(f"{commune.kind} {commune.name}")
    province = _province(province_code or (commune.province_code if commune else None))
    if province is not None and not _named(parts, province.kind, province.name):
        result.append(f"{province.kind} {province.name}")
    text = ", ".join(result)
    if len(text) > MAX_LENGTH:
        return line
    return text if line else text[:1].upper() + text[1:]


def _commune(code: str | None) -> geo.Commune | None:
    try:
        return geo.commune(code) if code else None
    except KeyError:
        return None


def _province(code: str | None) -> geo.Province | None:
    try:
        return geo.province(code) if code else None
    except KeyError:
        return None
