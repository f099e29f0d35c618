"""The organizer's forms: a new fair as registration's `FairCreate`, the floor plan's grid, and putting the
services' field errors (`seller.tax_code`, `eligibility.home_provinces.0`, `booth_codes`) next to the
form's own fields."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.portal.backend import ServiceProblem
from services.portal.forms import FormErrors
from shared.geo import provinces

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
EXHIBITOR_KINDS: dict[str, tuple[str, str]] = {
    "enterprise": ("Doanh nghiệp", "Enterprise"), "cooperative": ("Hợp tác xã", "Cooperative"),
    "cooperative_group": ("Tổ hợp tác", "Cooperative group"), "household": ("Hộ kinh doanh", "Household business"),
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


def lines(text: str) -> list[str]:
    """One item per line, blanks dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _integer(raw: str, name: str, errors: FormErrors) -> int | None:
    text = _MONEY_SEPARATORS.sub("", raw) if name == "booth_price_vnd" else raw.strip()
    try:
        return int(text)
    except ValueError:
        errors.add(name, "Vui lòng nhập một số nguyên.")
        return None


def _moment(raw: str, name: str, errors: FormErrors) -> str | None:
    """`2026-12-01T08:00` typed in Vietnam's time → an aware ISO datetime."""
    try:
        return datetime.fromisoformat(raw.strip()).replace(tzinfo=LOCAL_TZ).isoformat()
    except ValueError:
        errors.add(name, "Vui lòng nhập ngày giờ (ngày/tháng/năm giờ:phút).")
        return None


def fair_body(form: dict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body of registration's `FairCreate`, or the portal's own errors (missing, not a number)."""
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
    if errors:
        errors.title, errors.title_en = "Vui lòng kiểm tra lại thông tin", "Please check the form"
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
