"""HTTP use cases of subsidy programmes: create, read, change, delete; one transaction each.

Writes to a centre's programmes are serialised by locking the centre's settings row, so two
overlapping programmes created at the same moment cannot both pass the overlap check.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.domain.access import check_centre, own_centre
from services.billing.domain.programme_terms import TermsInvalid, first_overlap
from services.billing.models import PROGRAMME_LISTS as LISTS
from services.billing.models import CentreSettings, FairPriceList, SubsidyCommitment, SubsidyProgramme, SubsidyUsage
from services.billing.schemas.programmes import ProgrammeCreate, ProgrammeUpdate
from services.billing.service.subsidy_shares import terms_of
from shared.db import Database, utcnow
from shared.errors import Invalid, NotFound, Rejected
from shared.principal import Principal
from shared.uow import insert_ignore

log = structlog.get_logger()


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Lists as the table keeps them (sorted, without duplicates)."""
    return {k: sorted(set(v)) if k in LISTS else v for k, v in values.items()}


async def _lock_centre(session: AsyncSession, centre_id: str) -> None:
    await insert_ignore(session, CentreSettings, {"centre_id": centre_id, "updated_at": utcnow()},
                        index_elements=["centre_id"])
    await session.exec(select(CentreSettings).where(CentreSettings.centre_id == centre_id).with_for_update())


async def _check(session: AsyncSession, row: SubsidyProgramme) -> None:
    """Terms that work, fairs of the centre, and no overlap with another programme of the same funder."""
    terms = terms_of(row)
    try:
        terms.check()
    except TermsInvalid as exc:
        raise Invalid(str(exc), field=exc.field, code="invalid-programme") from exc
    fair_ids = sorted(terms.fair_ids)
    if fair_ids:
        known = set((await session.exec(select(FairPriceList.fair_id).where(
            col(FairPriceList.fair_id).in_(fair_ids), FairPriceList.centre_id == row.centre_id))).all())
        if unknown := [f for f in fair_ids if f not in known]:
            raise Invalid(f"Không tìm thấy hội chợ / unknown fairs {unknown}", field="fair_ids", code="unknown-fair")
    others = (await session.exec(select(SubsidyProgramme).where(SubsidyProgramme.centre_id == row.centre_id,
                                                                SubsidyProgramme.id != row.id))).all()
    clash = first_overlap(terms, [(other.id, terms_of(other)) for other in others])
    if clash is not None:
        raise Rejected(f"Trùng thời gian hiệu lực với chương trình {clash} của cùng nguồn kinh phí / validity "
                       f"overlaps programme {clash} of the same funder and fairs", field="valid_from",
                       code="overlapping-programme")


async def create_programme(*, db: Database, principal: Principal, centre_id: str | None, body: ProgrammeCreate,
                           now: datetime) -> SubsidyProgramme:
    """Create a programme for the organizer's centre."""
    chosen = own_centre(principal, centre_id)
    values = {k: v for k, v in body.model_dump().items() if v is not None}
    row = SubsidyProgramme(centre_id=chosen, created_at=now, updated_at=now, **_stored(values))
    async with db.transaction() as session:
        await _lock_centre(session, chosen)
        await _check(session, row)
        session.add(row)
    log.info("billing.programme_created", programme_id=row.id, centre_id=chosen, budget_vnd=row.budget_vnd)
    return row


async def programme_of(session: AsyncSession, principal: Principal, programme_id: str, *,
                     lock: bool = False) -> SubsidyProgramme:
    query = select(SubsidyProgramme).where(SubsidyProgramme.id == programme_id)
    row = (await session.exec(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound(f"Không tìm thấy chương trình / programme {programme_id} not found", code="not-found")
    check_centre(principal, row.centre_id)
    return row


async def get_programme(*, db: Database, principal: Principal, programme_id: str) -> SubsidyProgramme:
    """One programme of the caller's centre."""
    async with db.sessions() as session:
        return await programme_of(session, principal, programme_id)


async def list_programmes(*, db: Database, principal: Principal, centre_id: str | None) -> list[SubsidyProgramme]:
    """The programmes of the caller's centre (an admin may name one, or see all)."""
    query = select(SubsidyProgramme).order_by(col(SubsidyProgramme.valid_from), col(SubsidyProgramme.name))
    if not (principal.is_admin() and centre_id is None):
        query = query.where(SubsidyProgramme.centre_id == own_centre(principal, centre_id))
    async with db.sessions() as session:
        return list((await session.exec(query)).all())


async def update_programme(*, db: Database, principal: Principal, programme_id: str, body: ProgrammeUpdate,
                           now: datetime) -> SubsidyProgramme:
    """Change a programme's terms; commitments already made keep their amounts."""
    # An explicit null removes the cap; for every other field it means "unchanged".
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items()
               if v is not None or k == "cap_per_booth_vnd"}
    async with db.transaction() as session:
        probe = await programme_of(session, principal, programme_id)
        await _lock_centre(session, probe.centre_id)
        row = await programme_of(session, principal, programme_id, lock=True)
        row.sqlmodel_update({**_stored(changes), "updated_at": now})
        if row.budget_vnd < row.committed_vnd:
            raise Rejected(f"Ngân sách thấp hơn số đã cam kết ({row.committed_vnd}) / budget below what is "
                           "committed", field="budget_vnd", code="budget-below-committed")
        await _check(session, row)
        session.add(row)
    log.info("billing.programme_updated", programme_id=programme_id, fields=sorted(changes))
    return row


async def delete_programme(*, db: Database, principal: Principal, programme_id: str) -> None:
    """Delete a programme that never supported anything (otherwise end it by its valid_to)."""
    async with db.transaction() as session:
        row = await programme_of(session, principal, programme_id, lock=True)
        used = (await session.exec(select(func.count()).select_from(SubsidyCommitment)
                                   .where(SubsidyCommitment.programme_id == programme_id))).one()
        if used:
            raise Rejected("Chương trình đã có cam kết hỗ trợ, hãy kết thúc hiệu lực thay vì xóa / the programme "
                           "has commitments: end its validity instead", code="programme-in-use")
        # Usage rows may exist with no booth left (a try that found the budget empty gave them back).
        await session.exec(delete(SubsidyUsage).where(col(SubsidyUsage.programme_id) == programme_id))
        await session.delete(row)
    log.info("billing.programme_deleted", programme_id=programme_id)
