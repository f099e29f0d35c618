"""A site's commune from its code, its current name, or its pre-July-2025 name (for importing old lists).

`shared.geo` knows current communes and old *province* names, not old commune names. Until it does, this
module reads the old units and the 2025 conversion table from the data files of the MIT-licensed
`vietnamadminunits` package, the way shared.geo does (read-only SQLite and JSON, never its Python code).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from shared import geo
from shared.text import fold

_PACKAGE = "vietnamadminunits"


class UnknownCommune(LookupError):
    """No commune, or more than one, answers to the given name in the province."""


@dataclass(frozen=True, slots=True)
class ResolvedCommune:
    """A current commune, and the old unit it was found by (if it was)."""

    commune: geo.Commune
    former_name: str | None = None


@dataclass(frozen=True, slots=True)
class _Former:
    """A pre-2025 commune and the current commune that took it in (the main one if it was divided)."""

    full_name: str
    district: str
    province_code: str
    new_code: str


def _data_dir() -> Path:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{_PACKAGE} is not installed; it is a pinned dependency")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _rows(sql: str) -> list[sqlite3.Row]:
    uri = (_data_dir() / "dataset.db").as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute(sql))


def _new_codes() -> dict[tuple[str, str], str]:
    """(province key, commune key) of every current commune → its code."""
    rows = _rows("SELECT provinceKey, wardKey, wardCode FROM admin_units")
    return {(r["provinceKey"], r["wardKey"]): str(r["wardCode"]) for r in rows}


def _old_to_new() -> dict[str, tuple[str, str]]:
    """Old "province_district_commune" key → (new province key, new commune key)."""
    with (_data_dir() / "converter_2025.json").open(encoding="utf-8") as f:
        converter = json.load(f)
    mapping: dict[str, tuple[str, str]] = {}
    for new_province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, olds in wards.items():
            for old in olds:
                mapping.setdefault(old, (new_province, new_ward))
    for new_province, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            main = next((p for p in parts if p.get("isDefaultNewWard")), parts[0])
            mapping[old] = (new_province, main["newWardKey"])  # a divided commune goes to its main part
    return mapping


@functools.cache
def _former_index() -> dict[str, tuple[_Former, ...]]:
    """Folded old commune name (without its kind) → the old communes of that name, nationwide."""
    new_codes, old_to_new = _new_codes(), _old_to_new()
    index: dict[str, list[_Former]] = {}
    rows = _rows("SELECT ward, wardShort, district, provinceKey, districtKey, wardKey FROM admin_units_legacy")
    for r in rows:
        target = old_to_new.get(f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}")
        code = new_codes.get(target) if target else None
        if code is None:
            continue
        new = geo.commune(code)
        former = _Former(r["ward"], r["district"], new.province_code, code)
        for name in {fold(r["wardShort"]), fold(r["ward"])}:
            index.setdefault(name, []).append(former)
    return {k: tuple(v) for k, v in index.items()}


def _current(name: str, province_code: str) -> list[geo.Commune]:
    """Current communes of the province named exactly `name` (with or without "xã"/"phường")."""
    wanted = fold(name)
    return [c for c in geo.search_communes(name, province_code, limit=50)
            if wanted in (fold(c.name), fold(c.full_name))]


def resolve_commune(text: str, *, province_code: str, district: str | None = None) -> ResolvedCommune:
    """The current commune of the province that `text` names: a 5-digit code, a current or a former name.

    `district` (an old huyện) narrows a former name that several districts share.
    """
    text = text.strip()
    if text.isdigit() and len(text) == 5:
        try:
            return ResolvedCommune(geo.commune(text))
        except KeyError:
            raise UnknownCommune(f"no commune has code {text}") from None
    if not text:
        raise UnknownCommune("a commune name or code is needed")
    current = _current(text, province_code)
    if len(current) == 1:
        return ResolvedCommune(current[0])
    formers = [f for f in _former_index().get(fold(text), ()) if f.province_code == province_code]
    if district:
        formers = [f for f in formers if fold(district) in fold(f.district)]
    codes = sorted({f.new_code for f in formers})
    if len(codes) == 1:
        return ResolvedCommune(geo.commune(codes[0]), former_name=f"{formers[0].full_name}, {formers[0].district}")
    if len(current) > 1 or len(codes) > 1:
        options = [f"{c.code} {c.full_name}" for c in current] + [
            f"{f.full_name}, {f.district} → {f.new_code}" for f in formers]
        raise UnknownCommune(f"{text!r} is ambiguous in province {province_code}: {'; '.join(options[:6])}; "
                             "give the commune code or the old district")
    raise UnknownCommune(f"no commune, current or former, is named {text!r} in province {province_code}")
