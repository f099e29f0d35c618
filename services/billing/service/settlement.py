"""A programme's settlement report (quyết toán): booths, exhibitors, amounts by fair and province.

Amounts: ``committed`` is what the programme holds for live invoices (paid ones included), ``paid``
the part whose invoice the exhibitor has paid (support delivered), ``released`` what voided invoices
gave back to the budget. The workbook of the report is written by adapters/settlement_xlsx.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select

from services.billing.domain.invoices import InvoiceStatus
from services.billing.domain.numbering import format_invoice_number
from services.billing.domain.programme_terms import SettlementStatus, settlement_status
from services.billing.models import FairPriceList, Invoice, SubsidyCommitment, SubsidyProgramme
from services.billing.service.programmes import programme_of
from shared.db import Database
from shared.principal import Principal
from shared.reference.geo import UnknownPlace, province

__all__ = ["Settlement", "SettlementGroup", "SettlementLine", "province_name", "settlement_report"]


@dataclass(frozen=True)
class SettlementLine:
    """One supported invoice."""

    invoice: str
    issued_on: date
    fair_id: str
    fair_name: str
    exhibitor_id: str
    exhibitor_name: str
    tax_code: str
    province_code: str | None
    province_name: str
    booths: int
    per_booth_vnd: int
    requested_vnd: int
    amount_vnd: int
    status: SettlementStatus


@dataclass(frozen=True)
class SettlementGroup:
    """Support within one fair or one province."""

    key: str
    label: str
    booths: int
    exhibitors: int
    committed_vnd: int
    paid_vnd: int
    released_vnd: int


@dataclass(frozen=True)
class Settlement:
    """The programme's settlement: its totals, by fair, by province, and each supported invoice."""

    programme: SubsidyProgramme
    budget_vnd: int
    committed_vnd: int
    paid_vnd: int
    released_vnd: int
    remaining_vnd: int
    booths: int
    exhibitors: int
    by_fair: list[SettlementGroup]
    by_province: list[SettlementGroup]
    lines: list[SettlementLine]


def province_name(code: str | None) -> str:
    """The province's current name, or a dash when unknown."""
    if not code:
        return "—"
    try:
        return province(code).name
    except (KeyError, UnknownPlace):
        return code


async def settlement_report(*, db: Database, principal: Principal, programme_id: str) -> Settlement:
    """The settlement of one programme of the caller's centre."""
    async with db.sessions() as session:
        programme = await programme_of(session, principal, programme_id)
        rows = (await session.exec(
            select(SubsidyCommitment, Invoice, FairPriceList)
            .join(Invoice, col(Invoice.id) == col(SubsidyCommitment.invoice_id))
            .join(FairPriceList, col(FairPriceList.fair_id) == col(SubsidyCommitment.fair_id))
            .where(SubsidyCommitment.programme_id == programme_id)
            .order_by(col(Invoice.issued_at), col(Invoice.number)))).all()
    lines = [_line(c, i, f) for c, i, f in rows]
    live = [line for line in lines if line.status != SettlementStatus.RELEASED]
    return Settlement(
        programme=programme, budget_vnd=programme.budget_vnd,
        committed_vnd=sum(line.amount_vnd for line in live), paid_vnd=_sum(lines, SettlementStatus.PAID),
        released_vnd=_sum(lines, SettlementStatus.RELEASED),
        remaining_vnd=programme.budget_vnd - programme.committed_vnd,
        booths=sum(line.booths for line in live), exhibitors=len({line.exhibitor_id for line in live}),
        by_fair=_groups(lines, lambda line: (line.fair_id, line.fair_name)),
        by_province=_groups(lines, lambda line: (line.province_code or "", line.province_name)),
        lines=lines)


def _line(commitment: SubsidyCommitment, invoice: Invoice, fair: FairPriceList) -> SettlementLine:
    status = settlement_status(commitment.status, invoice_paid=invoice.status == InvoiceStatus.PAID)
    return SettlementLine(
        invoice=f"{invoice.form}{invoice.symbol}-{format_invoice_number(invoice.number)}", issued_on=invoice.issued_on,
        fair_id=fair.fair_id, fair_name=fair.name, exhibitor_id=commitment.exhibitor_id,
        exhibitor_name=commitment.exhibitor_name, tax_code=commitment.exhibitor_tax_code,
        province_code=commitment.province_code, province_name=province_name(commitment.province_code),
        booths=commitment.booths, per_booth_vnd=commitment.per_booth_vnd, requested_vnd=commitment.requested_vnd,
        amount_vnd=commitment.amount_vnd, status=status)


def _sum(lines: Iterable[SettlementLine], status: SettlementStatus) -> int:
    return sum(line.amount_vnd for line in lines if line.status == status)


def _groups(lines: list[SettlementLine], key: Callable[[SettlementLine], tuple[str, str]]) -> list[SettlementGroup]:
    grouped: dict[tuple[str, str], list[SettlementLine]] = defaultdict(list)
    for line in lines:
        grouped[key(line)].append(line)
    result = []
    for (code, label), members in sorted(grouped.items(), key=lambda item: item[0][1]):
        live = [m for m in members if m.status != SettlementStatus.RELEASED]
        result.append(SettlementGroup(
            key=code, label=label, booths=sum(m.booths for m in live), exhibitors=len({m.exhibitor_id for m in live}),
            committed_vnd=sum(m.amount_vnd for m in live), paid_vnd=_sum(members, SettlementStatus.PAID),
            released_vnd=_sum(members, SettlementStatus.RELEASED)))
    return result
