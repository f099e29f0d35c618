"""How the pages write values in Vietnamese: money, dates in Vietnam's time, places, and the names of states."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import vn_money

from shared.contracts.registration import EXHIBITOR_KIND_LABELS
from shared.reference.geo import UnknownPlace, province

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

FAIR_STATUS = {"draft": "Bản nháp", "open": "Đang nhận đăng ký", "closed": "Đã đóng đăng ký",
               "running": "Đang diễn ra", "finished": "Đã kết thúc", "cancelled": "Đã hủy"}
FAIR_KIND = {"provincial": "Cấp tỉnh", "regional": "Cấp khu vực", "national": "Cấp quốc gia",
             "international": "Quốc tế", "cnnt_showcase": "Trưng bày sản phẩm CNNT"}
REGISTRATION_STATUS = {"submitted": "Đã nộp – chờ duyệt", "approved": "Đã duyệt",
                       "waitlisted": "Trong danh sách chờ", "rejected": "Bị từ chối", "cancelled": "Đã hủy",
                       "changes_requested": "Cần bổ sung, nộp lại"}
INVOICE_STATUS = {"issued": "Chờ thanh toán", "paid": "Đã thanh toán", "overdue": "Quá hạn thanh toán",
                  "voided": "Đã hủy", "partially_paid": "Đã thanh toán một phần"}


def vnd(amount: Any) -> str:
    """"5.000.000 ₫" (a no-break space keeps the sign with its digits); "—" when unknown."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        return "—"
    return str(vn_money.format_vnd(amount))


def _parse(value: Any) -> date | datetime | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        return None


def day(value: Any) -> str:
    """A date as 20/01/2027 (a datetime first moved to Vietnam's time)."""
    parsed = _parse(value)
    if isinstance(parsed, datetime):
        parsed = (parsed.astimezone(LOCAL_TZ) if parsed.tzinfo else parsed).date()
    return parsed.strftime("%d/%m/%Y") if parsed else "—"


def moment(value: Any) -> str:
    """A datetime as 08:30 20/01/2027, in Vietnam's time (Asia/Ho_Chi_Minh)."""
    parsed = _parse(value)
    if not isinstance(parsed, datetime):
        return day(value)
    if parsed.tzinfo:
        parsed = parsed.astimezone(LOCAL_TZ)
    return parsed.strftime("%H:%M %d/%m/%Y")


def province_name(code: Any) -> str:
    """The province's current name, or the code when it is unknown."""
    try:
        return province(str(code)).name
    except (UnknownPlace, LookupError):
        return str(code)


# The organizer's pages name states in both languages (Vietnamese, English).
REGISTRATION_STATES: dict[str, tuple[str, str]] = {
    "submitted": ("Chờ duyệt", "Submitted"),
    "changes_requested": ("Chờ bổ sung", "Changes requested"),
    "approved": ("Đã duyệt", "Approved"),
    "waitlisted": ("Danh sách chờ", "Waitlisted"),
    "rejected": ("Bị từ chối", "Rejected"),
    "cancelled": ("Đã hủy", "Cancelled"),
}
FAIR_STATES: dict[str, tuple[str, str]] = {
    "draft": ("Bản nháp", "Draft"), "open": ("Đang nhận đăng ký", "Open"),
    "closed": ("Đã đóng đăng ký", "Closed"), "running": ("Đang diễn ra", "Running"),
    "finished": ("Đã kết thúc", "Finished"), "cancelled": ("Đã hủy", "Cancelled"),
}


def kind_choices(order: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """A form's choice of exhibitor kinds in the order it offers them: (kind, Vietnamese, English), the names
    the registration contract gives them."""
    return tuple((kind, *EXHIBITOR_KIND_LABELS[kind]) for kind in order)


# Banks of the VietQR network by their NAPAS BIN (the most common; others are shown by their BIN).
BANKS = {"970436": "Vietcombank", "970415": "VietinBank", "970418": "BIDV", "970405": "Agribank",
         "970407": "Techcombank", "970422": "MB", "970416": "ACB", "970432": "VPBank", "970403": "Sacombank",
         "970423": "TPBank", "970441": "VIB", "970443": "SHB", "970431": "Eximbank", "970426": "MSB"}
