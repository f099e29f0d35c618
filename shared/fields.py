"""Request-field types every service validates the same way: places as codes of the 34-province map."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from shared.reference.geo import UnknownPlace, commune, resolve_province


def _province_code(value: str) -> str:
    try:
        return resolve_province(value).code
    except UnknownPlace as exc:
        raise ValueError(str(exc)) from exc


def _commune_code(value: str) -> str:
    try:
        return commune(value).code
    except KeyError as exc:
        raise ValueError(f"Không có xã/phường mã {value} / unknown commune code {value}") from exc


ProvinceInput = Annotated[
    str,
    Field(min_length=2, max_length=100, description="province code or name; old (pre-2025) names are mapped"),
    AfterValidator(_province_code),
]
"""A province given by code or name (with or without diacritics, old names accepted), stored as its code."""

CommuneCodeInput = Annotated[
    str, Field(pattern=r"^\d{5}$", description="5-digit commune code"), AfterValidator(_commune_code)
]
"""A commune of the current map, by its 5-digit code."""
