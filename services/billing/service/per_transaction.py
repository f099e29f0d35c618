"""What one transaction reads once: the consumer applies a batch of events in a single transaction.

Fifty invoices of one fair share its price list, its centre's settings and programmes; without this each would
read them again (SQLAlchemy's identity map holds unchanged rows only weakly, and remembers no misses).
Everything here is kept in the session's ``info``, tied to the transaction that read it and dropped with it,
so nothing outlives the transaction: a change another replica or an HTTP command commits is seen by the next
transaction, as before. Within one transaction the rows read are the same objects the session hands out, so a
change this transaction makes itself (``fair.updated`` earlier in the batch) is seen too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.models import CentreSettings, FairPriceList

_KEY = "billing.per_transaction"


def memo(session: AsyncSession) -> dict[str, Any]:
    """This transaction's memo (empty for a new transaction; not kept outside a transaction)."""
    transaction = session.sync_session.get_transaction()
    if transaction is None:
        return {}
    held = session.info.get(_KEY)
    if held is None or held[0] is not transaction:
        held = session.info[_KEY] = (transaction, {})
    return held[1]


def _fairs(session: AsyncSession) -> dict[str, FairPriceList]:
    fairs: dict[str, FairPriceList] = memo(session).setdefault("fairs", {})
    return fairs


def known_fair(session: AsyncSession, fair_id: str) -> FairPriceList | None:
    """The fair's price list row if this transaction has read it (no query)."""
    return _fairs(session).get(fair_id)


def remember_fair(session: AsyncSession, fair: FairPriceList, *, centre: CentreSettings | None,
                  has_programmes: bool) -> None:
    """Keep a fair read with its centre's settings, and that its centre has no programme for its dates."""
    _fairs(session)[fair.fair_id] = fair
    memo(session).setdefault("centres", {})[fair.centre_id] = centre
    if not has_programmes:
        programmes(session)[fair.centre_id, fair.starts_on] = []


async def fair(session: AsyncSession, fair_id: str) -> FairPriceList | None:
    """The fair's price list row; a miss is not remembered (its fair.published may come later in the batch)."""
    fairs = _fairs(session)
    row = fairs.get(fair_id)
    if row is None and (row := await session.get(FairPriceList, fair_id)) is not None:
        fairs[fair_id] = row
    return row


async def centre(session: AsyncSession, centre_id: str) -> CentreSettings | None:
    """The centre's invoice settings, None (remembered too) until it configures them; only HTTP writes them."""
    centres: dict[str, CentreSettings | None] = memo(session).setdefault("centres", {})
    if centre_id not in centres:
        centres[centre_id] = await session.get(CentreSettings, centre_id)
    return centres[centre_id]


def programmes(session: AsyncSession) -> dict[tuple[str, date], list[Any]]:
    """subsidy_shares' candidate programmes (with their terms) per centre and first day of a fair."""
    read: dict[tuple[str, date], list[Any]] = memo(session).setdefault("programmes", {})
    return read
