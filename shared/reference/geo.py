"""Vietnam's administrative units since 1 July 2025 (34 provinces → 3,321 communes): the only door to them.

Data comes from the MIT-licensed `vietnamadminunits` package (pinned in pyproject.toml), read straight
from its bundled SQLite database and JSON mapping (current units, and the pre-2025 provinces and communes
with the commune each was merged into, for importing old lists). Its Python modules are never imported: importing any
of them runs the package `__init__`, which pulls in `unidecode` (GPL), `shapely` and `geopy`.
Store the codes (2-digit province, 5-digit commune, GSO/NSO numbering); look names up here.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.text import fold

__all__ = [
    "Commune",
    "FormerCommune",
    "Province",
    "UnknownPlace",
    "commune",
    "communes",
    "former_communes",
    "former_provinces",
    "is_province_code",
    "province",
    "provinces",
    "resolve_province",
    "search_communes",
]

_PACKAGE = "vietnamadminunits"
_DB_FILE = "data/dataset.db"
_CONVERTER_FILE = "data/converter_2025.json"
# Names in common use that the package lacks, mapped to the current province's name (never to a code).
_EXTRA_NAMES = {"Thừa Thiên Huế": "Huế", "Sài Gòn": "Hồ Chí Minh"}
_PROVINCE_KINDS = frozenset({"tỉnh", "thành phố"})
_COMMUNE_KINDS = frozenset({"xã", "phường", "đặc khu"})
# Words that may precede a province's name: "Tỉnh Hà Giang", "Thành phố Huế", "TP. HCM", "Thủ đô Hà Nội".
_PROVINCE_PREFIXES = ("thanhpho", "thudo", "tinh", "tp")


class UnknownPlace(LookupError):
    """A name or code that matches no administrative unit."""


@dataclass(frozen=True, slots=True)
class Province:
    """A province-level unit: `kind` is "tỉnh" or "thành phố"; `name` is without the kind."""

    code: str
    name: str
    kind: str

    @property
    def full_name(self) -> str:
        """The name with its kind, e.g. "Tỉnh Tuyên Quang"."""
        return f"{self.kind.capitalize()} {self.name}"


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune-level unit: `kind` is "xã", "phường" or "đặc khu"; `name` is without the kind."""

    code: str
    name: str
    province_code: str
    kind: str

    @property
    def full_name(self) -> str:
        """The name with its kind, e.g. "Xã Lũng Cú"."""
        return f"{self.kind.capitalize()} {self.name}"


@dataclass(frozen=True, slots=True)
class FormerCommune:
    """A pre-July-2025 commune and the current commune that took it in.

    `full_name` and `district` are the old names with their kinds ("Thị trấn Mèo Vạc", "Huyện Mèo Vạc");
    `province_code` and `new_code` are current codes. A commune divided in 2025 maps to its main part.
    """

    full_name: str
    district: str
    province_code: str
    new_code: str


@dataclass(frozen=True, slots=True)
class _Indexed:
    """A commune with its folded texts, ready for searching."""

    commune: Commune
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class _Data:
    """Everything loaded from the package's data files."""

    provinces: dict[str, Province]
    communes: dict[str, Commune]
    by_province: dict[str, tuple[_Indexed, ...]]
    keys: dict[str, str]
    former: dict[str, tuple[str, ...]]
    suggestions: dict[str, str]


def _key(text: str) -> str:
    """Folded text without spaces or punctuation: "Bà Rịa - Vũng Tàu" → "bariavungtau"."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


def _keywords(raw: str | None) -> list[str]:
    """The package's JSON-encoded keyword list (already ASCII, lower-case, no spaces)."""
    return [str(k) for k in json.loads(raw)] if raw else []


@functools.cache
def _data_dir() -> Path:
    """The package's directory, found without executing its `__init__` (which imports unidecode)."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{_PACKAGE} is not installed; it is a pinned dependency in pyproject.toml")
    return Path(next(iter(spec.submodule_search_locations)))


def _query(sql: str) -> list[sqlite3.Row]:
    """Rows from the package's SQLite database, opened read-only."""
    uri = (_data_dir() / _DB_FILE).as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute(sql))


def _kind(full: str, short: str) -> str:
    """The kind part of a full name: ("Tỉnh Tuyên Quang", "Tuyên Quang") → "tỉnh"."""
    if not full.endswith(short):
        raise RuntimeError(f"unexpected unit name in {_PACKAGE} data: {full!r} / {short!r}")
    return full.removesuffix(short).strip().lower()


def _add_keys(keys: dict[str, str], names: Iterable[str], code: str, *, override: bool) -> None:
    """Index each name's key to `code`; current names win over former ones."""
    for name in names:
        k = _key(name)
        if not k:
            continue
        if override:
            if keys.get(k, code) != code:
                raise RuntimeError(f"province key {k!r} is ambiguous in {_PACKAGE} data")
            keys[k] = code
        else:
            keys.setdefault(k, code)


@functools.cache
def _converter() -> dict[str, Any]:
    """The package's pre-2025 → 2025 conversion table (provinces and communes), parsed once."""
    with (_data_dir() / _CONVERTER_FILE).open(encoding="utf-8") as f:
        table: dict[str, Any] = json.load(f)
    return table


@functools.cache
def _load() -> _Data:
    """Load and index provinces, communes and the pre-2025 → 2025 province mapping (once)."""
    rows = _query(
        "SELECT provinceCode, province, provinceShort, provinceKey, provinceKeywords, provinceAlias,"
        " wardCode, ward, wardShort FROM admin_units ORDER BY provinceCode, wardCode"
    )
    provinces: dict[str, Province] = {}
    communes: dict[str, Commune] = {}
    by_province: dict[str, list[_Indexed]] = {}
    keys: dict[str, str] = {}
    code_of_key: dict[str, str] = {}
    suggestions: dict[str, str] = {}
    for row in rows:
        pcode = str(row["provinceCode"])
        if pcode not in provinces:
            p = Province(pcode, row["provinceShort"], _kind(row["province"], row["provinceShort"]))
            provinces[pcode] = p
            code_of_key[row["provinceKey"]] = pcode
            aliases = [*_keywords(row["provinceKeywords"]), *_keywords(row["provinceAlias"])]
            _add_keys(keys, [p.name, p.full_name, *aliases], pcode, override=True)
            suggestions[fold(p.name)] = p.name
        # The kind comes from the full name, as the package's parser shows it: its `wardType` column
        # disagrees with the name for 4 communes in 1.0.4 (10543, 11848, 31213, 31299).
        c = Commune(str(row["wardCode"]), row["wardShort"], pcode, _kind(row["ward"], row["wardShort"]))
        if c.kind not in _COMMUNE_KINDS or provinces[pcode].kind not in _PROVINCE_KINDS:
            raise RuntimeError(f"unexpected unit kind in {_PACKAGE} data: {row['ward']!r}, {pcode}")
        communes[c.code] = c
        by_province.setdefault(pcode, []).append(_Indexed(c, fold(c.name), fold(c.kind)))

    new_key_to_old_keys: dict[str, list[str]] = _converter()["DICT_PROVINCE"]
    new_code_of_old_key = {
        old: code_of_key[new] for new, olds in new_key_to_old_keys.items() for old in olds
    }
    former: dict[str, list[str]] = {}
    legacy = _query(
        "SELECT DISTINCT provinceCode, province, provinceShort, provinceKey, provinceKeywords, provinceAlias"
        " FROM admin_units_legacy ORDER BY provinceCode"
    )
    for row in legacy:
        new_code = new_code_of_old_key[row["provinceKey"]]
        former.setdefault(new_code, []).append(row["provinceShort"])
        names = [row["provinceShort"], row["province"], *_keywords(row["provinceKeywords"])]
        _add_keys(keys, [*names, *_keywords(row["provinceAlias"])], new_code, override=False)
        current = provinces[new_code].name
        if row["provinceShort"] != current:
            suggestions.setdefault(fold(row["provinceShort"]), f"{row['provinceShort']} (now {current})")
    for extra, current in _EXTRA_NAMES.items():
        _add_keys(keys, [extra], keys[_key(current)], override=False)

    return _Data(
        provinces=provinces,
        communes=communes,
        by_province={k: tuple(v) for k, v in by_province.items()},
        keys=keys,
        former={k: tuple(v) for k, v in former.items()},
        suggestions=suggestions,
    )


def provinces() -> list[Province]:
    """The 34 provinces and centrally-run cities, ordered by code."""
    return list(_load().provinces.values())


def province(code: str) -> Province:
    """The province with this 2-digit code; KeyError if there is none."""
    return _load().provinces[code]


def is_province_code(code: str) -> bool:
    """True if `code` is the 2-digit code of a current province."""
    return isinstance(code, str) and code in _load().provinces


def communes(province_code: str) -> list[Commune]:
    """The communes (xã, phường, đặc khu) of a province, ordered by code; KeyError for an unknown province."""
    return [entry.commune for entry in _load().by_province[province(province_code).code]]


def commune(code: str) -> Commune:
    """The commune with this 5-digit code; KeyError if there is none."""
    return _load().communes[code]


def former_provinces(code: str) -> list[str]:
    """Names of the pre-July-2025 provinces merged into this one (itself included if it kept its name)."""
    return list(_load().former[province(code).code])


def _old_to_new_commune() -> dict[str, tuple[str, str]]:
    """Old "province_district_commune" key → (new province key, new commune key); a divided one → its main part."""
    converter = _converter()
    mapping: dict[str, tuple[str, str]] = {}
    for new_province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, olds in wards.items():
            for old in olds:
                mapping.setdefault(old, (new_province, new_ward))
    for new_province, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            main = next((p for p in parts if p.get("isDefaultNewWard")), parts[0])
            mapping[old] = (new_province, main["newWardKey"])
    return mapping


@functools.cache
def _former_communes() -> dict[str, tuple[FormerCommune, ...]]:
    """Folded old commune name, with and without its kind → the old communes of that name, nationwide."""
    communes_ = _load().communes
    new_codes = {(r["provinceKey"], r["wardKey"]): str(r["wardCode"])
                 for r in _query("SELECT provinceKey, wardKey, wardCode FROM admin_units")}
    old_to_new = _old_to_new_commune()
    index: dict[str, list[FormerCommune]] = {}
    legacy = _query("SELECT ward, wardShort, district, provinceKey, districtKey, wardKey FROM admin_units_legacy"
                    " ORDER BY provinceCode, districtCode, wardCode")
    for r in legacy:
        target = old_to_new.get(f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}")
        code = new_codes.get(target) if target else None
        if code is None or code not in communes_:
            continue
        former = FormerCommune(r["ward"], r["district"], communes_[code].province_code, code)
        for name in {fold(r["wardShort"]), fold(r["ward"])}:
            index.setdefault(name, []).append(former)
    return {k: tuple(v) for k, v in index.items()}


def former_communes(name: str, province_code: str | None = None, *,
                    district: str | None = None) -> list[FormerCommune]:
    """Pre-July-2025 communes named `name` (diacritics ignored; "Xã Tả Lủng" or "Tả Lủng"), oldest code first.

    `province_code` keeps those now in that current province; `district` (an old huyện, e.g. "Đồng Văn" or
    "Huyện Đồng Văn") keeps those whose old district name contains it. Empty list if none match.
    """
    found = _former_communes().get(fold(name.strip()), ())
    if province_code is not None:
        found = tuple(f for f in found if f.province_code == province_code)
    if district:
        wanted = fold(district.strip())
        found = tuple(f for f in found if wanted in fold(f.district))
    return list(found)


def resolve_province(name_or_code: str) -> Province:
    """A current province from its code, its name (with or without diacritics and kind) or a pre-2025 name."""
    data = _load()
    text = name_or_code.strip()
    if text in data.provinces:
        return data.provinces[text]
    k = _key(text)
    code = data.keys.get(k)
    if code is None:
        for prefix in _PROVINCE_PREFIXES:
            if k.startswith(prefix) and (code := data.keys.get(k.removeprefix(prefix))):
                break
    if code is not None:
        return data.provinces[code]
    close = difflib.get_close_matches(fold(text), list(data.suggestions), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(data.suggestions[c] for c in close)}?" if close else ""
    raise UnknownPlace(
        f"unknown province {name_or_code!r}: give a current 2-digit code (e.g. '08') or a province name, "
        f"current or pre-July-2025 (e.g. 'Tuyên Quang', 'Hà Giang'){hint}"
    )


def search_communes(query: str, province_code: str | None = None, limit: int = 20) -> list[Commune]:
    """Communes whose name holds every word of `query`, diacritics ignored; best matches first."""
    data = _load()
    if province_code is None:
        pool: Iterable[_Indexed] = (e for entries in data.by_province.values() for e in entries)
    else:
        pool = data.by_province[province(province_code).code]
    q = fold(query)
    hits: list[tuple[int, str, str, Commune]] = []
    for e in pool:
        rank = _rank(q, e.name)
        if rank is None and q.startswith(e.kind + " "):  # "xã Lũng Cú": the kind must agree, the rest match
            rank = _rank(q.removeprefix(e.kind + " "), e.name)
        if rank is not None:
            hits.append((rank, e.name, e.commune.code, e.commune))
    hits.sort(key=lambda h: h[:3])
    return [h[3] for h in hits[: max(limit, 0)]]


def _rank(q: str, name: str) -> int | None:
    """How well folded query `q` matches folded `name`: 0 equal, 1 prefix, 2 word prefixes, 3 substrings."""
    words = q.split()
    if not all(w in name for w in words):
        return None
    if q == name:
        return 0
    if name.startswith(q):
        return 1
    name_words = name.split()
    if all(any(n.startswith(w) for n in name_words) for w in words):
        return 2
    return 3
