"""A site's commune from a code, a current name or an old (pre-July-2025) name, through shared.reference.geo only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from services.markets.domain import places
from services.markets.domain.places import UnknownCommune, resolve_commune
from shared.reference import geo

MEO_VAC, DONG_VAN = "00769", "00721"  # Tuyên Quang (08), formerly in Hà Giang


def test_former_communes_maps_an_old_town_to_todays_commune() -> None:
    found = geo.former_communes("Thị trấn Mèo Vạc", "08")
    assert found == [geo.FormerCommune("Thị trấn Mèo Vạc", "Huyện Mèo Vạc", "08", MEO_VAC)]
    assert geo.former_communes("thi tran meo vac", "08") == found  # diacritics ignored
    assert geo.former_communes("Thị trấn Mèo Vạc", "01") == []  # another province


def test_former_communes_narrowed_by_the_old_district() -> None:
    both = geo.former_communes("Tả Lủng", "08")
    assert {(f.district, f.new_code) for f in both} == {("Huyện Đồng Văn", DONG_VAN), ("Huyện Mèo Vạc", MEO_VAC)}
    assert [f.new_code for f in geo.former_communes("Xã Tả Lủng", "08", district="dong van")] == [DONG_VAN]
    assert geo.former_communes("Tả Lủng", "08", district="Huyện Bắc Mê") == []


def test_resolve_commune_by_code_current_and_former_name() -> None:
    assert resolve_commune(MEO_VAC, province_code="08").commune.code == MEO_VAC
    old = resolve_commune("Thị trấn Mèo Vạc", province_code="08")
    assert (old.commune.code, old.former_name) == (MEO_VAC, "Thị trấn Mèo Vạc, Huyện Mèo Vạc")
    narrowed = resolve_commune("Xã Tả Lủng", province_code="08", district="Huyện Đồng Văn")
    assert narrowed.commune.code == DONG_VAN
    with pytest.raises(UnknownCommune, match="ambiguous"):
        resolve_commune("Xã Tả Lủng", province_code="08")
    with pytest.raises(UnknownCommune, match="no commune"):
        resolve_commune("Atlantis", province_code="08")


def test_places_reads_no_reference_data_itself() -> None:
    tree = ast.parse(Path(places.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"sqlite3", "json", "importlib", "pathlib", "vietnamadminunits"}
