"""The settlement report as an .xlsx workbook with Vietnamese headers: summary, by fair, by province, detail."""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from services.billing.domain.programme_terms import Level, SettlementStatus
from services.billing.service.settlement import Settlement, SettlementGroup
from shared.spreadsheet import safe_cell

STATUS_LABELS = {SettlementStatus.COMMITTED: "Đã cam kết", SettlementStatus.PAID: "Đã thực hiện",
                 SettlementStatus.RELEASED: "Đã hoàn trả"}
MONEY = "#,##0"


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


def settlement_xlsx(report: Settlement) -> bytes:
    """The report as an .xlsx workbook: summary, by fair, by province, detail."""
    book = Workbook()
    book.remove(book.worksheets[0])
    p = report.programme
    level = "Quốc gia (KCQG)" if p.level == Level.NATIONAL else "Địa phương (KCĐP)"
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
