"""Profile data, checked against reference data: phone numbers, places (province → commune), search text."""

from __future__ import annotations

import phonenumbers

from shared.errors import Invalid
from shared.reference import geo
from shared.text import fold


def normalize_phone(raw: str) -> str:
    """A Vietnamese (or international, with +) phone number in E.164; ValueError when it is not a real number."""
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"Số điện thoại không hợp lệ / not a phone number: {raw!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"Số điện thoại không hợp lệ / not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def province_code(raw: str) -> str:
    """A current province's code from its code or name (old pre-2025 names accepted); ValueError otherwise."""
    try:
        return geo.resolve_province(raw).code
    except geo.UnknownPlace as exc:
        raise ValueError(str(exc)) from exc


def commune_code(raw: str | None, province: str, *, field: str) -> str | None:
    """A commune of `province` from its 5-digit code or its exact name; Invalid (naming `field`) otherwise."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if text.isdigit():
        try:
            found = geo.commune(text)
        except KeyError:
            raise Invalid(f"Không có xã/phường mã {text} / unknown commune code {text}", field=field,
                          code="unknown-commune") from None
    else:
        exact = [c for c in geo.search_communes(text, province, limit=5) if fold(c.name) == fold(text)
                 or fold(c.full_name) == fold(text)]
        if len(exact) != 1:
            raise Invalid(f"Không tìm thấy xã/phường '{text}' trong tỉnh {province} / no single commune named "
                          f"{text!r} in province {province}", field=field, code="unknown-commune")
        found = exact[0]
    if found.province_code != province:
        raise Invalid(f"Xã/phường {found.code} không thuộc tỉnh {province} / commune {found.code} is in province "
                      f"{found.province_code}, not {province}", field=field, code="commune-outside-province")
    return found.code


def place_words(province: str, commune: str | None) -> list[str]:
    """Names a search may use for a place: the province, the provinces merged into it, the commune."""
    words = [geo.province(province).name, *geo.former_provinces(province)]
    if commune:
        words.append(geo.commune(commune).name)
    return words


def search_text(*parts: str | None) -> str:
    """One folded string to match diacritic-free queries against ("Hoà Bình" and "Hòa Bình" → "hoa binh")."""
    return fold(" | ".join(p for p in parts if p))[:4000]
