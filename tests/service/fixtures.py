"""Request bodies the service tests share (figures from the seeds: a 70-booth provincial fair)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

VALID_TAX_CODE = "0100233488"
CENTRE_TAX_CODE = "0100233488"


def fair_body(**overrides: Any) -> dict[str, Any]:
    """A provincial spring fair of 70 standard booths, registration open now."""
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "name": "Hội chợ Xuân Tuyên Quang 2027",
        "kind": "provincial",
        "province_code": "08",
        "venue": "Quảng trường Nguyễn Tất Thành, Tuyên Quang",
        "starts_on": "2027-01-20",
        "ends_on": "2027-01-26",
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
