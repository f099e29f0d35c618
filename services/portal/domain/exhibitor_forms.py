"""The exhibitor's profile form: places from the 34-province map, products with CNNT recognition, and the
registration service's field errors put back next to the right input in plain Vietnamese."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from services.portal.domain.display import kind_choices
from services.portal.domain.errors import ServiceProblem
from services.portal.domain.forms import CHECK_FORM, FormErrors, Text, bilingual, message_of, split_title
from shared.reference import geo
from shared.text import fold

# The profile form offers the smallest kind first.
KINDS = kind_choices(("household", "cooperative", "cooperative_group", "enterprise"))
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("agro_food", "Chế biến nông sản, thực phẩm", "Processed farm produce, food"),
    ("handicraft", "Thủ công mỹ nghệ", "Handicraft"),
    ("machinery", "Máy móc, thiết bị", "Machinery, equipment"),
    ("other", "Khác", "Other"),
)
LEVELS: tuple[tuple[str, str, str], ...] = (
    ("provincial", "Cấp tỉnh", "Provincial"),
    ("regional", "Cấp khu vực", "Regional"),
    ("national", "Cấp quốc gia", "National"),
)
PRODUCT_ROWS_MIN = 3  # blank rows offered below the exhibitor's products
PRODUCT_ROWS_MAX = 50  # the service's limit
PROFILE_FIELDS = ("legal_name", "kind", "is_cscnnt", "tax_code", "province_code", "commune_code", "address",
                  "phone", "email", "sectors", "products")
REQUIRED = ("legal_name", "kind", "tax_code", "province_code")
# The registration service requires the commune on a new profile, and once set it may change but never be
# cleared; a profile made before that rule may have none and can still be edited without one.
COMMUNE = "commune_code"

# Pydantic's own messages for these fields are technical English: say it plainly instead.
_PLAIN = {
    "province_code": Text("Không nhận ra tỉnh, thành phố này. Vui lòng chọn trong danh sách.",
                          "This province is not known. Please choose one from the list."),
    "phone": Text("Số điện thoại không hợp lệ. Ví dụ: 0912 345 678.",
                  "This phone number is not valid. For example: 0912 345 678."),
    "email": Text("Địa chỉ email không hợp lệ. Ví dụ: ten@example.vn.",
                  "This email address is not valid. For example: name@example.vn."),
    "kind": Text("Vui lòng chọn loại hình.", "Please choose the kind of business."),
    "group": Text("Vui lòng chọn nhóm sản phẩm trong danh sách.", "Please choose a product group from the list."),
    "level": Text("Vui lòng chọn cấp công nhận trong danh sách.", "Please choose a recognition level from the list."),
    "year": Text("Năm công nhận phải là số từ 2000 đến 2100.", "The year must be a number from 2000 to 2100."),
}
_REQUIRED = {"kind": _PLAIN["kind"],
             "province_code": Text("Vui lòng chọn tỉnh, thành phố.", "Please choose the province."),
             COMMUNE: Text("Vui lòng chọn xã, phường.", "Please choose the commune."),
             "": Text("Vui lòng nhập trường này.", "Please fill in this field.")}
_TECHNICAL = ("value_error", "literal_error", "enum", "bool_type", "string_type", "int_type", "int_parsing")
_COMMUNE_MISSING = ("missing", "string_too_short", "string_type", "commune-required")
_COMMUNE_AFTER_PROVINCE = Text("Vui lòng chọn tỉnh, thành phố trước, rồi chọn xã, phường.",
                               "Please choose the province first, then the commune.")


def commune_required(form: dict[str, Any], *, creating: bool) -> bool:
    """Whether the form must name a commune: on a new profile, and on one that already has a commune."""
    return creating or bool(form.get("had_commune"))


@dataclass(frozen=True)
class ProvinceOption:
    """A province of the select, with the pre-2025 provinces merged into it (so old names are found)."""

    code: str
    name: str
    former: str


@lru_cache(maxsize=1)
def province_options() -> tuple[ProvinceOption, ...]:
    """The 34 provinces by name, each with its former provinces."""
    rows = []
    for p in geo.provinces():
        former = [n for n in geo.former_provinces(p.code) if n != p.name]
        rows.append(ProvinceOption(p.code, p.name, ", ".join(former)))
    return tuple(sorted(rows, key=lambda o: geo_sort_key(o.name)))


def geo_sort_key(name: str) -> str:
    """Vietnamese names sorted as people expect (diacritics folded, Đ with D)."""
    return fold(name)


@lru_cache(maxsize=64)
def commune_options(province_code: str) -> tuple[tuple[str, str], ...]:
    """(code, "Xã Lũng Cú") of a province's communes, by name; empty for an unknown province."""
    try:
        rows = geo.communes(province_code)
    except (KeyError, LookupError):
        return ()
    return tuple((c.code, c.full_name) for c in sorted(rows, key=lambda c: geo_sort_key(c.name)))


def resolve_province_code(raw: str) -> str | None:
    """A province code from a code or any name (old names included), or None."""
    if not raw.strip():
        return None
    try:
        return geo.resolve_province(raw).code
    except geo.UnknownPlace:
        return None


def product_rows(products: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The product rows of the form from a stored profile, plus a few blank ones."""
    rows = []
    for product in products:
        recognition = product.get("recognition") or {}
        rows.append({"name": str(product.get("name") or ""), "group": str(product.get("group") or "other"),
                     "level": str(recognition.get("level") or ""),
                     "certificate_no": str(recognition.get("certificate_no") or ""),
                     "year": str(recognition.get("year") or "")})
    return pad_products(rows)


def pad_products(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Add blank rows so the exhibitor can always add products without any script."""
    blank = {"name": "", "group": "agro_food", "level": "", "certificate_no": "", "year": ""}
    wanted = min(max(len(rows) + 2, PRODUCT_ROWS_MIN), PRODUCT_ROWS_MAX)
    return rows + [dict(blank) for _ in range(wanted - len(rows))]


def form_from_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """The form's values from a stored profile."""
    return {"legal_name": profile.get("legal_name") or "", "kind": profile.get("kind") or "",
            "is_cscnnt": bool(profile.get("is_cscnnt")), "tax_code": profile.get("tax_code") or "",
            "province_code": profile.get("province_code") or "", "commune_code": profile.get("commune_code") or "",
            "had_commune": bool(profile.get("commune_code")),
            "address": profile.get("address") or "", "phone": profile.get("phone") or "",
            "email": profile.get("email") or "", "sectors": "\n".join(profile.get("sectors") or []),
            "products": product_rows(list(profile.get("products") or []))}


def read_form(raw: dict[str, str]) -> dict[str, Any]:
    """What the exhibitor typed, as the form shows it again."""
    rows = []
    for i in range(PRODUCT_ROWS_MAX):
        if f"product-{i}-name" not in raw:
            break
        rows.append({key: raw.get(f"product-{i}-{key}", "").strip()
                     for key in ("name", "group", "level", "certificate_no", "year")})
    return {"legal_name": raw.get("legal_name", "").strip(), "kind": raw.get("kind", ""),
            "is_cscnnt": raw.get("is_cscnnt") == "on", "tax_code": raw.get("tax_code", "").strip(),
            "province_code": raw.get("province_code", "").strip(),
            "commune_code": raw.get("commune_code", "").strip(), "had_commune": raw.get("had_commune") == "1",
            "address": raw.get("address", "").strip(),
            "phone": raw.get("phone", "").strip(), "email": raw.get("email", "").strip(),
            "sectors": raw.get("sectors", ""),
            "products": pad_products([r for r in rows if r["name"] or r["level"] or r["certificate_no"] or r["year"]])}


def profile_body(form: dict[str, Any], *, creating: bool) -> tuple[dict[str, Any], FormErrors]:
    """The JSON body for `ExhibitorCreate` / `ExhibitorUpdate`, or the portal's own errors (nothing sent)."""
    errors = FormErrors()
    for name in REQUIRED:
        if not form.get(name):
            errors.add(name, _REQUIRED.get(name, _REQUIRED[""]))
    if commune_required(form, creating=creating) and not form.get(COMMUNE):
        errors.add(COMMUNE, _REQUIRED[COMMUNE] if form.get("province_code") else _COMMUNE_AFTER_PROVINCE)
    products: list[dict[str, Any]] = []
    for i, row in enumerate(form["products"]):
        if not row["name"]:
            if row["level"] or row["certificate_no"] or row["year"]:
                errors.add(f"products.{i}", "Vui lòng nhập tên sản phẩm được công nhận.",
                           "Please enter the name of the recognised product.")
            continue
        product: dict[str, Any] = {"name": row["name"], "group": row["group"] or "other"}
        if row["level"]:
            recognition: dict[str, Any] = {"level": row["level"], "certificate_no": row["certificate_no"]}
            if row["year"]:
                try:
                    recognition["year"] = int(row["year"])
                except ValueError:
                    errors.add(f"products.{i}", _PLAIN["year"])
            product["recognition"] = recognition
        products.append(product)
    if errors:
        errors.title, errors.title_en = CHECK_FORM
    sectors = list(dict.fromkeys(s.strip() for s in form["sectors"].replace(",", "\n").splitlines() if s.strip()))
    body: dict[str, Any] = {"legal_name": form["legal_name"], "kind": form["kind"], "is_cscnnt": form["is_cscnnt"],
                            "tax_code": form["tax_code"], "province_code": form["province_code"],
                            "address": form["address"], "sectors": sectors, "products": products}
    if form[COMMUNE]:
        body[COMMUNE] = form[COMMUNE]  # left out when empty: the service keeps a commune, never clears it
    for name in ("phone", "email"):
        if form[name]:
            body[name] = form[name]
        elif not creating:
            body[name] = None  # clears it
    return body, errors


def profile_errors(problem: ServiceProblem) -> FormErrors:
    """A refusal of the registration service sorted onto the profile form's fields, in Vietnamese."""
    title, title_en = split_title(problem.title)
    errors = FormErrors(title=title, title_en=title_en)
    for error in problem.errors:
        path = str(error.get("field") or "").split(".")
        name = path[0]
        code = str(error.get("code") or "")
        if name == "products" and len(path) > 1 and path[1].isdigit():
            leaf = path[-1]
            message = _PLAIN[leaf] if leaf in _PLAIN and code in _TECHNICAL else message_of(error)
            errors.add(f"products.{path[1]}", message)
        elif name == COMMUNE and code in _COMMUNE_MISSING:
            errors.add(name, _REQUIRED[COMMUNE])
        elif name in PROFILE_FIELDS:
            message = _PLAIN[name] if name in _PLAIN and code in _TECHNICAL else message_of(error)
            errors.add(name, Text(message.removeprefix("Value error, "), message.en.removeprefix("Value error, ")))
        else:
            errors.general.append(message_of(error))
    if problem.detail and not problem.errors:
        errors.general.append(bilingual(problem.detail))
    if errors.fields:
        errors.title, errors.title_en = CHECK_FORM
    return errors
