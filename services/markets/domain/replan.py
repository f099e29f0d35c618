"""Re-planning around confirmed sessions, pure: what stays, what must move, and the lines of a proposal.

A confirmed session stays where it is unless it must move: it has not started yet and now falls in a
blackout (of the programme or its site, e.g. border guards suspending gatherings) or on a date the
organizer forbade. The solver then plans the sessions still missing from the target with the staying
ones fixed; each session that must move takes the new placement nearest to it (its own site first, then
the nearest date) and is rescheduled; one left without a placement is cancelled; placements left over
are new sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.markets.domain.planning import Blackout, PlannedSession
from services.markets.domain.proposals import LineAction
from services.markets.domain.sessions import DateSpan


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A confirmed session of the programme."""

    id: str
    site: str
    span: DateSpan


@dataclass(frozen=True, slots=True)
class Line:
    """A line of a proposal: `action` is new, keep, move or cancel."""

    action: LineAction
    site: str
    span: DateSpan
    session_id: str | None = None
    pinned: bool = False
    suppliers: tuple[str, ...] = ()
    note: str = ""


def why_it_must_move(session: LiveSession, blackouts: list[Blackout], *, today: date) -> str | None:
    """The blackout that now covers a session not yet started, or None if it may stay."""
    if session.span.starts_on <= today:
        return None  # started or past: it happened (or is happening) where it is
    hit = next((b for b in blackouts if b.span.overlaps(session.span)), None)
    return None if hit is None else (hit.reason or f"blackout {hit.span.starts_on}–{hit.span.ends_on}")


def _distance(planned: PlannedSession, moving: LiveSession) -> tuple[int, int]:
    return (planned.site != moving.site, abs((planned.span.starts_on - moving.span.starts_on).days))


def lines_of(planned: list[PlannedSession], kept: list[LiveSession], moving: list[tuple[LiveSession, str]],
             pinned_moves: dict[tuple[str, date], str]) -> list[Line]:
    """The proposal's lines: kept sessions, moves (pinned moves keep their session), cancellations, new ones.

    `pinned_moves` maps a pinned (site, start) of an earlier draft to the session it was moving.
    """
    lines = [Line(LineAction.KEEP, s.site, s.span, s.id) for s in kept]
    reasons = {s.id: why for s, why in moving}
    waiting = [s for s, _ in sorted(moving, key=lambda m: m[0].span.starts_on)]
    free = list(planned)
    for p in list(free):
        session_id = pinned_moves.get((p.site, p.span.starts_on))
        mover = next((s for s in waiting if s.id == session_id), None)
        if mover is not None:
            lines.append(_move(p, mover, reasons[mover.id]))
            waiting.remove(mover)
            free.remove(p)
    for mover in waiting:
        if not free:
            lines.append(Line(LineAction.CANCEL, mover.site, mover.span, mover.id, note=reasons[mover.id]))
            continue
        best = min(free, key=lambda p: _distance(p, mover))
        lines.append(_move(best, mover, reasons[mover.id]))
        free.remove(best)
    lines += [Line(LineAction.NEW, p.site, p.span, None, p.pinned, p.suppliers) for p in free]
    order = {LineAction.KEEP: 0, LineAction.MOVE: 1, LineAction.NEW: 1, LineAction.CANCEL: 2}
    return sorted(lines, key=lambda line: (line.span.starts_on, order[line.action], line.site))


def _move(planned: PlannedSession, mover: LiveSession, reason: str) -> Line:
    note = f"from {mover.site} {mover.span.starts_on}: {reason}"
    return Line(LineAction.MOVE, planned.site, planned.span, mover.id, planned.pinned, planned.suppliers, note[:500])
