"""Unit tests for shared.reference.geo: the 2025 administrative units read from vietnamadminunits' data."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared.reference import geo
from shared.reference.geo import UnknownPlace

# The 34 units since 1 July 2025 with their GSO/NSO codes.
EXPECTED_PROVINCES = {
    "01": "Hà Nội", "04": "Cao Bằng", "08": "Tuyên Quang", "11": "Điện Biên", "12": "Lai Châu",
    "14": "Sơn La", "15": "Lào Cai", "19": "Thái Nguyên", "20": "Lạng Sơn", "22": "Quảng Ninh",
    "24": "Bắc Ninh", "25": "Phú Thọ", "31": "Hải Phòng", "33": "Hưng Yên", "37": "Ninh Bình",
    "38": "Thanh Hóa", "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Trị", "46": "Huế",
    "48": "Đà Nẵng", "51": "Quảng Ngãi", "52": "Gia Lai", "56": "Khánh Hòa", "66": "Đắk Lắk",
    "68": "Lâm Đồng", "75": "Đồng Nai", "79": "Hồ Chí Minh", "80": "Tây Ninh", "82": "Đồng Tháp",
    "86": "Vĩnh Long", "91": "An Giang", "92": "Cần Thơ", "96": "Cà Mau",
}


def test_thirty_four_provinces_with_their_codes() -> None:
    provinces = geo.provinces()
    assert len(provinces) == 34
    assert {p.code: p.name for p in provinces} == EXPECTED_PROVINCES
    assert [p.code for p in provinces] == sorted(EXPECTED_PROVINCES)


def test_province_kinds() -> None:
    cities = {p.code for p in geo.provinces() if p.kind == "thành phố"}
    assert cities == {"01", "31", "46", "48", "79", "92"}
    assert {p.kind for p in geo.provinces()} == {"tỉnh", "thành phố"}
    assert geo.province("08").full_name == "Tỉnh Tuyên Quang"
    assert geo.province("79").full_name == "Thành phố Hồ Chí Minh"


def test_units_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        geo.province("01").name = "x"  # type: ignore[misc]


def test_province_lookup_by_code() -> None:
    assert geo.province("24").name == "Bắc Ninh"
    assert geo.is_province_code("15")
    for bad in ("02", "8", "008", "", "Hà Giang"):
        assert not geo.is_province_code(bad)
    with pytest.raises(KeyError):
        geo.province("02")  # Hà Giang's pre-2025 code


def test_communes() -> None:
    total = sum(len(geo.communes(p.code)) for p in geo.provinces())
    assert total > 3000
    assert total == 3321
    kinds = {c.kind for p in geo.provinces() for c in geo.communes(p.code)}
    assert kinds == {"xã", "phường", "đặc khu"}
    for c in geo.communes("08"):
        assert c.province_code == "08"
        assert re.fullmatch(r"\d{5}", c.code)
    assert len(geo.communes("08")) == 124
    with pytest.raises(KeyError):
        geo.communes("02")


def test_commune_lookup_by_code() -> None:
    c = geo.commune("00004")
    assert (c.name, c.kind, c.province_code, c.full_name) == ("Ba Đình", "phường", "01", "Phường Ba Đình")
    assert geo.commune(geo.communes("08")[0].code).province_code == "08"
    with pytest.raises(KeyError):
        geo.commune("99999")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("08", "08"),
        (" 79 ", "79"),
        ("Tuyên Quang", "08"),
        ("tuyen quang", "08"),
        ("Tỉnh Tuyên Quang", "08"),
        ("Thành phố Hồ Chí Minh", "79"),
        ("TP. HCM", "79"),
        ("Hà Nội", "01"),
        ("thủ đô hà nội", "01"),
        ("dak lak", "66"),
        ("ĐẮK LẮK", "66"),
        ("Khánh Hoà", "56"),  # old tone placement
        ("Khánh Hòa", "56"),
        # Pre-July-2025 names map to the unit they were merged into.
        ("Hà Giang", "08"),
        ("ha giang", "08"),
        ("Tỉnh Hà Giang", "08"),
        ("Bắc Giang", "24"),
        ("bac giang", "24"),
        ("Yên Bái", "15"),
        ("Lào Cai", "15"),
        ("Hoà Bình", "25"),
        ("Bà Rịa - Vũng Tàu", "79"),
        ("Đắk Nông", "68"),
        ("Kon Tum", "51"),
        ("Thừa Thiên Huế", "46"),
    ],
)
def test_resolve_province(name: str, code: str) -> None:
    assert geo.resolve_province(name).code == code


def test_every_current_and_former_name_resolves() -> None:
    for p in geo.provinces():
        assert geo.resolve_province(p.name) == p
        assert geo.resolve_province(p.full_name) == p
        former = geo.former_provinces(p.code)
        assert former
        for old in former:
            assert geo.resolve_province(old) == p
    assert sum(len(geo.former_provinces(p.code)) for p in geo.provinces()) == 63
    assert geo.former_provinces("08") == ["Hà Giang", "Tuyên Quang"]


@pytest.mark.parametrize("bad", ["Atlantis", "", "02", "10", "Quận 1"])
def test_resolve_unknown(bad: str) -> None:
    with pytest.raises(UnknownPlace) as info:
        geo.resolve_province(bad)
    assert isinstance(info.value, LookupError)
    assert "province" in str(info.value)


def test_unknown_place_suggests_close_names() -> None:
    with pytest.raises(UnknownPlace, match="Hà Giang"):
        geo.resolve_province("Ha Gian")


def test_search_communes_ignores_diacritics() -> None:
    hits = geo.search_communes("lung cu")
    assert [(c.name, c.province_code) for c in hits] == [("Lũng Cú", "08")]
    assert geo.search_communes("Lũng Cú") == hits
    assert geo.search_communes("xã lung cu") == hits
    assert geo.search_communes("LUNG CU", province_code="08") == hits
    assert geo.search_communes("lung cu", province_code="01") == []


def test_search_communes_ranks_best_matches_first() -> None:
    hits = geo.search_communes("ha giang")
    assert [c.name for c in hits[:2]] == ["Hà Giang 1", "Hà Giang 2"]
    assert geo.search_communes("phu quoc")[0].kind == "đặc khu"
    assert geo.search_communes("ba dinh")[0].code == "00004"


def test_search_communes_limit() -> None:
    assert len(geo.search_communes("an")) == 20
    assert len(geo.search_communes("an", limit=5)) == 5
    assert geo.search_communes("an", limit=0) == []
    assert all(c.province_code == "92" for c in geo.search_communes("an", province_code="92", limit=100))
    with pytest.raises(KeyError):
        geo.search_communes("an", province_code="02")


def test_does_not_import_the_package_or_unidecode() -> None:
    code = (
        "import sys\n"
        "from shared.reference import geo\n"
        "assert geo._load.cache_info().currsize == 0, 'loaded at import time'\n"
        "geo.resolve_province('ha giang'); geo.search_communes('lung cu')\n"
        "bad = {'unidecode', 'vietnamadminunits', 'shapely', 'geopy'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
