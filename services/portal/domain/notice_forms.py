"""The exhibitor's e-mail notices form: the notice kinds in words, reading the form, the notifications service's
refusal put next to the address; and the development mailbox's rows (newest first, times in Vietnam's time)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from services.portal.domain.display import LOCAL_TZ
from services.portal.domain.errors import ServiceProblem
from services.portal.domain.forms import FormErrors, Text, split_title

# The notifications service's notice kinds, in its order, with their names (Vietnamese, English).
NOTICE_KINDS: tuple[tuple[str, str, str], ...] = (
    ("received", "Hồ sơ đăng ký đã được tiếp nhận", "Registration received"),
    ("changes_requested", "Ban tổ chức yêu cầu bổ sung, sửa hồ sơ", "Changes requested on a registration"),
    ("approved", "Hồ sơ được duyệt và xếp gian", "Registration approved, booths assigned"),
    ("promoted", "Được chuyển từ danh sách chờ sang duyệt", "Moved off the waitlist and approved"),
    ("waitlisted", "Hồ sơ vào danh sách chờ", "Registration waitlisted"),
    ("rejected", "Hồ sơ bị từ chối", "Registration rejected"),
    ("invoice_issued", "Đã lập hóa đơn", "Invoice issued"),
    ("payment_received", "Đã nhận tiền thanh toán", "Payment received"),
    ("invoice_paid", "Hóa đơn đã thanh toán đủ", "Invoice paid in full"),
    ("overdue", "Hóa đơn quá hạn thanh toán", "Invoice overdue"),
    ("cancelled", "Hồ sơ bị hủy", "Registration cancelled"),
)
KNOWN_KINDS = {kind for kind, _, _ in NOTICE_KINDS}
LANGUAGES: tuple[tuple[str, str, str], ...] = (("vi", "Tiếng Việt", "Vietnamese"), ("en", "Tiếng Anh", "English"))
FIELDS = ("email", "language", "notices")
BAD_EMAIL = ("Địa chỉ e-mail không hợp lệ, ví dụ: ten@congty.vn.",
             "This e-mail address is not valid, e.g. name@company.vn.")


def form_from_recipient(recipient: Mapping[str, Any]) -> dict[str, Any]:
    """The form as the service keeps it (every notice ticked when it says nothing)."""
    notices = recipient.get("notices")
    return {"email": str(recipient.get("email") or ""),
            "language": "en" if recipient.get("language") == "en" else "vi",
            "notices": [str(n) for n in notices] if isinstance(notices, list) else [k for k, _, _ in NOTICE_KINDS]}


def read_form(fields: Mapping[str, str], ticked: list[str]) -> dict[str, Any]:
    """What was typed and ticked (unknown kinds are dropped)."""
    return {"email": (fields.get("email") or "").strip(),
            "language": "en" if fields.get("language") == "en" else "vi",
            "notices": [k for k, _, _ in NOTICE_KINDS if k in set(ticked)]}


def recipient_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """The body of `PUT /recipients/me` (an empty address: no mails)."""
    return {"email": form["email"] or None, "language": form["language"], "notices": list(form["notices"])}


def recipient_errors(problem: ServiceProblem) -> FormErrors:
    """The service's 422 next to the fields; its address error (the validator's English) said in both languages."""
    title, title_en = split_title(problem.title)
    errors = FormErrors(title=title or "Vui lòng kiểm tra lại thông tin", title_en=title_en or "Please check the form")
    for error in problem.errors:
        name = str(error.get("field") or "").split(".")[0]
        if name == "email":
            errors.fields["email"] = [Text(*BAD_EMAIL)]
        elif name in FIELDS:
            errors.add(name, "Giá trị không hợp lệ.", "Invalid value.")
        else:
            errors.note("Không lưu được cài đặt.", "The settings could not be saved.")
    if not problem.errors:
        errors.note("Không lưu được cài đặt.", "The settings could not be saved.")
    if errors.fields:
        errors.title, errors.title_en = "Vui lòng kiểm tra lại thông tin", "Please check the form"
    return errors


def received_at(value: Any) -> datetime | None:
    """A mail's Date header as an aware datetime in Vietnam's time (None when it does not parse)."""
    try:
        parsed = parsedate_to_datetime(str(value or ""))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed.astimezone(LOCAL_TZ)


def mailbox_rows(page: Any) -> list[dict[str, Any]]:
    """The mailbox's mails, newest first (by their Date; those without one last, in the service's order)."""
    rows = page.get("data", []) if isinstance(page, dict) else []
    dated: list[tuple[datetime, int, dict[str, Any]]] = []
    undated: list[dict[str, Any]] = []
    for position, row in enumerate(r for r in rows if isinstance(r, dict)):
        at = received_at(row.get("date"))
        attachments = row.get("attachments")
        mail = {"to": str(row.get("to") or ""), "subject": str(row.get("subject") or ""), "at": at,
                "time": at.strftime("%H:%M %d/%m/%Y") if at else "—",
                "attachments": [str(a) for a in attachments] if isinstance(attachments, list) else []}
        if at:
            dated.append((at, -position, mail))  # the same moment: the service's order (newest file first)
        else:
            undated.append(mail)
    dated.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    return [mail for _, _, mail in dated] + undated
