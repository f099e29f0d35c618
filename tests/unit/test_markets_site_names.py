"""A site's default name keeps the commune's proper noun capitalised."""

from __future__ import annotations

import pytest

from services.markets.domain.sessions import default_site_name
from shared.reference import geo


@pytest.mark.parametrize(("kind", "name", "expected"), [
    ("xã", "Đồng Văn", "Chợ xã Đồng Văn"),
    ("phường", "Hà Giang 1", "Chợ phường Hà Giang 1"),
    ("đặc khu", "Phú Quốc", "Chợ đặc khu Phú Quốc"),
    ("Xã", "Lũng Cú", "Chợ xã Lũng Cú"),
])
def test_keeps_the_proper_noun_and_lowers_the_kind(kind: str, name: str, expected: str) -> None:
    assert default_site_name(kind, name) == expected


def test_every_commune_of_the_demo_province_keeps_its_capitals() -> None:
    for commune in geo.communes("08"):
        named = default_site_name(commune.kind, commune.name)
        assert named.endswith(commune.name) and named.startswith(f"Chợ {commune.kind} ")
        assert named != f"Chợ {commune.full_name.lower()}"
