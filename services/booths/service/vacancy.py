"""Where a fair has room for one more approval: the free stretches of each area, read compactly, kept up to
date through a transaction and, while nothing else touches the fair, from one transaction to the next.

Placing one approval needs only the length of every free stretch of its area and where its corner booths
are: the heuristic takes a block at either end of a stretch (allocation/greedy.py's best_fit). Loading every
free booth of the fair as ORM objects for that cost ~140 ms on 2,000 booths; here one indexed query reads
the area's free booths as bare rows in line order and folds them into stretches without building a booth,
and the N booths of the chosen block are read afterwards (checked free and side by side again).

In a transaction (a consumer may apply several events in one) a block placed here is cut out of the
stretches; any other claim or release (store.assign, store.release), a block, a new plan or new zones
drops them, so the next approval reads them again. After a commit of approvals only, the process keeps the
result under the fair's newest audit id (Vacancies): the next transaction reuses it if that id has not
moved — one cheap query instead of reading the area again. The database stays the truth, and its unique
index the final guard.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields

from sqlalchemy import Integer, bindparam, exists, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.booths.domain.floorplan import EPS_M, Booth, runs
from services.booths.domain.zones import Area, Zone
from services.booths.models import Assignment, AuditEntry, StandardBooth
from shared.uow import after_commit

_BOOTH = StandardBooth.__table__.c  # type: ignore[attr-defined]
_CLAIM = Assignment.__table__.c  # type: ignore[attr-defined]
_AUDIT = AuditEntry.__table__.c  # type: ignore[attr-defined]
_AS_BOOTH = [_BOOTH[f.name] for f in fields(Booth)]  # a stored booth read straight into a floorplan.Booth
_KEY = "booths.vacancy"


@dataclass(frozen=True)
class Stretch:
    """Free booths wall to wall in one row: the first one's position, how many, which of them are corners."""

    hall: str
    row: str
    x_m: float
    length: int
    corners: tuple[int, ...] = ()  # positions from 0

    def corner_within(self, start: int, n: int) -> bool:
        """Whether the block of ``n`` booths from position ``start`` holds a corner booth."""
        return any(start <= place < start + n for place in self.corners)

    def plan_order(self) -> tuple[str, tuple[int, str], float]:
        """Reading order, as floorplan.plan_order of its first booth."""
        return (self.hall, (len(self.row), self.row), self.x_m)

    def rest(self, start: int, n: int, next_x_m: float | None) -> Stretch | None:
        """What is left once the block of ``n`` booths at either end is taken (``next_x_m``: the booth after
        a block taken at the front)."""
        if n == self.length:
            return None
        if start == 0 and next_x_m is not None:
            return Stretch(self.hall, self.row, next_x_m, self.length - n,
                           tuple(place - n for place in self.corners if place >= n))
        if start + n == self.length:
            return Stretch(self.hall, self.row, self.x_m, start, tuple(p for p in self.corners if p < start))
        raise ValueError(f"a block inside a stretch ({start}+{n} of {self.length}) is never taken")


def free_count(stretches: Sequence[Stretch]) -> int:
    """How many free booths the stretches hold."""
    return sum(stretch.length for stretch in stretches)


def fold(rows: Iterable[tuple[str, str, float, float, float, bool]]) -> list[Stretch]:
    """Stretches (plan order) of free booths given as (hall, row, x, y, width, corner) sorted by hall, row, x:
    floorplan.runs without building a booth."""
    found: list[Stretch] = []
    hall = row = ""
    x0 = y0 = end = 0.0
    length = 0
    corners: list[int] = []
    for h, r, x, y, width, corner in rows:
        # floorplan.adjacent: same hall and row, same front line, wall to wall with the booth before.
        if not (length and h == hall and r == row and abs(y - y0) <= EPS_M and abs(end - x) <= EPS_M):
            if length:
                found.append(Stretch(hall, row, x0, length, tuple(corners)))
            hall, row, x0, y0, length, corners = h, r, x, y, 0, []
        if corner:
            corners.append(length)
        length, end = length + 1, x + width
    if length:
        found.append(Stretch(hall, row, x0, length, tuple(corners)))
    return sorted(found, key=Stretch.plan_order)


def _free_in(*, zoned: bool) -> list[ColumnElement[bool]]:
    """The booths of an area (parameters ``fair_id`` and, when ``zoned``, its ``zones``; an area of no zone is
    the booths outside every zone) neither blocked nor held nor assigned (the live-claim index answers the last)."""
    taken = exists().where(_CLAIM.fair_id == _BOOTH.fair_id, _CLAIM.booth_code == _BOOTH.code,
                           _CLAIM.released_at.is_(None))
    zone = _BOOTH.zone.in_(bindparam("zones", expanding=True)) if zoned else _BOOTH.zone == ""
    return [_BOOTH.fair_id == bindparam("fair_id"), _BOOTH.blocked.is_(False), zone, ~taken]


# The statements of an approval, built once (building one per call was a good part of its CPU): Core over the
# tables, so they never autoflush — the approval's own writes are flushed at commit (reactions.approve).
_STRETCHES = {zoned: select(_BOOTH.hall, _BOOTH.row, _BOOTH.x_m, _BOOTH.y_m, _BOOTH.width_m, _BOOTH.corner)  # type: ignore[call-overload]
              .where(*_free_in(zoned=zoned)).order_by(_BOOTH.hall, _BOOTH.row, _BOOTH.x_m) for zoned in (False, True)}
_BLOCK = {zoned: select(*_AS_BOOTH)
          .where(*_free_in(zoned=zoned), _BOOTH.hall == bindparam("hall"), _BOOTH.row == bindparam("row"),
                 _BOOTH.x_m >= bindparam("x_m"))
          .order_by(_BOOTH.x_m).offset(bindparam("start", type_=Integer)).limit(bindparam("count", type_=Integer))
          for zoned in (False, True)}
_NEWEST_AUDIT = select(func.max(_AUDIT.id)).where(_AUDIT.fair_id == bindparam("fair_id"))


def _area_params(fair_id: str, area: Area) -> dict[str, object]:
    return {"fair_id": fair_id, "zones": sorted(area.zones)} if area.zones else {"fair_id": fair_id}


def _shares(area: Area, zones: set[str]) -> bool:
    return bool((area.zones or {""}) & zones)


@dataclass
class Vacancy:
    """A fair's free stretches by area, as this transaction knows them."""

    fair_id: str
    zones: tuple[Zone, ...]
    areas: dict[str, tuple[Area, list[Stretch]]] = field(default_factory=dict)
    placed: set[str] = field(default_factory=set)  # booth codes this vacancy gave out itself

    async def stretches(self, session: AsyncSession, area: Area) -> list[Stretch]:
        """The area's free stretches in plan order (read once per transaction, then kept up to date)."""
        if area.key not in self.areas:
            rows = await session.exec(_STRETCHES[bool(area.zones)], params=_area_params(self.fair_id, area))
            self.areas[area.key] = (area, fold(rows.all()))
        return self.areas[area.key][1]

    async def take(self, session: AsyncSession, area: Area, index: int, start: int, n: int) -> list[Booth]:
        """The ``n`` booths from ``start`` of the area's stretch ``index``, cut out of what is free here."""
        stretches = await self.stretches(session, area)
        stretch = stretches[index]
        more = 1 if start == 0 and n < stretch.length else 0  # the booth after the block starts what is left
        rows = await session.exec(_BLOCK[bool(area.zones)], params={
            **_area_params(self.fair_id, area), "hall": stretch.hall, "row": stretch.row, "x_m": stretch.x_m,
            "start": start, "count": n + more})
        booths = [Booth(*row) for row in rows.all()]
        block = booths[:n]
        if len(booths) != n + more or len(runs(block)) != 1:
            # Not what this transaction read a moment ago (a writer that skipped the fair's lock): let the
            # consumer retry rather than give booths that are not side by side.
            raise RuntimeError(f"the free booths of fair {self.fair_id} changed under a placement")
        rest = stretch.rest(start, n, booths[n].x_m if more else None)
        stretches[index:index + 1] = [rest] if rest else []
        touched = {booth.zone for booth in block}
        self.areas = {key: kept for key, kept in self.areas.items() if key == area.key or not _shares(kept[0], touched)}
        self.placed.update(booth.code for booth in block)
        return block

    def copy(self) -> Vacancy:
        """An independent copy (stretches are immutable; their lists are not)."""
        return Vacancy(fair_id=self.fair_id, zones=self.zones,
                       areas={key: (area, list(stretches)) for key, (area, stretches) in self.areas.items()})


class Vacancies:
    """Each fair's vacancy as the last committed transaction of approvals left it, under the fair's audit
    version then (this process only, a few dozen fairs).

    Every change to a fair's booths, claims, plan or zones appends to its audit log in the same transaction
    (store.audit), and audit ids only grow, so the fair's newest audit id tells whether anything changed
    since. A vacancy is kept only after a transaction whose every audit entry for the fair was an approval
    placed (or left unmet) through it; anything else drops it.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[int, Vacancy]] = OrderedDict()

    def get(self, fair_id: str, version: int | None) -> Vacancy | None:
        """A copy of the fair's vacancy if nothing changed since (``version``: its newest audit id now)."""
        entry = self._entries.get(fair_id)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(fair_id)
        return entry[1].copy()

    def put(self, fair_id: str, version: int, vacancy: Vacancy) -> None:
        """Keep the fair's vacancy as of ``version``."""
        self._entries[fair_id] = (version, vacancy.copy())
        self._entries.move_to_end(fair_id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, fair_id: str) -> None:
        """Forget the fair."""
        self._entries.pop(fair_id, None)


@dataclass(frozen=True)
class Written:
    """An audit entry written by a Core INSERT (store.write_audit): what `noted` keeps of an entry."""

    fair_id: str
    action: str
    id: int


Noted = AuditEntry | Written

_PLACED_HERE = frozenset({"automatic", "unmet"})  # the audit actions of an approval placed through a vacancy


@dataclass
class _Transaction:
    """What one transaction knows of its fairs' vacancies, and the audit entries it wrote per fair."""

    owner: object
    kept: Vacancies | None = None
    vacancies: dict[str, Vacancy] = field(default_factory=dict)
    audits: dict[str, list[Noted]] = field(default_factory=dict)
    done: bool = False

    def publish(self) -> None:
        """After commit: keep each vacancy the transaction left exact; drop every other fair it changed."""
        if self.kept is None:
            return
        for fair_id, entries in self.audits.items():
            vacancy = self.vacancies.get(fair_id)
            if vacancy is not None and all(e.action in _PLACED_HERE and e.id is not None for e in entries):
                self.kept.put(fair_id, max(e.id for e in entries if e.id is not None), vacancy)
            else:
                self.kept.drop(fair_id)


def _current(session: AsyncSession) -> _Transaction:
    """This transaction's record (a session's info outlives its transactions: check whose it is)."""
    owner = session.sync_session.get_transaction()
    record: _Transaction | None = session.info.get(_KEY)
    if record is None or record.owner is not owner or record.done:
        record = session.info[_KEY] = _Transaction(owner=owner)
    return record


def _publish_after_commit(session: AsyncSession, record: _Transaction, kept: Vacancies) -> None:
    """Hand the transaction's vacancies to the process once it commits (nothing if it rolls back)."""
    if record.kept is not None:
        return
    record.kept = kept

    def committed() -> None:
        if not record.done:
            record.done = True
            record.publish()

    after_commit(session, committed)


async def of_fair(session: AsyncSession, kept: Vacancies, fair_id: str,
                  zones: Callable[[], Awaitable[Sequence[Zone]]]) -> Vacancy:
    """The fair's vacancy in this transaction: its own, else the process's if the fair's audit log has not
    moved since, else a new one (``zones`` reads the fair's zones)."""
    record = _current(session)
    _publish_after_commit(session, record, kept)
    vacancy = record.vacancies.get(fair_id)
    if vacancy is None:
        version = (await session.exec(_NEWEST_AUDIT, params={"fair_id": fair_id})).one()
        vacancy = kept.get(fair_id, version) or Vacancy(fair_id=fair_id, zones=tuple(await zones()))
        record.vacancies[fair_id] = vacancy
    return vacancy


def claimed(session: AsyncSession, fair_id: str, codes: Iterable[str]) -> None:
    """Booths were claimed in this transaction: forget the fair's stretches unless it gave them out itself."""
    vacancies = _current(session).vacancies
    vacancy = vacancies.get(fair_id)
    if vacancy is not None and not set(codes) <= vacancy.placed:
        del vacancies[fair_id]


def forget(session: AsyncSession, fair_id: str) -> None:
    """Booths of the fair were freed, blocked or laid out again in this transaction: forget its stretches."""
    _current(session).vacancies.pop(fair_id, None)


def noted(session: AsyncSession, entry: Noted) -> None:
    """An audit entry of the fair was written in this transaction (the process's copy is kept only when
    each one was an approval placed here)."""
    _current(session).audits.setdefault(entry.fair_id, []).append(entry)
