"""The floor plan drawn as SVG: halls one under another, booths to scale with their codes, colour (and for
black-and-white printing, pattern) by status, a band and a code per zone, row letters, a scale bar and a
legend in Vietnamese. Pure: plan in, text out.

Built with ElementTree so a fair's or an exhibitor's name can never break the markup.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from services.booths.domain.floorplan import BOOTH_SIZE_M
from services.booths.domain.rules import BoothState, BoothStatus
from services.booths.domain.zones import Zone, ZoneKind

SVG_NS = "http://www.w3.org/2000/svg"
PX_PER_M = 16
BOOTH_PX = BOOTH_SIZE_M * PX_PER_M
MARGIN_PX = 24
ROW_LABEL_PX = 28
HEADER_PX = 92
HALL_TITLE_PX = 28
HALL_GAP_PX = 24
LEGEND_ROW_PX = 24
MIN_WIDTH_PX = 640
FONT = "'Noto Sans', 'Segoe UI', Arial, sans-serif"
ZONE_COLOURS = ("#1e88e5", "#8e24aa", "#00897b", "#f4511e", "#6d4c41", "#3949ab", "#c0ca33", "#d81b60")


@dataclass(frozen=True)
class Style:
    """How a status is drawn and named in the legend."""

    fill: str
    stroke: str
    label: str


STYLES: dict[BoothStatus, Style] = {
    BoothStatus.FREE: Style("#e8f5e9", "#2e7d32", "Còn trống"),
    BoothStatus.HELD: Style("url(#held)", "#f9a825", "Đang giữ chỗ"),
    BoothStatus.ASSIGNED: Style("url(#assigned)", "#bf360c", "Đã xếp gian"),
    BoothStatus.BLOCKED: Style("url(#blocked)", "#424242", "Không sử dụng"),
}


@dataclass(frozen=True)
class _Hall:
    code: str
    booths: list[BoothState]
    top: float
    height: float


def _halls(booths: Sequence[BoothState]) -> tuple[list[_Hall], float]:
    halls, top = [], float(HEADER_PX)
    codes = sorted({s.booth.hall for s in booths})
    titled = len(codes) > 1 or any(codes)
    for code in codes:
        members = [s for s in booths if s.booth.hall == code]
        height = max(s.booth.y_m + s.booth.depth_m for s in members) * PX_PER_M
        title = HALL_TITLE_PX if titled else 0
        halls.append(_Hall(code, members, top + title, height))
        top += title + height + HALL_GAP_PX
    return halls, top


def render_floorplan(title: str, booths: Sequence[BoothState], zones: Sequence[Zone] = ()) -> str:
    """An SVG document of the plan, readable on screen and printable on one page."""
    colours = {zone.code: ZONE_COLOURS[i % len(ZONE_COLOURS)] for i, zone in enumerate(zones)}
    halls, plan_bottom = _halls(booths)
    plan_w = max((s.booth.x_m + s.booth.width_m for s in booths), default=BOOTH_SIZE_M) * PX_PER_M
    width = max(MIN_WIDTH_PX, 2 * MARGIN_PX + ROW_LABEL_PX + plan_w)
    legend_rows = 2 + (len(zones) + 1) // 2
    height = plan_bottom + legend_rows * LEGEND_ROW_PX + 2 * MARGIN_PX
    root = ET.Element("svg", {
        "xmlns": SVG_NS, "width": f"{width:g}", "height": f"{height:g}", "viewBox": f"0 0 {width:g} {height:g}",
        "role": "img", "font-family": FONT, "lang": "vi"})
    ET.SubElement(root, "title").text = f"Sơ đồ gian hàng — {title}"
    _defs(root)
    ET.SubElement(root, "rect", {"width": "100%", "height": "100%", "fill": "#ffffff"})
    _header(root, title, booths)
    left = MARGIN_PX + ROW_LABEL_PX
    for hall in halls:
        if hall.top > HEADER_PX or hall.code:
            _text(root, MARGIN_PX, hall.top - 8, f"Nhà {hall.code}" if hall.code else "Nhà triển lãm",
                  **{"font-size": "14", "font-weight": "bold"})
        _row_labels(root, hall, left)
        for state in hall.booths:
            _booth(root, state, (left, hall.top), colours)
    _legend(root, plan_bottom + 8, zones, colours)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _defs(root: ET.Element) -> None:
    # Patterns as well as colours, so the statuses stay apart on a black-and-white printer.
    defs = ET.SubElement(root, "defs")
    assigned = ET.SubElement(defs, "pattern", {"id": "assigned", "width": "8", "height": "8",
                                               "patternUnits": "userSpaceOnUse"})
    ET.SubElement(assigned, "rect", {"width": "8", "height": "8", "fill": "#ffcc80"})
    ET.SubElement(assigned, "circle", {"cx": "4", "cy": "4", "r": "1.2", "fill": "#bf360c"})
    held = ET.SubElement(defs, "pattern", {"id": "held", "width": "8", "height": "8",
                                           "patternUnits": "userSpaceOnUse"})
    ET.SubElement(held, "rect", {"width": "8", "height": "8", "fill": "#fff59d"})
    ET.SubElement(held, "path", {"d": "M0 4 H8", "stroke": "#f9a825", "stroke-width": "1.5"})
    blocked = ET.SubElement(defs, "pattern", {"id": "blocked", "width": "8", "height": "8",
                                              "patternUnits": "userSpaceOnUse",
                                              "patternTransform": "rotate(45)"})
    ET.SubElement(blocked, "rect", {"width": "8", "height": "8", "fill": "#e0e0e0"})
    ET.SubElement(blocked, "line", {"x1": "0", "y1": "0", "x2": "0", "y2": "8", "stroke": "#616161",
                                    "stroke-width": "3"})


def _text(parent: ET.Element, x: float, y: float, content: str, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, "text", {"x": f"{x:g}", "y": f"{y:g}", "fill": "#212121", **attrs})
    node.text = content
    return node


def _header(root: ET.Element, title: str, booths: Sequence[BoothState]) -> None:
    counts = {status: sum(1 for s in booths if s.status is status) for status in BoothStatus}
    _text(root, MARGIN_PX, 32, f"Sơ đồ gian hàng — {title}", **{"font-size": "18", "font-weight": "bold"})
    _text(root, MARGIN_PX, 54, f"{len(booths)} gian · còn trống {counts[BoothStatus.FREE]} · "
          f"đang giữ chỗ {counts[BoothStatus.HELD]} · đã xếp {counts[BoothStatus.ASSIGNED]} · "
          f"không sử dụng {counts[BoothStatus.BLOCKED]}", **{"font-size": "13"})
    _text(root, MARGIN_PX, 76, f"▲ Phía trước (lối vào) · gian tiêu chuẩn {BOOTH_SIZE_M} m × {BOOTH_SIZE_M} m",
          **{"font-size": "12", "fill": "#555555"})


def _row_labels(root: ET.Element, hall: _Hall, left: float) -> None:
    rows = {s.booth.row: s.booth for s in hall.booths}
    for row, booth in rows.items():
        _text(root, left - 8, hall.top + (booth.y_m + booth.depth_m / 2) * PX_PER_M + 5, row,
              **{"font-size": "14", "font-weight": "bold", "text-anchor": "end"})


def _tooltip(state: BoothState, style: Style) -> str:
    parts = [state.booth.code, style.label.lower()]
    if state.booth.corner:
        parts.append("gian góc")
    if state.booth.zone:
        parts.append(f"khu {state.booth.zone}")
    if state.exhibitor_name:
        parts.append(state.exhibitor_name)
    return " — ".join(parts)


def _booth(root: ET.Element, state: BoothState, origin: tuple[float, float], colours: dict[str, str]) -> None:
    style, booth = STYLES[state.status], state.booth
    x, y = origin[0] + booth.x_m * PX_PER_M, origin[1] + booth.y_m * PX_PER_M
    w, h = booth.width_m * PX_PER_M, booth.depth_m * PX_PER_M
    group = ET.SubElement(root, "g", {"class": f"booth {state.status.value}", "data-code": booth.code,
                                      "data-status": state.status.value, **({"data-zone": booth.zone}
                                                                            if booth.zone else {})})
    ET.SubElement(group, "title").text = _tooltip(state, style)
    ET.SubElement(group, "rect", {"x": f"{x + 1:g}", "y": f"{y + 1:g}", "width": f"{w - 2:g}", "height": f"{h - 2:g}",
                                  "fill": style.fill, "stroke": style.stroke, "stroke-width": "1.5"})
    if booth.zone in colours:
        ET.SubElement(group, "rect", {"x": f"{x + 2:g}", "y": f"{y + h - 8:g}", "width": f"{w - 4:g}", "height": "6",
                                      "fill": colours[booth.zone]})
    if booth.corner:
        right = x + w - 2
        ET.SubElement(group, "path", {"d": f"M{right - 9:g} {y + 2:g} L{right:g} {y + 2:g} L{right:g} {y + 11:g} Z",
                                      "fill": "#1565c0"})
    size = min(12.0, (w - 4) / (0.62 * max(1, len(booth.code))))
    # A white halo keeps the code legible over the patterns.
    _text(group, x + w / 2, y + h / 2 + 4, booth.code,
          **{"font-size": f"{size:.1f}", "font-weight": "bold", "text-anchor": "middle", "stroke": "#ffffff",
             "stroke-width": "3", "paint-order": "stroke", "stroke-linejoin": "round"})


def _legend(root: ET.Element, top: float, zones: Sequence[Zone], colours: dict[str, str]) -> None:
    _text(root, MARGIN_PX, top + 12, "Chú thích", **{"font-size": "13", "font-weight": "bold"})
    x, y = float(MARGIN_PX), top + 20
    for style in STYLES.values():
        ET.SubElement(root, "rect", {"x": f"{x:g}", "y": f"{y:g}", "width": "18", "height": "18",
                                     "fill": style.fill, "stroke": style.stroke, "stroke-width": "1.5"})
        _text(root, x + 24, y + 14, style.label, **{"font-size": "12"})
        x += 120
    ET.SubElement(root, "path", {"d": f"M{x:g} {y:g} L{x + 18:g} {y:g} L{x + 18:g} {y + 18:g} Z", "fill": "#1565c0"})
    _text(root, x + 24, y + 14, "Gian góc", **{"font-size": "12"})
    x += 100
    bar = f"M{x:g} {y + 9:g} h{BOOTH_PX} M{x:g} {y + 5:g} v8 M{x + BOOTH_PX:g} {y + 5:g} v8"
    ET.SubElement(root, "path", {"d": bar, "stroke": "#212121", "stroke-width": "1.5", "fill": "none"})
    _text(root, x + BOOTH_PX + 8, y + 14, f"{BOOTH_SIZE_M} m", **{"font-size": "12"})
    for i, zone in enumerate(zones):
        zx, zy = MARGIN_PX + (i % 2) * 300, y + LEGEND_ROW_PX * (1 + i // 2)
        ET.SubElement(root, "rect", {"x": f"{zx:g}", "y": f"{zy + 6:g}", "width": "18", "height": "6",
                                     "fill": colours[zone.code]})
        kind = "gian tỉnh" if zone.kind is ZoneKind.PAVILION else "khu ngành"
        _text(root, zx + 24, zy + 14, f"{zone.code} — {kind} {zone.name}".strip(), **{"font-size": "12"})
