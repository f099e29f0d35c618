"""What issuing an invoice for booths.assigned needs to know, in one query where it can be.

The buyer, whether the assignment is invoiced already and whether extras wait to be invoiced come in one
round trip; the first assignment of a fair in a transaction brings the fair, its centre's settings and
whether the centre has a programme for the fair's dates along (``per_transaction`` keeps them for the
rest of the batch). The statements are built once, with parameters, so each event only binds values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from services.billing.domain import invoices as invoice_rules
from services.billing.models import BuyerSnapshot, CentreSettings, ExtraOrder, FairPriceList, Invoice, SubsidyProgramme
from services.billing.service import per_transaction
from shared.contracts.booths import BoothsAssigned
from shared.errors import NotYet

_INVOICED = (select(Invoice.id).where(Invoice.assignment_id == bindparam("assignment_id"))
             .limit(1).scalar_subquery())
_PENDING_EXTRAS = (select(func.count()).select_from(ExtraOrder)
                   .where(ExtraOrder.registration_id == bindparam("registration_id"),
                          col(ExtraOrder.invoice_id).is_(None)).scalar_subquery())
# The same condition as subsidy_shares.candidate_programmes: none here means that query would find none.
_PROGRAMMES = (select(func.count()).select_from(SubsidyProgramme)
               .where(SubsidyProgramme.centre_id == FairPriceList.centre_id,
                      col(SubsidyProgramme.valid_from) <= FairPriceList.starts_on,
                      col(SubsidyProgramme.valid_to) >= FairPriceList.starts_on).scalar_subquery())
_BUYER = (select(BuyerSnapshot, _INVOICED, _PENDING_EXTRAS)
          .where(BuyerSnapshot.registration_id == bindparam("registration_id")))
_BUYER_AND_FAIR = cast("Select[Any]", _BUYER.add_columns(FairPriceList, CentreSettings, _PROGRAMMES)
                       .outerjoin_from(BuyerSnapshot, FairPriceList, col(FairPriceList.fair_id) == bindparam("fair_id"))
                       .outerjoin(CentreSettings, col(CentreSettings.centre_id) == FairPriceList.centre_id))


class UnknownFair(NotYet, LookupError):
    """booths.assigned names a fair billing has not seen published yet: parked until fair.published arrives."""


class UnknownRegistration(NotYet, LookupError):
    """booths.assigned names a registration billing has not seen approved yet: parked until it is."""


@dataclass(frozen=True)
class Found:
    """What booths.assigned needs to know."""

    invoiced: bool
    fair: FairPriceList | None
    buyer: BuyerSnapshot | None
    pending_extras: int

    def fair_and_buyer(self, assigned: BoothsAssigned) -> tuple[FairPriceList, BuyerSnapshot]:
        """Both, or why not: not yet (parked until they come) or contradicting the registration."""
        if self.fair is None:
            raise UnknownFair(f"fair {assigned.fair_id} was never published to billing", waits_for=assigned.fair_id)
        if self.buyer is None:
            raise UnknownRegistration(f"registration {assigned.registration_id} was never approved to billing",
                                      waits_for=assigned.registration_id)
        buyer = self.buyer
        if buyer.fair_id != assigned.fair_id or buyer.exhibitor_id != assigned.exhibitor_id:
            raise invoice_rules.InconsistentAssignment(
                f"registration {assigned.registration_id} is of fair {buyer.fair_id} / exhibitor "
                f"{buyer.exhibitor_id}, not {assigned.fair_id} / {assigned.exhibitor_id}")
        return self.fair, buyer


async def look_up(session: AsyncSession, assigned: BoothsAssigned) -> Found:
    """What the assignment needs, read without autoflush: an invoice this transaction issued is known from
    ``issued_assignments``; a fair or buyer it recorded may not be flushed yet, so a miss flushes and looks
    again before it counts."""
    with session.no_autoflush:
        found = await _read(session, assigned)
        if found.fair is None or found.buyer is None:
            await session.flush()
            found = await _read(session, assigned)
    return found


def issued_assignments(session: AsyncSession) -> set[str]:
    """Assignments invoiced in this transaction (not flushed yet, so no query finds them)."""
    issued: set[str] = per_transaction.memo(session).setdefault("issued_assignments", set())
    return issued


async def _read(session: AsyncSession, assigned: BoothsAssigned) -> Found:
    params = {"registration_id": assigned.registration_id, "assignment_id": assigned.assignment_id}
    fair = per_transaction.known_fair(session, assigned.fair_id)
    row: Any
    if fair is not None:
        row = (await session.exec(_BUYER, params=params)).first()
    else:
        row = (await session.exec(_BUYER_AND_FAIR, params={**params, "fair_id": assigned.fair_id})).first()
        if row is not None and (fair := row[3]) is not None:
            per_transaction.remember_fair(session, fair, centre=row[4], has_programmes=row[5] > 0)
    if row is None:  # no buyer: still say whether the assignment was invoiced, then which fact is missing
        invoiced = (await session.exec(select(_INVOICED), params=params)).one() is not None
        return Found(invoiced=invoiced or assigned.assignment_id in issued_assignments(session),
                     fair=fair or await per_transaction.fair(session, assigned.fair_id), buyer=None,
                     pending_extras=0)
    buyer, invoice_id, pending = row[:3]
    return Found(invoiced=invoice_id is not None or assigned.assignment_id in issued_assignments(session),
                 fair=fair, buyer=buyer, pending_extras=pending)
