"""The programme as second payer, inside an invoice's transaction: commit its share, release it on a void.

At most one programme pays for an invoice: national programmes are tried before local ones, older
before newer, and the first eligible one with budget left pays. A short budget pays what is left and
the exhibitor the rest (``subsidy.exhausted``); an empty one hands over to the next programme
(``subsidy.exhausted`` too), and the invoice's note names it, saying who pays instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import structlog
from sqlalchemy import bindparam, case
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.billing.domain.amounts import format_vnd
from services.billing.domain.invoices import InvoiceDraft, SubsidySplit
from services.billing.domain.programme_terms import (
    COMMITMENT_TRANSITIONS,
    CommitmentStatus,
    Level,
    ProgrammeTerms,
    Recipient,
    SupportBase,
    empty_budget_note,
    exhausted_note,
    support_note,
)
from services.billing.models import BuyerSnapshot, FairPriceList, Invoice, SubsidyCommitment, SubsidyProgramme
from services.billing.service import budget, per_transaction
from shared.contracts import billing as ev
from shared.contracts.base import Event

log = structlog.get_logger()


def terms_of(programme: SubsidyProgramme) -> ProgrammeTerms:
    """The pure terms behind a stored programme."""
    return ProgrammeTerms(
        level=Level(programme.level), funder=programme.funder, funding_province_code=programme.funding_province_code,
        valid_from=programme.valid_from, valid_to=programme.valid_to, support_percent=programme.support_percent,
        cap_per_booth_vnd=programme.cap_per_booth_vnd, max_booths_per_exhibitor=programme.max_booths_per_exhibitor,
        eligible_kinds=frozenset(programme.eligible_kinds), cscnnt_only=programme.cscnnt_only,
        eligible_provinces=frozenset(programme.eligible_provinces),
        eligible_communes=frozenset(programme.eligible_communes),
        fair_ids=frozenset(programme.fair_ids), base=SupportBase(programme.base))


# Built once, with parameters: each invoice only binds its values.
_CANDIDATES = (select(SubsidyProgramme)
               .where(SubsidyProgramme.centre_id == bindparam("centre_id"),
                      col(SubsidyProgramme.valid_from) <= bindparam("starts_on"),
                      col(SubsidyProgramme.valid_to) >= bindparam("starts_on"))
               .order_by(case((col(SubsidyProgramme.level) == Level.NATIONAL.value, 0), else_=1),
                         col(SubsidyProgramme.created_at), col(SubsidyProgramme.id)))


async def candidate_programmes(session: AsyncSession, centre_id: str, starts_on: date) -> list[SubsidyProgramme]:
    """The centre's programmes valid on the fair's first day, national first, then oldest first."""
    return list((await session.exec(_CANDIDATES, params={"centre_id": centre_id, "starts_on": starts_on})).all())


async def _candidates(session: AsyncSession, centre_id: str,
                      starts_on: date) -> list[tuple[SubsidyProgramme, ProgrammeTerms]]:
    """candidate_programmes with their terms, read once per transaction (a batch's invoices share them); what
    is left of a budget is never taken from here, budget.py reads and changes it in the database each time."""
    read = per_transaction.programmes(session)
    if (centre_id, starts_on) not in read:
        read[centre_id, starts_on] = [(programme, terms_of(programme))
                                      for programme in await candidate_programmes(session, centre_id, starts_on)]
    candidates: list[tuple[SubsidyProgramme, ProgrammeTerms]] = read[centre_id, starts_on]
    return candidates


def recipient_of(buyer: BuyerSnapshot) -> Recipient:
    """What eligibility looks at, from billing's copy of the exhibitor."""
    return Recipient(kind=buyer.kind, is_cscnnt=buyer.is_cscnnt, province_code=buyer.province_code,
                     commune_code=buyer.commune_code)


@dataclass(frozen=True)
class Share:
    """What the programmes pay for an invoice, the note it prints, and the events to stage after it."""

    split: SubsidySplit | None = None
    note: str = ""
    events: list[Event] = field(default_factory=list)


async def commit_share(session: AsyncSession, *, invoice_id: str, fair: FairPriceList, buyer: BuyerSnapshot,
                       draft: InvoiceDraft, now: datetime) -> Share:
    """Commit the first eligible programme's share of the booth rent; say on the invoice which ones had run out."""
    booth = draft.booth_line()
    if booth is None:
        return Share()
    events: list[Event] = []
    emptied: list[str] = []
    who = recipient_of(buyer)
    for programme, terms in await _candidates(session, fair.centre_id, fair.starts_on):
        if not terms.applies_to_fair(fair.fair_id, fair.starts_on) or terms.refusal(who) is not None:
            continue
        per_booth = terms.share_per_booth(booth.unit_price, booth.vat)
        booths = 0 if per_booth <= 0 else await budget.take_booths(
            session, programme.id, buyer.exhibitor_id, booth.quantity, programme.max_booths_per_exhibitor)
        if booths == 0:
            continue
        # Never more than the invoice's total, whatever per-booth rounding of a gross base adds up to.
        requested = min(per_booth * booths, draft.totals.total)
        granted = await budget.take_budget(session, programme.id, requested)
        if granted < requested:
            events.append(ev.SubsidyExhausted(
                fair_id=fair.fair_id, subsidy_programme_id=programme.id, remaining_vnd=0,
                registration_id=buyer.registration_id, invoice_id=invoice_id, requested_vnd=requested,
                granted_vnd=granted))
            log.info("billing.subsidy_exhausted", programme_id=programme.id, requested_vnd=requested,
                     granted_vnd=granted, invoice_id=invoice_id)
        if granted == 0:
            emptied.append(programme.name)
            await budget.give_back_booths(session, programme.id, buyer.exhibitor_id, booths)
            continue
        split = _split(programme, terms, booths=booths, per_booth=per_booth, requested=requested, granted=granted)
        session.add(_commitment(programme, split, invoice_id=invoice_id, fair=fair, buyer=buyer, now=now))
        events.append(ev.SubsidyCommitted(
            fair_id=fair.fair_id, subsidy_programme_id=programme.id, registration_id=buyer.registration_id,
            invoice_id=invoice_id, amount_vnd=granted, booths=booths, requested_vnd=requested))
        log.info("billing.subsidy_committed", programme_id=programme.id, amount_vnd=granted, invoice_id=invoice_id)
        before = empty_budget_note(names=emptied, another_pays=True) + " " if emptied else ""
        return Share(split=split, note=before + split.note, events=events)
    # Eligible, but every such programme had run out: the exhibitor pays everything, and the invoice says why.
    return Share(note=empty_budget_note(names=emptied, another_pays=False) if emptied else "", events=events)


def _split(programme: SubsidyProgramme, terms: ProgrammeTerms, *, booths: int, per_booth: int, requested: int,
           granted: int) -> SubsidySplit:
    note = support_note(name=programme.name, percent=terms.support_percent, cap=terms.cap_per_booth_vnd,
                        booths=booths, amount=format_vnd(granted))
    if granted < requested:
        note += " " + exhausted_note(name=programme.name, granted=format_vnd(granted),
                                     requested=format_vnd(requested))
    return SubsidySplit(programme_id=programme.id, programme_name=programme.name, booths=booths,
                        per_booth_vnd=per_booth, requested_vnd=requested, amount_vnd=granted, note=note)


def _commitment(programme: SubsidyProgramme, split: SubsidySplit, *, invoice_id: str, fair: FairPriceList,
                buyer: BuyerSnapshot, now: datetime) -> SubsidyCommitment:
    return SubsidyCommitment(
        programme_id=programme.id, invoice_id=invoice_id, registration_id=buyer.registration_id,
        exhibitor_id=buyer.exhibitor_id, exhibitor_name=buyer.name, exhibitor_tax_code=buyer.tax_code,
        province_code=buyer.province_code, fair_id=fair.fair_id, booths=split.booths,
        per_booth_vnd=split.per_booth_vnd, requested_vnd=split.requested_vnd, amount_vnd=split.amount_vnd,
        created_at=now)


async def release_share(session: AsyncSession, invoice: Invoice, *, reason: str, now: datetime) -> list[Event]:
    """Return a voided invoice's commitment to its programme's budget; the subsidy.released to stage."""
    commitment = (await session.exec(
        select(SubsidyCommitment).where(SubsidyCommitment.invoice_id == invoice.id,
                                        SubsidyCommitment.status == CommitmentStatus.COMMITTED)
        .with_for_update())).first()
    if commitment is None:
        return []
    # The same lock order as issuing (the exhibitor's usage row, then the programme's), or the two deadlock.
    await budget.give_back_booths(session, commitment.programme_id, commitment.exhibitor_id, commitment.booths)
    await budget.give_back_budget(session, commitment.programme_id, commitment.amount_vnd)
    COMMITMENT_TRANSITIONS.check(commitment.status, CommitmentStatus.RELEASED)
    commitment.status = CommitmentStatus.RELEASED
    commitment.released_at = now
    session.add(commitment)
    log.info("billing.subsidy_released", programme_id=commitment.programme_id, amount_vnd=commitment.amount_vnd,
             invoice_id=invoice.id)
    return [ev.SubsidyReleased(fair_id=invoice.fair_id, subsidy_programme_id=commitment.programme_id,
                               registration_id=invoice.registration_id, amount_vnd=commitment.amount_vnd,
                               invoice_id=invoice.id, booths=commitment.booths, reason=reason)]
