"""Profile data against reference data: phones in E.164, communes inside their province, folded search text."""

from __future__ import annotations

import pytest

from services.registration.domain.profile import commune_code, normalize_phone, place_words, province_code, search_text
from shared.errors import Invalid


class TestPhone:
    @pytest.mark.parametrize(("raw", "e164"), [("0912345678", "+84912345678"), ("091 234 5678", "+84912345678"),
                                               ("+84 912 345 678", "+84912345678"), ("02193 852 345", "+842193852345")])
    def test_stores_e164(self, raw, e164):
        assert normalize_phone(raw) == e164

    @pytest.mark.parametrize("raw", ["12345", "0912", "not a phone", "09123456789012"])
    def test_refuses_what_is_no_number(self, raw):
        with pytest.raises(ValueError):
            normalize_phone(raw)


class TestPlaces:
    def test_old_province_names_map_to_the_new_unit(self):
        assert province_code("Hà Giang") == "08"
        assert province_code("bac giang") == "24"

    def test_a_commune_by_code_or_exact_name_inside_its_province(self):
        assert commune_code("00721", "08", field="commune_code") == "00721"
        assert commune_code("Đồng Văn", "08", field="commune_code") == "00721"
        assert commune_code(None, "08", field="commune_code") is None

    def test_refuses_a_commune_of_another_province_naming_the_field(self):
        with pytest.raises(Invalid) as info:
            commune_code("00721", "24", field="venue_commune_code")
        assert info.value.field == "venue_commune_code" and info.value.code == "commune-outside-province"

    def test_refuses_an_unknown_commune(self):
        with pytest.raises(Invalid, match="unknown commune"):
            commune_code("99999", "08", field="commune_code")

    def test_search_text_knows_the_merged_provinces(self):
        text = search_text("HTX Hoà Bình", *place_words("08", "00721"))
        assert "hoa binh" in text and "ha giang" in text and "dong van" in text
