"""Request bodies the service tests share (figures from the seeds: a 70-booth provincial fair)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

VALID_TAX_CODE = "0100233488"
CENTRE_TAX_CODE = "0100233488"


def fair_body(**overrides: Any) -> dict[str, Any]:
    """A provincial spring fair of 70 standard booths, registration open now and closing 15 days before the
    fair's first day (dates relative to today: a fair must not lie in the past nor start before its window
    closes). At most 4 booths per exhibitor, or the capacity when an override makes it smaller."""
    now = datetime.now(UTC)
    starts_on = (now + timedelta(days=45)).date()
    body: dict[str, Any] = {
        "name": "Hội chợ Xuân Tuyên Quang 2027",
        "kind": "provincial",
        "province_code": "08",
        "venue": "Quảng trường Nguyễn Tất Thành, Tuyên Quang",
        "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + timedelta(days=6)).isoformat(),
        "registration_opens_at": (now - timedelta(days=1)).isoformat(),
        "registration_closes_at": (now + timedelta(days=30)).isoformat(),
        "capacity_booths": 70,
        "booth_price_vnd": 5_000_000,
        "max_booths_per_exhibitor": 4,
        "booths_per_row": 10,
        "seller": {"name": "Trung tâm Khuyến công và XTTM tỉnh Tuyên Quang", "tax_code": CENTRE_TAX_CODE,
                   "address": "Tuyên Quang"},
    }
    body.update(overrides)
    capacity = body["capacity_booths"]
    if "max_booths_per_exhibitor" not in overrides and type(capacity) is int and capacity > 0:
        body["max_booths_per_exhibitor"] = min(4, capacity)
    return body


def exhibitor_body(**overrides: Any) -> dict[str, Any]:
    """A cooperative from Đồng Văn (old Hà Giang, now Tuyên Quang)."""
    body: dict[str, Any] = {
        "legal_name": "HTX Chè Shan tuyết Đồng Văn",
        "kind": "cooperative",
        "is_cscnnt": True,
        "tax_code": VALID_TAX_CODE,
        "province_code": "Hà Giang",
        "commune_code": "00721",  # Xã Đồng Văn
        "address": "Thị trấn Đồng Văn",
        "phone": "0912345678",
        "email": "htx@example.vn",
    }
    body.update(overrides)
    return body
