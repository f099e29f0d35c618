"""The market planner's forms: what the organizer typed, as the markets service's JSON bodies.

The portal checks only what it must to build a body (a date it cannot read, a line it cannot split);
every rule about the values (ranges, quotas, commune in the province) is the service's, and its
problem+json field errors are put back next to the fields by `FormErrors.from_problem`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from services.portal.domain.display import kind_choices
from services.portal.domain.errors import ServiceProblem
from services.portal.domain.forms import FormErrors, bilingual, message_of, split_title

# The earthly branches in the service's spelling (tones matter: Tý ≠ Tỵ).
BRANCHES = ("Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi")
WEEKDAYS = ((1, "Thứ Hai", "Monday"), (2, "Thứ Ba", "Tuesday"), (3, "Thứ Tư", "Wednesday"),
            (4, "Thứ Năm", "Thursday"), (5, "Thứ Sáu", "Friday"), (6, "Thứ Bảy", "Saturday"),
            (7, "Chủ nhật", "Sunday"))
# A market session's suppliers: no cooperative groups (the markets service takes these three kinds).
SUPPLIER_KINDS = kind_choices(("cooperative", "enterprise", "household"))

PROGRAMME_FIELDS = ("name", "year", "province_code", "target_sessions", "session_days", "booth_quota",
                    "enterprise_quota", "budget_vnd", "min_gap_days", "max_concurrent", "blackouts")
SITE_FIELDS = ("commune_code", "name", "mountain", "border", "island", "difficult", "priority", "capacity_booths",
               "travel_hours", "market_day", "blackouts", "max_sessions")
SUPPLIER_FIELDS = ("name", "kind", "tax_code", "categories", "availability", "funded", "max_sessions", "booths")
REPORT_FIELDS = ("visitors", "revenue_vnd", "enterprises_present", "goods_sold", "note")
GOODS_ROWS = 4

_PERIOD = re.compile(r"^\s*(\S+)\s*(?:–|—|-|đến|to)\s*(\S+)\s*(.*)$")
_MONEY_NOISE = re.compile(r"[.\s,_]|₫|đ$|VND$", re.IGNORECASE)


def read_date(text: str) -> date | None:
    """2027-07-01 or 01/07/2027 (the way people write dates in Vietnam)."""
    text = text.strip()
    try:
        if "/" in text:
            d, m, y = (int(p) for p in text.split("/"))
            return date(y, m, d)
        return date.fromisoformat(text)
    except ValueError:
        return None


def unreadable_dates(name: str, typed: list[str]) -> FormErrors:
    """The error next to a field of dates the portal could not read (the typed text quoted back)."""
    errors = FormErrors()
    shown = ", ".join(f"“{x[:20]}”" for x in typed[:5]) or "“”"
    errors.add(name, f"Không đọc được ngày {shown}. Vui lòng viết dạng dd/mm/yyyy, ví dụ 12/02/2027.",
               f"Cannot read the date {shown}. Please write it as dd/mm/yyyy, e.g. 12/02/2027.")
    return _titled(errors)


def _number(raw: str, *, money: bool = False, real: bool = False) -> Any:
    """An int (or float) when the text is one; the text itself otherwise, so the service names the error.

    Money may be typed as 5.000.000 or 5 000 000 ₫. Empty means "not given".
    """
    text = raw.strip()
    if not text:
        return None
    if money:
        text = _MONEY_NOISE.sub("", text)
    try:
        return float(text.replace(",", ".")) if real else int(text)
    except ValueError:
        return raw.strip()


def _put(body: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        body[key] = value


def read_periods(text: str, name: str, errors: FormErrors) -> list[dict[str, str]]:
    """Lines "01/07/2027 - 31/08/2027 mùa mưa lũ" → periods; a line the portal cannot read is an error."""
    periods = []
    for n, line in enumerate((x for x in text.splitlines() if x.strip()), start=1):
        match = _PERIOD.match(line)
        starts = read_date(match.group(1)) if match else None
        ends = read_date(match.group(2)) if match else None
        if match is None or starts is None or ends is None:
            errors.add(name, f"Dòng {n}: cần dạng “01/07/2027 - 31/08/2027 lý do”.",
                       f"Line {n}: write it as “01/07/2027 - 31/08/2027 reason”.")
            continue
        periods.append({"starts_on": starts.isoformat(), "ends_on": ends.isoformat(),
                        "reason": match.group(3).strip()[:200]})
    return periods


def _titled(errors: FormErrors) -> FormErrors:
    if errors and not errors.title:
        errors.title, errors.title_en = "Dữ liệu không hợp lệ", "Invalid input"
    return errors


def programme_body(form: dict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body of `POST /programmes`."""
    errors = FormErrors()
    body: dict[str, Any] = {"name": form.get("name", "").strip(), "province_code": form.get("province_code", "")}
    for key in ("year", "target_sessions", "session_days", "booth_quota", "enterprise_quota", "min_gap_days",
                "max_concurrent"):
        _put(body, key, _number(form.get(key, "")))
    _put(body, "budget_vnd", _number(form.get("budget_vnd", ""), money=True))
    blackouts = read_periods(form.get("blackouts", ""), "blackouts", errors)
    if blackouts:
        body["blackouts"] = blackouts
    return body, _titled(errors)


def market_day(form: dict[str, str], lists: dict[str, list[str]], errors: FormErrors) -> dict[str, Any]:
    """The site's market-day rule from the radio buttons and their own inputs."""
    kind = form.get("market_kind", "weekday")
    if kind == "weekday":
        return {"kind": "weekday", "weekdays": [_number(w) for w in lists.get("weekdays", [])]}
    if kind == "branch":
        picked = [b for b in (form.get("branch_1", ""), form.get("branch_2", "")) if b]
        return {"kind": "branch", "branches": list(dict.fromkeys(picked))}
    if kind == "lunar":
        days = [p for p in re.split(r"[,;\s]+", form.get("lunar_days", "")) if p]
        return {"kind": "lunar", "days": [_number(d) for d in days]}
    if kind == "daily":
        return {"kind": "daily"}
    errors.add("market_day", "Vui lòng chọn một kiểu phiên chợ.", "Please choose a kind of market day.")
    return {}


def site_body(form: dict[str, str], lists: dict[str, list[str]]) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body of `POST /programmes/{id}/sites`."""
    errors = FormErrors()
    body: dict[str, Any] = {"commune_code": form.get("commune_code", "")}
    _put(body, "name", form.get("name", "").strip())
    for flag in ("mountain", "border", "island", "difficult"):
        body[flag] = flag in form
    for key in ("priority", "capacity_booths", "max_sessions"):
        _put(body, key, _number(form.get(key, "")))
    _put(body, "travel_hours", _number(form.get("travel_hours", ""), real=True))
    rule = market_day(form, lists, errors)
    if rule:
        body["market_day"] = rule
    blackouts = read_periods(form.get("blackouts", ""), "blackouts", errors)
    if blackouts:
        body["blackouts"] = blackouts
    return body, _titled(errors)


def read_rule(text: str) -> dict[str, Any] | None:
    """A market day written briefly: "CN", "T7", "T2 T5", "Dần-Thân", "âm 2,7,12,17,22,27", "hàng ngày"."""
    words = text.strip()
    low = words.lower()
    if not low:
        return None
    if low in ("hàng ngày", "hang ngay", "daily"):
        return {"kind": "daily"}
    if low.startswith(("âm", "am ", "lunar")):
        days = re.findall(r"\d+", low)
        return {"kind": "lunar", "days": [int(d) for d in days]} if days else None
    parts = [p for p in re.split(r"[-–,;\s]+", words) if p]
    branches = [b for p in parts for b in BRANCHES if b.lower() == p.lower()]
    if branches and len(branches) == len(parts):
        return {"kind": "branch", "branches": branches}
    weekdays = []
    for p in parts:
        key = p.upper()
        if key in ("CN", "SUN"):
            weekdays.append(7)
        elif re.fullmatch(r"T[2-7]", key):
            weekdays.append(int(key[1]) - 1)
        else:
            return None
    return {"kind": "weekday", "weekdays": weekdays}


def import_body(text: str) -> tuple[dict[str, Any], FormErrors]:
    """Lines "xã (mã hoặc tên); huyện cũ; sức chứa; giờ đi đường; phiên chợ; cờ" → `POST …/sites/import`.

    The flags are letters: n = miền núi, b = biên giới, d = đảo, k = đặc biệt khó khăn.
    """
    errors = FormErrors()
    sites = []
    for n, line in enumerate((x for x in text.splitlines() if x.strip()), start=1):
        cells = [c.strip() for c in line.split(";")]
        cells += [""] * (6 - len(cells))
        commune, district, capacity, hours, rule_text, flags = cells[:6]
        site: dict[str, Any] = {"commune_code": commune} if re.fullmatch(r"\d{5}", commune) else \
            {"commune_name": commune}
        _put(site, "former_district", district)
        _put(site, "capacity_booths", _number(capacity))
        _put(site, "travel_hours", _number(hours, real=True))
        rule = read_rule(rule_text)
        if rule_text and rule is None:
            errors.note(f"Dòng {n}: không đọc được phiên chợ “{rule_text}”.",
                        f"Line {n}: the market day “{rule_text}” cannot be read.")
        elif rule:
            site["market_day"] = rule
        for letter, flag in (("n", "mountain"), ("b", "border"), ("d", "island"), ("k", "difficult")):
            site[flag] = letter in flags.lower()
        sites.append(site)
    return {"sites": sites}, _titled(errors)


def import_problem(problem: ServiceProblem) -> FormErrors:
    """The service names an import's errors `sites.3.capacity_booths`: say "Dòng 4 (capacity_booths)" instead."""
    title, title_en = split_title(problem.title)
    errors = FormErrors(title=title, title_en=title_en)
    for error in problem.errors:
        parts = str(error.get("field") or "").split(".")
        message = message_of(error)
        if len(parts) >= 2 and parts[0] == "sites" and parts[1].isdigit():
            column = f" ({'.'.join(parts[2:])})" if parts[2:] else ""
            message = message.prefixed(f"Dòng {int(parts[1]) + 1}{column}: ", f"Line {int(parts[1]) + 1}{column}: ")
        errors.general.append(message)
    if problem.detail and not problem.errors:
        errors.general.append(bilingual(problem.detail))
    return errors


def supplier_body(form: dict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body of `POST /programmes/{id}/suppliers`."""
    errors = FormErrors()
    body: dict[str, Any] = {"name": form.get("name", "").strip(), "kind": form.get("kind", "cooperative"),
                            "funded": "funded" in form}
    _put(body, "tax_code", form.get("tax_code", "").strip())
    body["categories"] = [c.strip() for c in re.split(r"[,;\n]+", form.get("categories", "")) if c.strip()]
    for key in ("max_sessions", "booths"):
        _put(body, key, _number(form.get(key, "")))
    availability = read_periods(form.get("availability", ""), "availability", errors)
    if availability:
        body["availability"] = availability
    return body, _titled(errors)


def report_body(form: dict[str, str]) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body of `POST /sessions/{id}/report`; goods rows without a category are left out."""
    errors = FormErrors()
    body: dict[str, Any] = {}
    _put(body, "visitors", _number(form.get("visitors", "")))
    _put(body, "revenue_vnd", _number(form.get("revenue_vnd", ""), money=True))
    _put(body, "enterprises_present", _number(form.get("enterprises_present", "")))
    goods = []
    for n in range(GOODS_ROWS):
        category = form.get(f"goods_category_{n}", "").strip()
        revenue = _number(form.get(f"goods_revenue_{n}", ""), money=True)
        if category:
            goods.append({"category": category, **({"revenue_vnd": revenue} if revenue is not None else {})})
        elif revenue is not None:
            errors.add("goods_sold", f"Dòng {n + 1}: cần tên nhóm hàng.", f"Line {n + 1}: name the goods.")
    body["goods_sold"] = goods
    _put(body, "note", form.get("note", "").strip())
    return body, _titled(errors)
