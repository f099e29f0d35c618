"""A programme's settlement report (quyết toán): booths, exhibitors, amounts by fair and province, as JSON
and as an .xlsx workbook with Vietnamese headers.

Amounts: ``committed`` is what the programme holds for live invoices (paid ones included), ``paid``
the part whose invoice the exhibitor has paid (support delivered), ``released`` what voided invoices
gave back to the budget.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterable

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import col, select

from services.billing.domain.numbering import format_invoice_number
from services.billing.models import FairPriceList, Invoice, SubsidyCommitment
from services.billing.schemas.programmes import SettlementGroup, SettlementLine, SettlementReport
from services.billing.service.programmes import programme_of, programme_public
from shared.principal import Principal
from shared.db import Database
from shared.reference.geo import UnknownPlace, province
from shared.spreadsheet import safe_cell

STATUS_LABELS = {"committed": "Đã cam kết", "paid": "Đã thực hiện", "released": "Đã hoàn trả"}
MONEY = "#,##0"


def province_name(code: str | None) -> str:
    """The province's current name, or a dash when unknown."""
    if not code:
        return "—"
    try:
        return province(code).name
    except (KeyError, UnknownPlace):
        return code


async def settlement_report(*, db: Database, principal: Principal, programme_id: str) -> SettlementReport:
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
    live = [line for line in lines if line.status != "released"]
    return SettlementReport(
        programme=programme_public(programme), budget_vnd=programme.budget_vnd,
        committed_vnd=sum(line.amount_vnd for line in live), paid_vnd=_sum(lines, "paid"),
        released_vnd=_sum(lines, "released"), remaining_vnd=programme.budget_vnd - programme.committed_vnd,
        booths=sum(line.booths for line in live), exhibitors=len({line.exhibitor_id for line in live}),
        by_fair=_groups(lines, lambda line: (line.fair_id, line.fair_name)),
        by_province=_groups(lines, lambda line: (line.province_code or "", line.province_name)),
        lines=lines)


def _line(commitment: SubsidyCommitment, invoice: Invoice, fair: FairPriceList) -> SettlementLine:
    status = "released" if commitment.status == "released" else "paid" if invoice.status == "paid" else "committed"
    return SettlementLine(
        invoice=f"{invoice.form}{invoice.symbol}-{format_invoice_number(invoice.number)}", issued_on=invoice.issued_on,
        fair_id=fair.fair_id, fair_name=fair.name, exhibitor_id=commitment.exhibitor_id,
        exhibitor_name=commitment.exhibitor_name, tax_code=commitment.exhibitor_tax_code,
        province_code=commitment.province_code, province_name=province_name(commitment.province_code),
        booths=commitment.booths, per_booth_vnd=commitment.per_booth_vnd, requested_vnd=commitment.requested_vnd,
        amount_vnd=commitment.amount_vnd, status=status)


def _sum(lines: Iterable[SettlementLine], status: str) -> int:
    return sum(line.amount_vnd for line in lines if line.status == status)


def _groups(lines: list[SettlementLine], key: Callable[[SettlementLine], tuple[str, str]]) -> list[SettlementGroup]:
    grouped: dict[tuple[str, str], list[SettlementLine]] = defaultdict(list)
    for line in lines:
        grouped[key(line)].append(line)
    result = []
    for (code, label), members in sorted(grouped.items(), key=lambda item: item[0][1]):
        live = [m for m in members if m.status != "released"]
        result.append(SettlementGroup(
            key=code, label=label, booths=sum(m.booths for m in live), exhibitors=len({m.exhibitor_id for m in live}),
            committed_vnd=sum(m.amount_vnd for m in live), paid_vnd=_sum(members, "paid"),
            released_vnd=_sum(members, "released")))
    return result


def _sheet(book: Workbook, title: str, headers: list[str], rows: Iterable[list[object]], money_from: int) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])  # names stored before the text checks, formulas
    for column in sheet.iter_cols(min_col=money_from, min_row=2):
        for cell in column:
            if isinstance(cell.value, int):
                cell.number_format = MONEY
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, len(header) + 2)
    sheet.freeze_panes = "A2"
    return sheet


GROUP_HEADERS = ["Số gian được hỗ trợ", "Số đơn vị", "Kinh phí cam kết (đồng)", "Đã thực hiện (đồng)",
                 "Đã hoàn trả (đồng)"]
LINE_HEADERS = ["STT", "Hóa đơn", "Ngày hóa đơn", "Hội chợ", "Đơn vị tham gia", "Mã số thuế", "Tỉnh/thành phố",
                "Số gian", "Hỗ trợ mỗi gian (đồng)", "Đề nghị hỗ trợ (đồng)", "Kinh phí hỗ trợ (đồng)", "Trạng thái"]


def _group_rows(groups: list[SettlementGroup]) -> list[list[object]]:
    return [[g.key, g.label, g.booths, g.exhibitors, g.committed_vnd, g.paid_vnd, g.released_vnd] for g in groups]


def settlement_xlsx(report: SettlementReport) -> bytes:
    """The report as an .xlsx workbook: summary, by fair, by province, detail."""
    book = Workbook()
    book.remove(book.worksheets[0])
    p = report.programme
    level = "Quốc gia (KCQG)" if p.level == "national" else "Địa phương (KCĐP)"
    summary: list[list[object]] = [["Chương trình", p.name], ["Quyết định", p.decision], ["Cấp", level],
               ["Cơ quan cấp kinh phí", p.funder], ["Hiệu lực", f"{p.valid_from:%d/%m/%Y} – {p.valid_to:%d/%m/%Y}"],
               ["Mức hỗ trợ", f"{p.support_percent}% giá thuê gian hàng"], ["Tổng kinh phí (đồng)", report.budget_vnd],
               ["Đã cam kết (đồng)", report.committed_vnd], ["Đã thực hiện (đồng)", report.paid_vnd],
               ["Đã hoàn trả (đồng)", report.released_vnd], ["Còn lại (đồng)", report.remaining_vnd],
               ["Số gian được hỗ trợ", report.booths], ["Số đơn vị được hỗ trợ", report.exhibitors]]
    _sheet(book, "Tổng hợp", ["Nội dung", "Giá trị"], summary, money_from=2)
    _sheet(book, "Theo hội chợ", ["Mã hội chợ", "Hội chợ", *GROUP_HEADERS], _group_rows(report.by_fair), 5)
    _sheet(book, "Theo tỉnh", ["Mã tỉnh", "Tỉnh/thành phố", *GROUP_HEADERS], _group_rows(report.by_province), 5)
    detail = [[n, line.invoice, line.issued_on.strftime("%d/%m/%Y"), line.fair_name, line.exhibitor_name,
               line.tax_code, line.province_name, line.booths, line.per_booth_vnd, line.requested_vnd,
               line.amount_vnd, STATUS_LABELS[line.status]] for n, line in enumerate(report.lines, start=1)]
    _sheet(book, "Chi tiết", LINE_HEADERS, detail, money_from=9)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
