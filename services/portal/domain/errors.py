"""What can go wrong behind a page, as values the pages turn into a login, an error page or a form's errors:
a service refusing (its problem+json document), a service not answering, a missing login, and what the portal
itself refuses (a wrong role, a malformed id)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# The error page's heading per status (Vietnamese, English).
MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Yêu cầu không hợp lệ", "Bad request"),
    403: ("Không có quyền", "You may not see this page"),
    404: ("Không tìm thấy trang", "Page not found"),
    405: ("Không hỗ trợ thao tác này", "Method not allowed"),
    409: ("Không thực hiện được", "Refused"),
    422: ("Dữ liệu không hợp lệ", "Invalid input"),
    500: ("Lỗi hệ thống", "Internal error"),
    502: ("Dịch vụ tạm thời không trả lời", "A service is not answering"),
}


class NotAuthenticated(Exception):
    """A service answered 401: the user must log in (again)."""


class ServiceUnavailable(Exception):
    """A service could not be reached, or answered 5xx or nonsense: the portal shows a 502 page."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


@dataclass
class ServiceProblem(Exception):
    """A service refused the request with a 4xx problem+json document."""

    status: int
    title: str
    detail: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    document: dict[str, Any] = field(default_factory=dict, repr=False)  # the whole body, extension members too

    def __str__(self) -> str:
        return f"{self.status} {self.title}"

    @classmethod
    def from_document(cls, status: int, doc: Any, reason: str) -> ServiceProblem:
        """Read a problem document, tolerating a body that is not one (`reason`: the status's phrase)."""
        if not isinstance(doc, dict):
            doc = {}
        errors = doc.get("errors")
        rows = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        return cls(status=status, title=str(doc.get("title") or reason), detail=doc.get("detail"), errors=rows,
                   document=doc)


class PortalError(Exception):
    """Something the portal itself refuses (a wrong role, a malformed id)."""

    def __init__(self, status: int, title: str | None = None, detail: str | None = None) -> None:
        vi, _ = MESSAGES.get(status, MESSAGES[400])
        super().__init__(title or vi)
        self.status = status
        self.title = title or vi
        self.detail = detail


def is_id(value: str) -> bool:
    """Whether the value is safe to put into another service's URL path as one segment."""
    return bool(_ID.fullmatch(value))


def checked_id(value: str) -> str:
    """An id safe to put into another service's URL path; anything odd is simply not found."""
    if not is_id(value):
        raise PortalError(404)
    return value
