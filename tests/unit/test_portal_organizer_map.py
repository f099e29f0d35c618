"""The organizer's clickable map (services/portal/domain/organizer_map.py): the booths service's SVG rebuilt from an
allow-list before it is inlined, its booths made focusable and named."""

from __future__ import annotations

from services.portal.domain.organizer_map import booth_label, interactive_map

HOSTILE = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="640" height="200"
     viewBox="0 0 640 200" role="img" onload="alert(1)">
  <script>alert(2)</script>
  <style>rect { fill: red }</style>
  <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>
  <defs><pattern id="held" width="8" height="8"><rect width="8" height="8" fill="#fff59d"/></pattern></defs>
  <a xlink:href="javascript:alert(3)"><text x="1" y="1">link</text></a>
  <image href="http://evil.example/x.png" width="10" height="10"/>
  <g class="booth held" data-code="A01" data-status="held" onclick="alert(4)" style="fill:red">
    <title>A01 — đang giữ chỗ</title>
    <rect x="1" y="1" width="46" height="46" fill="url(#held)" stroke="url(http://evil.example/#p)"/>
    <text x="24" y="28" fill="#212121" stroke="#ffffff" stroke-width="3" font-size="12">A01</text>
  </g>
  <!-- a comment -->
</svg>"""


def test_keeps_nothing_that_could_run_or_reach_out():
    markup = str(interactive_map(HOSTILE, [], lang="vi", label="Sơ đồ"))
    for gone in ("script", "alert", "onload", "onclick", "style", "foreignObject", "xhtml", "evil", "href", "<a",
                 "<image", "comment", 'role="img"', 'width="640"'):
        assert gone not in markup, gone
    assert markup.startswith('<svg viewBox="0 0 640 200" class="live-svg" role="group" aria-label="Sơ đồ">')
    assert 'id="map-held"' in markup and 'fill="url(#map-held)"' in markup
    assert 'stroke="' not in markup.split('fill="url(#map-held)"')[1].split("/>")[0]  # the outside reference dropped
    assert '<text x="24" y="28" font-size="12">A01</text>' in markup  # the halo is the page's CSS


def test_names_each_booth_and_says_whose_it_is():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
           '<g data-code="B02" data-status="assigned"><rect width="1" height="1"/></g>'
           '<g data-code="B03" data-status="free"><rect width="1" height="1"/></g></svg>')
    booths = [{"code": "B02", "status": "assigned", "registration_id": "r-9", "exhibitor_name": "HTX <Mận>"},
              {"code": "B03", "status": "free", "registration_id": "../../x"}]
    markup = str(interactive_map(svg, booths, lang="en", label="Plan", described_by="help"))
    assert ('<g data-code="B02" data-status="assigned" tabindex="0" role="button" aria-pressed="false" '
            'aria-label="B02, Assigned, HTX &lt;Mận&gt;" data-registration="r-9">') in markup
    assert 'aria-label="B03, Free"' in markup and "../../x" not in markup  # not an id: not put in the page
    assert 'aria-describedby="help"' in markup


def test_refuses_what_is_not_a_plain_svg():
    assert interactive_map("<html><body>no</body></html>", [], lang="vi", label="x") is None
    assert interactive_map("not xml at all <", [], lang="vi", label="x") is None
    bomb = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>')
    assert interactive_map(bomb, [], lang="vi", label="x") is None


def test_booth_label_in_both_languages():
    assert booth_label("A03", "blocked", None, "vi") == "A03, Khóa"
    assert booth_label("A03", "held", "HTX Chè", "en") == "A03, Held, HTX Chè"
