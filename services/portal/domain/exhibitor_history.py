"""The profile's history from the registration service's audit log, as lines a person reads: who, when,
which fields, from what to what."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from services.portal.domain.display import province_name
from services.portal.domain.exhibitor_forms import KINDS
from shared.reference import geo

Pair = tuple[str, str]  # (Vietnamese, English)

FIELDS: dict[str, Pair] = {
    "legal_name": ("Tên doanh nghiệp", "Legal name"), "kind": ("Loại hình", "Kind"),
    "is_cscnnt": ("Cơ sở CNNT", "Rural industry establishment"), "tax_code": ("Mã số thuế", "Tax code"),
    "province_code": ("Tỉnh, thành phố", "Province"), "commune_code": ("Xã, phường", "Commune"),
    "address": ("Địa chỉ", "Address"), "phone": ("Điện thoại", "Phone"), "email": ("Email", "Email"),
    "sectors": ("Ngành hàng", "Sectors"), "products": ("Sản phẩm", "Products"),
}
ACTIONS: dict[str, Pair] = {"exhibitor.created": ("Tạo hồ sơ", "Profile created"),
                            "exhibitor.updated": ("Sửa hồ sơ", "Profile changed")}
ACTORS: dict[str, Pair] = {"exhibitor": ("Doanh nghiệp", "The exhibitor"), "organizer": ("Ban tổ chức", "Organizer"),
                           "admin": ("Quản trị", "Admin"), "system": ("Hệ thống", "System")}
SHOWN = 50  # the latest entries; the log itself keeps everything


@dataclass(frozen=True)
class Change:
    """One field of an entry: its name, and the value before (None on creation) and after."""

    field: Pair
    before: Pair | None
    after: Pair


@dataclass(frozen=True)
class Entry:
    """One line of the history."""

    at: str
    action: Pair
    actor: Pair
    actor_id: str
    changes: list[Change]


def _value(name: str, value: Any) -> Pair:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if value is None or value == "" or value == []:
        return "—", "—"
    if isinstance(value, bool):
        return ("Có", "Yes") if value else ("Không", "No")
    if name == "kind":
        return next(((vi, en) for code, vi, en in KINDS if code == value), (str(value), str(value)))
    if name == "province_code":
        return (province_name(value),) * 2
    if name == "commune_code":
        try:
            return (geo.commune(str(value)).full_name,) * 2
        except (KeyError, LookupError):
            return str(value), str(value)
    if isinstance(value, list):
        text = ", ".join(str(v.get("name") if isinstance(v, dict) else v) for v in value)
        return text, text
    return str(value), str(value)


def _changes(action: str, changes: dict[str, Any]) -> list[Change]:
    rows = []
    for name, label in FIELDS.items():  # the form's order; fields the portal does not know are left out
        if name not in changes:
            continue
        value = changes[name]
        if action == "exhibitor.updated" and isinstance(value, list) and len(value) == 2:
            rows.append(Change(label, _value(name, value[0]), _value(name, value[1])))
        elif action != "exhibitor.updated" and value not in (None, "", [], False):
            rows.append(Change(label, None, _value(name, value)))
    return rows


def history(page: Any) -> list[Entry]:
    """The audit page's entries, newest first."""
    rows = page.get("data") if isinstance(page, dict) else None
    entries = []
    for row in reversed(rows if isinstance(rows, list) else []):
        if not isinstance(row, dict):
            continue
        action, role = str(row.get("action") or ""), str(row.get("actor_role") or "")
        raw = row.get("changes")
        changes: dict[str, Any] = raw if isinstance(raw, dict) else {}
        entries.append(Entry(at=str(row.get("at") or ""), action=ACTIONS.get(action, (action, action)),
                             actor=ACTORS.get(role, (role, role)), actor_id=str(row.get("actor") or ""),
                             changes=_changes(action, changes)))
    return entries[:SHOWN]
