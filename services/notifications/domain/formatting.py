"""How mails show amounts, dates and times: Vietnamese đồng and Vietnam's time, whatever the language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vnd(amount: int) -> str:
    """7560000 → "7.560.000 ₫" (dots group thousands, as in Vietnam; đồng have no minor unit)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,} ₫".replace(",", ".")


def day(value: date | str) -> str:
    """A date as dd/mm/yyyy ("" stays "": a fair not known yet)."""
    if value == "":
        return ""
    parsed = date.fromisoformat(value) if isinstance(value, str) else value
    return parsed.strftime("%d/%m/%Y")


def local_time(value: datetime | str) -> str:
    """A moment in Asia/Ho_Chi_Minh, "HH:MM dd/mm/yyyy (giờ Việt Nam, UTC+7)" minus the words: naive is UTC."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")
