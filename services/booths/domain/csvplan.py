"""Reading a floor plan from CSV: ``code, hall, x, y, width, depth, zone`` in metres, one booth a line.

Every bad line is reported with its number and column; a plan with any issue is refused whole.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Collection

from services.booths.domain.floorplan import BOOTH_SIZE_M
from services.booths.domain.geometry import PlanError, PlanIssue, RawBooth

COLUMNS = ("code", "hall", "x", "y", "width", "depth", "zone")
REQUIRED = ("code", "x", "y")
MAX_BOOTHS = 5000
MAX_SIZE_M = 30.0
MAX_COORD_M = 2000.0
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
HALL_PATTERN = re.compile(r"^[A-Za-z0-9._-]{0,20}$")


def parse_plan_csv(text: str, *, zones: Collection[str]) -> list[RawBooth]:
    """The rectangles of a CSV plan; raises PlanError naming every bad line (line 1 is the header)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise PlanError([PlanIssue(1, "csv", "thiếu dòng tiêu đề / missing header line "
                                              f"({', '.join(COLUMNS)})")])
    header = [cell.strip().lower() for cell in rows[0]]
    issues = _header_issues(header)
    if issues:
        raise PlanError(issues)
    index = {name: header.index(name) for name in COLUMNS if name in header}
    booths: list[RawBooth] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are harmless
        booth = _booth(number, cells, index, zones, issues)
        if booth is not None:
            booths.append(booth)
    if not booths and not issues:
        issues.append(PlanIssue(2, "csv", "sơ đồ không có gian nào / the plan has no booths"))
    if len(booths) > MAX_BOOTHS:
        issues.append(PlanIssue(None, "csv", f"quá {MAX_BOOTHS} gian / more than {MAX_BOOTHS} booths"))
    if issues:
        raise PlanError(issues)
    return booths


def _header_issues(header: list[str]) -> list[PlanIssue]:
    issues = [PlanIssue(1, name, f"thiếu cột {name} / missing column {name}") for name in REQUIRED
              if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        issues.append(PlanIssue(1, unknown[0], f"cột lạ {', '.join(unknown)} / unknown column(s) "
                                               f"{', '.join(unknown)}; expected {', '.join(COLUMNS)}"))
    return issues


def _cell(cells: list[str], index: dict[str, int], name: str) -> str:
    position = index.get(name)
    return cells[position].strip() if position is not None and position < len(cells) else ""


def _booth(number: int, cells: list[str], index: dict[str, int], zones: Collection[str],
           issues: list[PlanIssue]) -> RawBooth | None:
    before = len(issues)
    code, hall, zone = _cell(cells, index, "code"), _cell(cells, index, "hall"), _cell(cells, index, "zone")
    if not CODE_PATTERN.match(code):
        issues.append(PlanIssue(number, "code", f"mã gian '{code}' không hợp lệ (1–20 chữ, số, . _ -) / "
                                                f"invalid booth code '{code}'"))
    if not HALL_PATTERN.match(hall):
        issues.append(PlanIssue(number, "hall", f"mã nhà '{hall}' không hợp lệ / invalid hall '{hall}'"))
    if zone and zone not in zones:
        issues.append(PlanIssue(number, "zone", f"khu '{zone}' chưa được khai báo / unknown zone '{zone}'"))
    x = _number(number, "x", _cell(cells, index, "x"), issues, low=0.0, high=MAX_COORD_M)
    y = _number(number, "y", _cell(cells, index, "y"), issues, low=0.0, high=MAX_COORD_M)
    width = _number(number, "width", _cell(cells, index, "width") or str(BOOTH_SIZE_M), issues,
                    low=0.5, high=MAX_SIZE_M)
    depth = _number(number, "depth", _cell(cells, index, "depth") or str(BOOTH_SIZE_M), issues,
                    low=0.5, high=MAX_SIZE_M)
    if len(issues) > before or x is None or y is None or width is None or depth is None:
        return None
    return RawBooth(code=code, x_m=x, y_m=y, width_m=width, depth_m=depth, hall=hall, zone=zone, line=number)


def _number(line: int, name: str, raw: str, issues: list[PlanIssue], *, low: float, high: float) -> float | None:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        issues.append(PlanIssue(line, name, f"{name} phải là số mét / {name} must be a number of metres, "
                                            f"got '{raw}'"))
        return None
    if not math.isfinite(value) or not low <= value <= high:
        issues.append(PlanIssue(line, name, f"{name} = {raw} ngoài khoảng {low:g}–{high:g} m / "
                                            f"{name} = {raw} outside {low:g}–{high:g} m"))
        return None
    return value
