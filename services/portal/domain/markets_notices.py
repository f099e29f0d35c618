"""What a planner page says after an action: a code in `?notice=` (and its counts in `?n=`), never free text.

Only known codes are shown, in the reader's language; anything else in the address is ignored, so a link
cannot put words of its own on the page.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

NOTICES: dict[str, tuple[str, str]] = {
    "programme-created": ("Đã tạo chương trình.", "The programme was created."),
    "site-added": ("Đã thêm điểm tổ chức.", "The site was added."),
    "sites-imported": ("Đã nhập {} điểm.", "{} sites imported."),
    "supplier-added": ("Đã thêm nhà cung cấp.", "The supplier was enrolled."),
    "confirmed": ("Đã xác nhận: {} phiên mới, {} phiên dời lịch, {} phiên hủy.",
                  "Confirmed: {} new sessions, {} moved, {} cancelled."),
    "draft-discarded": ("Đã bỏ bản nháp.", "The draft was discarded."),
    "session-cancelled": ("Đã hủy phiên chợ. Lập lại kế hoạch để bù phiên đã hủy.",
                          "The session was cancelled. Re-plan to make up for it."),
    "report-saved": ("Đã ghi kết quả phiên chợ.", "The session's results were recorded."),
}
_COUNTS = re.compile(r"\d{1,7}(?:\.\d{1,7}){0,4}")


def notice_query(code: str, *counts: int) -> str:
    """"?notice=confirmed&n=2.0.1" for a redirect."""
    if code not in NOTICES:
        raise KeyError(code)
    params = {"notice": code, **({"n": ".".join(str(int(c)) for c in counts)} if counts else {})}
    return "?" + urlencode(params)


def notice_of(code: str | None, n: str | None = None) -> tuple[str, str] | None:
    """The (Vietnamese, English) message of a known code with the right number of counts; None otherwise."""
    message = NOTICES.get(code or "")
    if message is None:
        return None
    counts = n.split(".") if n and _COUNTS.fullmatch(n) else []
    if len(counts) != message[0].count("{}"):
        return None
    return message[0].format(*counts), message[1].format(*counts)
