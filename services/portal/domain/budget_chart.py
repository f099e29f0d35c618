"""A subsidy programme's budget as bars: budget, committed, paid, released and remaining, to scale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bar:
    """One bar of the budget chart."""

    key: str
    vi: str
    en: str
    amount: int
    width: float
    percent: int


CHART_WIDTH = 360  # the bars' length in SVG units for the largest amount


def budget_bars(report: dict[str, Any]) -> list[Bar]:
    """Budget, committed, paid, released and remaining, scaled to the largest of them."""
    rows = (("budget", "Ngân sách", "Budget"), ("committed", "Đã cam kết", "Committed"),
            ("paid", "Đã giải ngân", "Paid out"), ("released", "Đã hoàn lại", "Released"),
            ("remaining", "Còn lại", "Remaining"))
    amounts = {key: max(int(report.get(f"{key}_vnd") or 0), 0) for key, _, _ in rows}
    largest = max(amounts.values()) or 1
    budget = amounts["budget"] or 1
    return [Bar(key, vi, en, amounts[key], round(CHART_WIDTH * amounts[key] / largest, 1),
                round(100 * amounts[key] / budget)) for key, vi, en in rows]
