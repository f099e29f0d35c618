"""Plans drawn by hand (a CSV of rectangles): their rows, corners and neighbours derived from geometry,
and the checks that refuse a plan whose booths overlap. Pure: rectangles in, booths or errors out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from services.booths.domain.floorplan import EPS_M, Booth, row_label, with_corners
from shared.errors import Invalid


@dataclass(frozen=True)
class PlanIssue:
    """One thing wrong with a plan: where (a CSV line, a booth code), which field, what."""

    line: int | None
    field: str
    message: str

    def as_error(self) -> dict[str, object]:
        """The entry of a problem's ``errors`` list."""
        where = f"line {self.line}: " if self.line is not None else ""
        return {"field": self.field, "line": self.line, "message": where + self.message}


class PlanError(Invalid):
    """A plan that cannot be used, with every issue found; nothing is saved."""

    def __init__(self, issues: Sequence[PlanIssue]) -> None:
        first = issues[0]
        where = f" (dòng {first.line} / line {first.line})" if first.line is not None else ""
        super().__init__(f"Sơ đồ không hợp lệ{where} / invalid floor plan: {first.message}",
                         code="invalid-floorplan", field=first.field)
        self.issues = list(issues)


@dataclass(frozen=True)
class RawBooth:
    """A booth as drawn: a rectangle in a hall, with the line it came from."""

    code: str
    x_m: float
    y_m: float
    width_m: float
    depth_m: float
    hall: str = ""
    zone: str = ""
    line: int | None = None


@dataclass
class _Checks:
    issues: list[PlanIssue] = field(default_factory=list)

    def add(self, line: int | None, field_name: str, message: str) -> None:
        self.issues.append(PlanIssue(line, field_name, message))


def lay_out(raw: Sequence[RawBooth]) -> list[Booth]:
    """Booths from rectangles: rows by front line within a hall, numbered left to right, corners derived.

    Raises PlanError naming the lines of duplicate codes and overlapping booths.
    """
    checks = _Checks()
    _check_codes(raw, checks)
    for a, b in overlaps(raw):
        checks.add(b.line, "x", f"gian {b.code} chồng lên gian {a.code}"
                   + (f" (dòng {a.line})" if a.line is not None else "")
                   + f" / booth {b.code} overlaps booth {a.code}")
    if checks.issues:
        raise PlanError(checks.issues)
    booths: list[Booth] = []
    for hall, members in _by_hall(raw).items():
        fronts = sorted({_key(r.y_m) for r in members})
        labels = {y: row_label(i) for i, y in enumerate(fronts)}
        for y in fronts:
            line = sorted((r for r in members if _key(r.y_m) == y), key=lambda r: r.x_m)
            booths.extend(Booth(code=r.code, row=labels[y], col=i + 1, x_m=r.x_m, y_m=r.y_m, corner=False,
                                hall=hall, width_m=r.width_m, depth_m=r.depth_m, zone=r.zone)
                          for i, r in enumerate(line))
    return with_corners(booths)


def _check_codes(raw: Sequence[RawBooth], checks: _Checks) -> None:
    seen: dict[str, RawBooth] = {}
    for booth in raw:
        if booth.code in seen:
            first = seen[booth.code]
            checks.add(booth.line, "code", f"mã gian {booth.code} trùng"
                       + (f" với dòng {first.line}" if first.line is not None else "")
                       + f" / duplicate booth code {booth.code}")
        seen.setdefault(booth.code, booth)


def _key(value: float) -> float:
    """A coordinate rounded so that float noise does not split a row."""
    return round(value, 4)


def _by_hall(raw: Sequence[RawBooth]) -> dict[str, list[RawBooth]]:
    halls: dict[str, list[RawBooth]] = defaultdict(list)
    for booth in raw:
        halls[booth.hall].append(booth)
    return dict(halls)


def overlaps(raw: Sequence[RawBooth]) -> list[tuple[RawBooth, RawBooth]]:
    """Pairs of booths of one hall whose rectangles share an area (touching walls do not count)."""
    found: list[tuple[RawBooth, RawBooth]] = []
    for members in _by_hall(raw).values():
        active: list[RawBooth] = []
        # A sweep along x: only booths still open at this x can overlap the next one.
        for booth in sorted(members, key=lambda r: (r.x_m, r.line or 0)):
            active = [a for a in active if a.x_m + a.width_m > booth.x_m + EPS_M]
            found.extend((a, booth) for a in active
                         if a.y_m < booth.y_m + booth.depth_m - EPS_M and booth.y_m < a.y_m + a.depth_m - EPS_M)
            active.append(booth)
    return found


def neighbours(booths: Sequence[Booth]) -> dict[str, list[str]]:
    """Booth code → codes of the booths sharing a wall with it (side by side or back to back)."""
    found: dict[str, set[str]] = {booth.code: set() for booth in booths}
    for members in _booths_by_hall(booths).values():
        ordered = sorted(members, key=lambda b: b.x_m)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                if b.x_m > a.x_m + a.width_m + EPS_M:
                    break
                if _share_wall(a, b):
                    found[a.code].add(b.code)
                    found[b.code].add(a.code)
    return {code: sorted(codes) for code, codes in found.items()}


def _booths_by_hall(booths: Sequence[Booth]) -> dict[str, list[Booth]]:
    halls: dict[str, list[Booth]] = defaultdict(list)
    for booth in booths:
        halls[booth.hall].append(booth)
    return dict(halls)


def _share_wall(a: Booth, b: Booth) -> bool:
    """Touching along an edge of positive length (a shared corner point is not a wall)."""
    x_overlap = min(a.x_m + a.width_m, b.x_m + b.width_m) - max(a.x_m, b.x_m)
    y_overlap = min(a.y_m + a.depth_m, b.y_m + b.depth_m) - max(a.y_m, b.y_m)
    side = abs(x_overlap) <= EPS_M and y_overlap > EPS_M
    back = abs(y_overlap) <= EPS_M and x_overlap > EPS_M
    return side or back
