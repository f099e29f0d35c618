"""A registration's history from the registration service's audit log, as lines a person reads: what happened,
who did it, when, why, and the facts that changed — in words, never an action code or a Python dict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.portal.domain.display import REGISTRATION_STATES
from services.portal.domain.documents import STATES as DOCUMENT_STATES
from services.portal.domain.exhibitor_history import ACTORS

Pair = tuple[str, str]  # (Vietnamese, English)

ACTIONS: dict[str, Pair] = {
    "registration.submitted": ("Nộp hồ sơ đăng ký", "Registration submitted"),
    "registration.approved": ("Duyệt hồ sơ", "Registration approved"),
    "registration.waitlisted": ("Đưa vào danh sách chờ", "Put on the waiting list"),
    "registration.promoted": ("Được duyệt từ danh sách chờ", "Approved from the waiting list"),
    "registration.rejected": ("Từ chối hồ sơ", "Registration rejected"),
    "registration.changes_requested": ("Yêu cầu bổ sung, sửa hồ sơ", "Changes requested"),
    "registration.resubmitted": ("Nộp lại hồ sơ đã sửa", "Registration resubmitted"),
    "registration.cancelled": ("Hủy hồ sơ", "Registration cancelled"),
    "registration.rescored": ("Tính lại điểm ưu tiên", "Priority score recomputed"),
    "document.uploaded": ("Tải giấy tờ lên", "Document uploaded"),
    "document.accepted": ("Chấp nhận giấy tờ", "Document accepted"),
    "document.replace_requested": ("Yêu cầu nộp bản mới của giấy tờ", "A new document asked for"),
}
FACTS: dict[str, Pair] = {
    "status": ("Trạng thái", "Status"), "booths_requested": ("Số gian xin", "Booths requested"),
    "sector": ("Ngành hàng", "Sector"), "zone": ("Khu", "Zone"), "products": ("Sản phẩm", "Products"),
    "priority_score": ("Điểm ưu tiên", "Priority score"), "waitlist_position": ("Vị trí chờ", "Waiting list place"),
    "cancel_reason": ("Lý do hủy", "Cancellation reason"), "doc_type": ("Giấy tờ", "Document"),
    "filename": ("Tệp", "File"),
}
CANCEL_REASONS: dict[str, Pair] = {
    "exhibitor": ("Doanh nghiệp tự hủy", "Withdrawn by the exhibitor"),
    "organizer": ("Ban tổ chức hủy", "Cancelled by the organizer"),
    "unpaid": ("Quá hạn thanh toán", "Not paid by the due date"),
    "fair_cancelled": ("Hội chợ bị hủy", "The fair was cancelled"),
}


@dataclass(frozen=True)
class Fact:
    """One fact of an entry: its name and its value (before → after when it changed)."""

    name: Pair
    before: Pair | None
    after: Pair


@dataclass(frozen=True)
class Entry:
    """One line of the history."""

    at: str
    action: Pair
    actor: Pair
    reason: str  # as written: an organizer's words, or the service's "Vietnamese / English" sentence
    facts: list[Fact]


def _value(name: str, value: Any, doc_labels: dict[str, Pair] | None = None) -> Pair:
    if value is None or value == "" or value == []:
        return "—", "—"
    if name == "status":
        return REGISTRATION_STATES.get(str(value)) or DOCUMENT_STATES.get(str(value), (str(value), str(value)))
    if name == "doc_type":
        return (doc_labels or {}).get(str(value), (str(value), str(value)))
    if name == "cancel_reason":
        return CANCEL_REASONS.get(str(value), (str(value), str(value)))
    if isinstance(value, list):
        text = ", ".join(str(v.get("name") if isinstance(v, dict) else v) for v in value)
        return text, text
    return str(value), str(value)


def _facts(changes: dict[str, Any], doc_labels: dict[str, Pair] | None = None) -> list[Fact]:
    rows = []
    for name, label in FACTS.items():  # a fixed order; facts the portal does not know are left out
        if name not in changes:
            continue
        value = changes[name]
        if isinstance(value, list) and len(value) == 2 and name != "products":
            if value[0] == value[1]:
                continue
            rows.append(Fact(label, _value(name, value[0]), _value(name, value[1])))
        elif name == "products" and isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, list) for v in value):
            rows.append(Fact(label, _value(name, value[0]), _value(name, value[1])))
        else:
            rows.append(Fact(label, None, _value(name, value, doc_labels)))
    return rows


def history(page: Any, registration_id: str, doc_labels: dict[str, Pair] | None = None) -> list[Entry]:
    """The registration's entries in the fair's audit page, newest first (`doc_labels`: document types' names)."""
    rows = page.get("data") if isinstance(page, dict) else None
    entries = []
    for row in reversed(rows if isinstance(rows, list) else []):
        if not isinstance(row, dict) or row.get("entity_id") != registration_id:
            continue
        action, role = str(row.get("action") or ""), str(row.get("actor_role") or "")
        raw = row.get("changes")
        entries.append(Entry(
            at=str(row.get("at") or ""),
            action=ACTIONS.get(action, ("Thay đổi hồ sơ", "Registration changed")),
            actor=ACTORS.get(role, ("Hệ thống", "System")), reason=str(row.get("reason") or ""),
            facts=_facts(raw if isinstance(raw, dict) else {}, doc_labels)))
    return entries
