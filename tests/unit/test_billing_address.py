"""The buyer's address as an invoice prints it (services/billing/address.py)."""

from __future__ import annotations

import pytest

from services.billing.domain.address import MAX_LENGTH, postal_address


@pytest.mark.parametrize(("line", "commune", "province", "printed"), [
    ("Thôn Nấm Dẩn", "01141", "08", "Thôn Nấm Dẩn, xã Nấm Dẩn, tỉnh Tuyên Quang"),
    ("Thôn Nấm Dẩn", "01141", None, "Thôn Nấm Dẩn, xã Nấm Dẩn, tỉnh Tuyên Quang"),  # the commune's province
    ("Thị trấn Đồng Văn", None, "08", "Thị trấn Đồng Văn, tỉnh Tuyên Quang"),  # no commune in the event
    ("", "00721", "08", "Xã Đồng Văn, tỉnh Tuyên Quang"),  # no line: the first kind capitalised
    ("Xã Đồng Văn, tỉnh Tuyên Quang", "00721", "08", "Xã Đồng Văn, tỉnh Tuyên Quang"),  # named already
    ("Số 5, Minh Xuân, Tuyên Quang", "02215", "08", "Số 5, Minh Xuân, Tuyên Quang"),  # named without kinds
    ("12 Hàng Bài, phuong Cua Nam, Ha Noi", "00082", "01", "12 Hàng Bài, phuong Cua Nam, Ha Noi"),  # no diacritics
    ("số 3 đường 19/5,", "00721", "08", "số 3 đường 19/5, xã Đồng Văn, tỉnh Tuyên Quang"),  # user's text kept
    ("Thôn Nấm Dẩn", "99999", "99", "Thôn Nấm Dẩn"),  # unknown codes add nothing
    ("", None, None, ""),
])
def test_the_line_then_the_units_it_does_not_name(line, commune, province, printed):
    assert postal_address(line, commune_code=commune, province_code=province) == printed


def test_a_line_that_fills_the_column_is_printed_alone():
    line = "x" * MAX_LENGTH
    assert postal_address(line, commune_code="01141", province_code="08") == line
