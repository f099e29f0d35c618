"""Exact budget accounting: take from and give back to a programme's budget and an exhibitor's booth limit.

Each take is a conditional UPDATE (``SET x = x + n WHERE ... AND x + n <= limit``): the database
checks and adds in one statement under the row's lock, so two transactions can never both spend the
last đồng. On PostgreSQL (READ COMMITTED) an UPDATE that waited for a concurrent one re-checks its
WHERE on the committed row; when that no longer fits it updates nothing and we re-read and ask for
what is left. On SQLite, ``BEGIN IMMEDIATE`` already serialises writers. A CHECK constraint on the
programme table is the last guard.

Lock order: every transaction that touches both rows of a programme locks the exhibitor's
``subsidy_usage`` row first and the ``subsidy_programmes`` row second (take_booths before take_budget
when issuing, give_back_booths before give_back_budget when releasing); the opposite order in one path
deadlocks against the other on PostgreSQL.
"""

from __future__ import annotations

import structlog
from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.models import SubsidyProgramme, SubsidyUsage
from shared.uow import insert_ignore

log = structlog.get_logger()
# Each retry follows a concurrent commit that took part of what was left, so a handful always suffices.
MAX_TRIES = 50


class BudgetContention(RuntimeError):
    """The budget kept changing under us (raised so the consumer retries the whole event)."""


# Built once, with parameters: each take only binds its values (names apart from the columns' own, which
# UPDATE … SET reserves).
_PROGRAMME = col(SubsidyProgramme.id) == bindparam("programme")
_REMAINING = (select(SubsidyProgramme.budget_vnd, SubsidyProgramme.committed_vnd).where(_PROGRAMME)
              .execution_options(populate_existing=True))
_TAKE_BUDGET = (update(SubsidyProgramme)
                .where(_PROGRAMME,
                       col(SubsidyProgramme.committed_vnd) + bindparam("grant") <= col(SubsidyProgramme.budget_vnd))
                .values(committed_vnd=col(SubsidyProgramme.committed_vnd) + bindparam("grant"))
                .execution_options(synchronize_session=False))
_USAGE = (col(SubsidyUsage.programme_id) == bindparam("programme"),
          col(SubsidyUsage.exhibitor_id) == bindparam("exhibitor"))
_USED = select(SubsidyUsage.booths).where(*_USAGE).execution_options(populate_existing=True)
_TAKE_BOOTHS = (update(SubsidyUsage).where(*_USAGE, col(SubsidyUsage.booths) + bindparam("grant") <= bindparam("limit"))
                .values(booths=col(SubsidyUsage.booths) + bindparam("grant"))
                .execution_options(synchronize_session=False))


async def _remaining_budget(session: AsyncSession, programme_id: str) -> int:
    row = (await session.exec(_REMAINING, params={"programme": programme_id})).one()
    return int(row[0]) - int(row[1])


async def take_budget(session: AsyncSession, programme_id: str, wanted: int) -> int:
    """Commit up to ``wanted`` đồng of the programme's budget; returns what was granted (maybe 0)."""
    for _ in range(MAX_TRIES):
        grant = min(wanted, await _remaining_budget(session, programme_id))
        if grant <= 0:
            return 0
        result = await session.exec(_TAKE_BUDGET, params={"programme": programme_id, "grant": grant})
        if result.rowcount == 1:
            return grant
        log.info("billing.budget_contended", programme_id=programme_id, wanted_vnd=wanted, tried_vnd=grant)
    raise BudgetContention(f"budget of programme {programme_id} kept changing")


async def give_back_budget(session: AsyncSession, programme_id: str, amount: int) -> None:
    """Return ``amount`` đồng to the programme's budget (a released commitment)."""
    await session.exec(update(SubsidyProgramme)
                       .where(col(SubsidyProgramme.id) == programme_id)
                       .values(committed_vnd=col(SubsidyProgramme.committed_vnd) - amount)
                       .execution_options(synchronize_session=False))


async def take_booths(session: AsyncSession, programme_id: str, exhibitor_id: str, wanted: int, limit: int) -> int:
    """Count up to ``wanted`` booths against the exhibitor's limit in the programme; returns how many."""
    # The exhibitor's first booths in the programme (most often) are counted by the insert of its row.
    first = min(wanted, limit)
    usage = {"programme_id": programme_id, "exhibitor_id": exhibitor_id, "booths": max(first, 0)}
    if await insert_ignore(session, SubsidyUsage, usage, index_elements=["programme_id", "exhibitor_id"]) and first > 0:
        return first
    key = {"programme": programme_id, "exhibitor": exhibitor_id}
    for _ in range(MAX_TRIES):
        used = (await session.exec(_USED, params=key)).one()
        grant = min(wanted, limit - int(used))
        if grant <= 0:
            return 0
        result = await session.exec(_TAKE_BOOTHS, params={**key, "grant": grant, "limit": limit})
        if result.rowcount == 1:
            return grant
    raise BudgetContention(f"booth count of exhibitor {exhibitor_id} in programme {programme_id} kept changing")


async def give_back_booths(session: AsyncSession, programme_id: str, exhibitor_id: str, booths: int) -> None:
    """Return ``booths`` to the exhibitor's limit in the programme."""
    await session.exec(update(SubsidyUsage)
                       .where(col(SubsidyUsage.programme_id) == programme_id,
                              col(SubsidyUsage.exhibitor_id) == exhibitor_id)
                       .values(booths=col(SubsidyUsage.booths) - booths)
                       .execution_options(synchronize_session=False))
