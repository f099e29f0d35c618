"""The organizer's clickable map: the booths service's SVG floor plan, inlined in the page so that its booths
can be clicked, focused with the keyboard and named to a screen reader.

The SVG is the booths service's (the same drawing as the printable plan); the portal parses it and rebuilds it
from an allow-list of SVG elements and attributes (no script, no event handler, no style, no link out, no
reference but to the drawing's own patterns), so nothing the service sends can run in the portal's pages.
Each booth (`<g data-code>`) then gets `tabindex`, `role="button"`, an `aria-label` with its code, status and
exhibitor in the reader's language, and `data-registration` from the plan's JSON (whose booth it is), which
static/js/organizer-floorplan.js uses to fill the operations' forms. Pure: text in, markup out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from markupsafe import Markup

from services.portal.domain.errors import is_id

BOOTH_STATES: dict[str, tuple[str, str]] = {
    "free": ("Còn trống", "Free"), "held": ("Đang giữ chỗ", "Held"), "assigned": ("Đã xếp", "Assigned"),
    "blocked": ("Khóa", "Blocked"),
}
ELEMENTS = frozenset({"svg", "g", "title", "desc", "defs", "pattern", "rect", "circle", "ellipse", "line",
                      "path", "polygon", "polyline", "text", "tspan"})
ATTRIBUTES = frozenset({
    "viewBox", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "width", "height", "d", "points",
    "transform", "fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-linejoin",
    "paint-order", "opacity", "font-size", "font-weight", "font-family", "text-anchor", "patternUnits",
    "patternTransform", "id", "class", "lang", "data-code", "data-status", "data-zone"})
# The white halo of a booth's code, the same on every booth: drawn by organizer.css instead (a lighter page).
HALO = ("fill", "stroke", "stroke-width", "paint-order", "stroke-linejoin", "font-weight")
ID_PREFIX = "map-"  # the drawing's pattern ids must not meet the page's own ids
_REFERENCE = re.compile(r"^url\(#([A-Za-z][\w-]*)\)$")
_ID = re.compile(r"^[A-Za-z][\w-]*$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _clean(element: ET.Element) -> None:
    """Keep allowed attributes only; local pattern references and ids renamed, anything else pointing out dropped."""
    for name, value in list(element.attrib.items()):
        del element.attrib[name]
        if name not in ATTRIBUTES:
            continue
        if "url(" in value:
            found = _REFERENCE.match(value.strip())
            if not found:
                continue
            value = f"url(#{ID_PREFIX}{found.group(1)})"
        if name == "id":
            if not _ID.match(value):
                continue
            value = ID_PREFIX + value
        element.set(name, value)
    for child in list(element):
        if not isinstance(child.tag, str) or _local(child.tag) not in ELEMENTS:
            element.remove(child)
            continue
        child.tag = _local(child.tag)
        _clean(child)


def booth_label(code: str, status: str, exhibitor: str | None, lang: str) -> str:
    """"A03, Đã xếp, HTX Chè Shan tuyết": what a screen reader says for a booth of the map."""
    names = BOOTH_STATES.get(status, (status, status))
    parts = [code, names[1] if lang == "en" else names[0]]
    if exhibitor:
        parts.append(exhibitor)
    return ", ".join(p for p in parts if p)


def interactive_map(svg: str | bytes, booths: Iterable[dict[str, Any]], *, lang: str, label: str,
                    described_by: str = "") -> Markup | None:
    """The plan's SVG made safe to inline and clickable; None when it is not an SVG the portal can read."""
    text = svg.decode("utf-8", "replace") if isinstance(svg, bytes) else svg
    try:
        # defusedxml refuses DTDs, entities and external references: nothing to expand or fetch.
        root = DefusedET.fromstring(text.encode(), forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException):
        return None
    if _local(root.tag) != "svg":
        return None
    root.tag = "svg"
    _clean(root)
    for name in ("width", "height"):  # the page's CSS sizes it; the viewBox keeps the proportions
        root.attrib.pop(name, None)
    root.set("class", "live-svg")
    root.set("role", "group")
    root.set("aria-label", label)
    if described_by:
        root.set("aria-describedby", described_by)
    known = {str(b.get("code")): b for b in booths if isinstance(b, dict)}
    for group in root.iter("g"):
        code = group.get("data-code")
        if not code:
            continue
        booth = known.get(code, {})
        status = group.get("data-status") or str(booth.get("status") or "")
        registration = str(booth.get("registration_id") or "")
        exhibitor = booth.get("exhibitor_name") or None
        group.set("tabindex", "0")
        group.set("role", "button")
        group.set("aria-pressed", "false")
        group.set("aria-label", booth_label(code, status, str(exhibitor) if exhibitor else None, lang))
        if registration and is_id(registration):
            group.set("data-registration", registration)
        for text_node in group.iter("text"):
            for name in HALO:
                text_node.attrib.pop(name, None)
    return Markup(ET.tostring(root, encoding="unicode"))  # noqa: S704 - rebuilt from the allow-list above
