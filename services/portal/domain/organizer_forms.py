"""The organizer's forms: a new fair as registration's `FairCreate`, the floor plan's grid, and putting the
services' field errors (`seller.tax_code`, `eligibility.home_provinces.0`, `booth_codes`) next to the
form's own fields."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from services.portal.domain.errors import ServiceProblem
from services.portal.domain.forms import CHECK_FORM, FormErrors, split_title
from shared.contracts.registration import EXHIBITOR_KINDS
from shared.reference.geo import UnknownPlace, provinces, resolve_province
from shared.taxcode import InvalidTaxCode, normalize_tax_code

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

FAIR_KINDS: dict[str, tuple[str, str]] = {
    "provincial": ("Cấp tỉnh", "Provincial"), "regional": ("Cấp khu vực", "Regional"),
    "national": ("Cấp quốc gia", "National"), "international": ("Quốc tế", "International"),
    "cnnt_showcase": ("Trưng bày sản phẩm CNNT", "Rural industry showcase"),
}
ALLOCATION_MODES: dict[str, tuple[str, str]] = {
    "automatic": ("Tự động xếp gian khi duyệt", "Automatic, on approval"),
    "organizer": ("Ban tổ chức xếp gian (chạy phân bổ)", "By the organizer (run the allocation)"),
    "exhibitor_picks": ("Doanh nghiệp tự chọn gian trên sơ đồ", "Exhibitors pick on the map"),
}
FAIR_FIELDS = (
    "name", "kind", "province_code", "venue", "venue_commune_code", "starts_on", "ends_on",
    "registration_opens_at", "registration_closes_at", "cancellation_deadline", "capacity_booths",
    "booth_price_vnd", "max_booths_per_exhibitor", "booths_per_row", "allocation_mode", "sectors", "zones",
    "eligible_kinds", "cscnnt_only", "home_provinces", "priority_sectors", "seller_name", "seller_tax_code",
    "seller_address",
)
INTEGERS = ("capacity_booths", "booth_price_vnd", "max_booths_per_exhibitor", "booths_per_row")
MOMENTS = ("registration_opens_at", "registration_closes_at", "cancellation_deadline")
REQUIRED = ("name", "province_code", "venue", "starts_on", "ends_on", "registration_opens_at",
            "registration_closes_at", "capacity_booths", "booth_price_vnd", "seller_name", "seller_tax_code")
# What an empty required field is told; a choice is asked to be chosen (none is pre-selected).
_MISSING: dict[str, tuple[str, str]] = {
    "province_code": ("Vui lòng chọn tỉnh, thành phố.", "Please choose the province."),
    "": ("Vui lòng nhập trường này.", "Please fill in this field."),
}
_MONEY_SEPARATORS = re.compile(r"[.\s,_\u00a0₫đ]|VND", re.IGNORECASE)


def province_options() -> list[tuple[str, str]]:
    """The 34 provinces (code, name), by name."""
    return sorted(((p.code, p.name) for p in provinces()), key=lambda p: p[1])


def resolve_province_code(raw: str) -> str | None:
    """A province's code from its code or any of its names (old ones too), or None."""
    try:
        return resolve_province(raw).code
    except (UnknownPlace, LookupError):
        return None


def lines(text: str) -> list[str]:
    """One item per line, blanks dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


# The limits of registration's FairCreate, checked here too so every mistake is told at once.
_RANGES: dict[str, tuple[int, int]] = {"capacity_booths": (1, 10_000), "booth_price_vnd": (1, 1_000_000_000),
                                       "max_booths_per_exhibitor": (1, 100), "booths_per_row": (1, 200)}
# Labels of the new-fair form's fields, for the summary's links (Vietnamese, English).
FAIR_LABELS: dict[str, tuple[str, str]] = {
    "name": ("Tên hội chợ", "Name"), "kind": ("Loại hội chợ", "Kind"),
    "province_code": ("Tỉnh, thành phố", "Province"), "venue_commune_code": ("Xã, phường", "Commune"),
    "venue": ("Địa điểm tổ chức", "Venue"), "starts_on": ("Ngày khai mạc", "Opens on"),
    "ends_on": ("Ngày bế mạc", "Closes on"), "registration_opens_at": ("Mở nhận đăng ký", "Registration opens"),
    "registration_closes_at": ("Đóng nhận đăng ký", "Registration closes"),
    "cancellation_deadline": ("Hạn hủy đăng ký", "Cancellation deadline"),
    "capacity_booths": ("Sức chứa", "Capacity"), "booths_per_row": ("Số gian mỗi dãy", "Booths per row"),
    "booth_price_vnd": ("Giá thuê một gian", "Price per booth"),
    "max_booths_per_exhibitor": ("Tối đa gian mỗi doanh nghiệp", "Max booths per exhibitor"),
    "allocation_mode": ("Cách xếp gian", "Allocation mode"), "sectors": ("Ngành hàng", "Sectors"),
    "zones": ("Khu vực", "Zones"), "eligible_kinds": ("Loại hình được đăng ký", "Kinds admitted"),
    "home_provinces": ("Chỉ doanh nghiệp của các tỉnh", "Only exhibitors from these provinces"),
    "priority_sectors": ("Ngành hàng được ưu tiên", "Priority sectors"),
    "seller_name": ("Tên đơn vị", "Seller's name"), "seller_tax_code": ("Mã số thuế", "Seller's tax code"),
    "seller_address": ("Địa chỉ", "Seller's address"),
}


def _integer(raw: str, name: str, errors: FormErrors) -> int | None:
    text = _MONEY_SEPARATORS.sub("", raw) if name == "booth_price_vnd" else raw.strip()
    try:
        value = int(text)
    except ValueError:
        errors.add(name, "Vui lòng nhập một số nguyên.", "Please enter a whole number.")
        return None
    low, high = _RANGES[name]
    if value < low:
        errors.add(name, f"Phải lớn hơn hoặc bằng {low}.", f"Must be at least {low}.")
    elif value > high:
        errors.add(name, f"Không được lớn hơn {high}.", f"Must be at most {high}.")
    return value


def _moment(raw: str, name: str, errors: FormErrors) -> str | None:
    """`2026-12-01T08:00` typed in Vietnam's time → an aware ISO datetime."""
    try:
        return datetime.fromisoformat(raw.strip()).replace(tzinfo=LOCAL_TZ).isoformat()
    except ValueError:
        errors.add(name, "Vui lòng nhập ngày giờ (ngày/tháng/năm giờ:phút).",
                   "Please enter a date and time (day/month/year hour:minute).")
        return None


def _day(form: dict[str, str], name: str, errors: FormErrors) -> date | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.add(name, "Vui lòng nhập ngày (ngày/tháng/năm).", "Please enter a date (day/month/year).")
        return None


def _check_rules(body: dict[str, Any], form: dict[str, str], errors: FormErrors) -> None:
    """Registration's rules between fields (dates in order, the maximum within the capacity, the seller's tax
    code, known provinces), all of them, so one submission tells every mistake."""
    starts, ends = _day(form, "starts_on", errors), _day(form, "ends_on", errors)
    opens, closes, deadline = (datetime.fromisoformat(body[n]) if body.get(n) else None for n in MOMENTS)
    if starts and ends and ends < starts:
        errors.add("ends_on", "Ngày bế mạc trước ngày khai mạc.", "The fair closes before it opens.")
    elif ends and ends < datetime.now(LOCAL_TZ).date():
        errors.add("ends_on", "Hội chợ đã kết thúc trước hôm nay.", "The fair lies wholly in the past.")
    if opens and closes and closes <= opens:
        errors.add("registration_closes_at", "Đóng nhận đăng ký phải sau khi mở.",
                   "Registration must close after it opens.")
    elif closes and starts and closes > datetime.combine(starts, time(0, 0), tzinfo=LOCAL_TZ):
        errors.add("registration_closes_at", "Đóng nhận đăng ký phải trước ngày khai mạc.",
                   "Registration must close before the fair opens.")
    if deadline and opens and deadline < opens:
        errors.add("cancellation_deadline", "Hạn hủy đăng ký trước ngày mở nhận đăng ký.",
                   "The cancellation deadline is before registration opens.")
    most, capacity = body.get("max_booths_per_exhibitor"), body.get("capacity_booths")
    if isinstance(most, int) and isinstance(capacity, int) and 0 < capacity < most:
        errors.add("max_booths_per_exhibitor", f"Vượt sức chứa {capacity} gian.",
                   f"More than the capacity of {capacity} booths.")
    if body.get("province_code") and not resolve_province_code(body["province_code"]):
        errors.add("province_code", "Vui lòng chọn tỉnh, thành phố trong danh sách.",
                   "Please choose a province from the list.")
    unknown = [p for p in body["eligibility"]["home_provinces"] if not resolve_province_code(p)]
    if unknown:
        names = ", ".join(unknown)
        errors.add("home_provinces", f"Không rõ tỉnh: {names}.", f"Unknown province: {names}.")
    tax_code = body["seller"]["tax_code"]
    if tax_code:
        try:
            normalize_tax_code(tax_code)
        except InvalidTaxCode as exc:
            vi, en = split_title(exc.reason)
            errors.add("seller_tax_code", vi + ".", (en[:1].upper() + en[1:] + ".") if en else "")


def fair_body(form: dict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body of registration's `FairCreate`, or every mistake the portal can see (nothing is sent)."""
    errors = FormErrors()
    for name in REQUIRED:
        if not form.get(name, "").strip():
            errors.add(name, *_MISSING.get(name, _MISSING[""]))
    body: dict[str, Any] = {name: form[name].strip() for name in (
        "name", "kind", "province_code", "venue", "starts_on", "ends_on", "allocation_mode")
        if form.get(name, "").strip()}
    if form.get("venue_commune_code", "").strip():
        body["venue_commune_code"] = form["venue_commune_code"].strip()
    for name in INTEGERS:
        if form.get(name, "").strip():
            body[name] = _integer(form[name], name, errors)
    for name in MOMENTS:
        if form.get(name, "").strip():
            body[name] = _moment(form[name], name, errors)
    for name in ("sectors", "zones"):
        body[name] = lines(form.get(name, ""))
    body["eligibility"] = {"kinds": [k for k in lines(form.get("eligible_kinds", "")) if k in EXHIBITOR_KINDS],
                           "cscnnt_only": form.get("cscnnt_only") == "on",
                           "home_provinces": lines(form.get("home_provinces", ""))}
    if lines(form.get("priority_sectors", "")):
        body["priority_policy"] = {"priority_sectors": lines(form["priority_sectors"])}
    body["seller"] = {"name": form.get("seller_name", "").strip(), "tax_code": form.get("seller_tax_code", "").strip(),
                      "address": form.get("seller_address", "").strip()}
    _check_rules(body, form, errors)
    if errors:
        errors.title, errors.title_en = CHECK_FORM
    return body, errors


def fair_field(path: str) -> str:
    """The form field of a service's error path: `seller.tax_code` → `seller_tax_code`, lists → their field."""
    parts = [p for p in path.split(".") if p and not p.isdigit()]
    if not parts:
        return ""
    head, rest = parts[0], parts[1:]
    if head == "seller" and rest:
        return f"seller_{rest[0]}"
    if head == "eligibility" and rest:
        return "eligible_kinds" if rest[0] == "kinds" else rest[0]
    if head == "priority_policy" and rest:
        return rest[0]
    return head


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")


def renamed(problem: ServiceProblem, rename: Any) -> ServiceProblem:
    """The same problem with its errors' fields renamed to the form's, messages without pydantic's prefix."""
    errors = [{**e, "field": rename(str(e.get("field") or "")), "message": _clean(str(e.get("message") or ""))}
              for e in problem.errors]
    return ServiceProblem(problem.status, problem.title, problem.detail, errors)


def fair_problem(problem: ServiceProblem) -> ServiceProblem:
    """Registration's problem about a new fair, its fields named as the form names them."""
    return renamed(problem, fair_field)


def codes(text: str) -> list[str]:
    """Booth codes typed with commas, spaces or new lines: `A01, A02` → ["A01", "A02"]."""
    return [c for c in re.split(r"[\s,;]+", text.strip()) if c]
