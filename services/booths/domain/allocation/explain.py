"""Why each request got its booths, or why it got none — Vietnamese first, English second. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.booths.domain.allocation.model import Instance, Placements, Request
from services.booths.domain.floorplan import Booth, blocks
from services.booths.domain.zones import Area


@dataclass(frozen=True)
class Decision:
    """The outcome for one request: its booths (none when unmet) and the reason."""

    registration_id: str
    booth_codes: tuple[str, ...]
    reason: str
    corner_count: int = 0

    @property
    def met(self) -> bool:
        """Whether the request got booths."""
        return bool(self.booth_codes)


def span_label(codes: Sequence[str]) -> str:
    """`A03–A04` for a block, `A03` for one booth."""
    if not codes:
        raise ValueError("a span needs at least one booth code")
    return codes[0] if len(codes) == 1 else f"{codes[0]}–{codes[-1]}"


def _join(parts: list[tuple[str, str]]) -> str:
    return "; ".join(vi for vi, _ in parts) + " / " + "; ".join(en for _, en in parts)


def assigned_reason(request: Request, area: Area, block: Sequence[Booth], *, with_priority: bool) -> str:
    """Why these booths: the priority that won them, the zone rule, the corner wish, the block."""
    parts: list[tuple[str, str]] = []
    if with_priority:
        parts.append((f"điểm ưu tiên {request.priority}", f"priority {request.priority}"))
    if area.zones:
        parts.append((area.vi, area.en))
    if request.wants_corner:
        if any(booth.corner for booth in block):
            parts.append(("gian góc theo nguyện vọng", "corner booth as wished"))
        else:
            parts.append(("không còn gian góc phù hợp", "no suitable corner booth left"))
    span = span_label([booth.code for booth in block])
    if len(block) == 1:
        parts.append((f"gian {span}", f"booth {span}"))
    else:
        parts.append((f"khối liền kề {span}", f"contiguous block {span}"))
    return _join(parts)


def unmet_reason(request: Request, area: Area, free: Sequence[Booth], *, ever_free: int) -> str:
    """Why no booths: nothing in its area, too few left after higher priorities, or none side by side."""
    n, where_vi, where_en = request.booths, area.vi, area.en
    short = _shortage(request, area, ever_free)
    if short:
        return short
    if len(free) < n:
        return (f"các gian của {where_vi} đã dành cho hồ sơ ưu tiên cao hơn (cần {n}, còn {len(free)}) / "
                f"the booths of the {where_en} went to higher-priority registrations "
                f"({n} requested, {len(free)} left)")
    if not blocks(free, n):
        return _scattered(request, area, len(free))
    return ("chưa xếp được trong thời gian giới hạn của bộ giải / not placed within the solver's time limit")


def unmet_alone_reason(request: Request, area: Area, *, free: int) -> str:
    """Why a request placed alone got nothing when its area has ``free`` booths but no block of its size."""
    return _shortage(request, area, free) or _scattered(request, area, free)


def _shortage(request: Request, area: Area, ever_free: int) -> str | None:
    n, where_vi, where_en = request.booths, area.vi, area.en
    if ever_free == 0:
        return f"không có gian trống trong {where_vi} / no free booth in the {where_en}"
    if ever_free < n:
        return (f"không đủ gian trống trong {where_vi}: cần {n}, có {ever_free} / not enough free booths "
                f"in the {where_en}: {n} requested, {ever_free} free")
    return None


def _scattered(request: Request, area: Area, free: int) -> str:
    n, where_vi, where_en = request.booths, area.vi, area.en
    return (f"không còn {n} gian trống liền kề trong một dãy ở {where_vi} (còn {free} gian rời rạc) / "
            f"no {n} adjacent free booths in one row in the {where_en} ({free} free, scattered)")


def explain(instance: Instance, placements: Placements, *, with_priority: bool = True) -> list[Decision]:
    """A decision for every request of the instance, in request order."""
    taken = {code for codes in placements.values() for code in codes}
    decisions = []
    for request in instance.requests:
        area = instance.area(request)
        codes = placements.get(request.registration_id)
        if codes:
            block = [instance.by_code[code] for code in codes]
            decisions.append(Decision(request.registration_id, tuple(codes),
                                      assigned_reason(request, area, block, with_priority=with_priority),
                                      sum(1 for booth in block if booth.corner)))
            continue
        pool = instance.area_booths(area)
        free = [booth for booth in pool if booth.code not in taken]
        decisions.append(Decision(request.registration_id, (),
                                  unmet_reason(request, area, free, ever_free=len(pool))))
    return decisions
