"""A fair's registrations as a spreadsheet (.xlsx) or CSV, with Vietnamese headers, in priority order.

An export never fails on what is stored: rows written before today's input checks (a control character in a
name, a place code or phone number no longer valid) are rendered as best they can be, never refused. Control
characters a spreadsheet cannot hold are removed (openpyxl's ILLEGAL_CHARACTERS_RE: C0 but tab, newline and
carriage return), in the CSV too, so both files show the same text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

import phonenumbers

from services.registration.domain.fairs import VIETNAM
from services.registration.domain.registrations import RegistrationStatus
from services.registration.models import Exhibitor, Registration, products_of
from shared.contracts.registration import EXHIBITOR_KIND_LABELS
from shared.reference import geo
from shared.spreadsheet import CSV_FORMULA_STARTS, safe_cell

HEADERS = ("STT", "Mã hồ sơ", "Tên doanh nghiệp", "Mã số thuế", "Loại hình", "CSCNNT", "Tỉnh/Thành phố",
           "Xã/Phường", "Điện thoại", "Email", "Ngành hàng", "Khu vực", "Sản phẩm", "Số gian đăng ký",
           "Điểm ưu tiên", "Căn cứ ưu tiên", "Trạng thái", "Vị trí chờ", "Lý do", "Ngày đăng ký", "Ngày quyết định")
STATUSES = {RegistrationStatus.SUBMITTED: "Chờ duyệt", RegistrationStatus.CHANGES_REQUESTED: "Yêu cầu bổ sung",
            RegistrationStatus.APPROVED: "Đã duyệt", RegistrationStatus.WAITLISTED: "Danh sách chờ",
            RegistrationStatus.REJECTED: "Từ chối", RegistrationStatus.CANCELLED: "Đã hủy"}
CANCEL_REASONS = {"exhibitor": "doanh nghiệp hủy", "organizer": "ban tổ chức hủy", "unpaid": "chưa thanh toán",
                  "fair_cancelled": "hội chợ bị hủy"}

Row = tuple[Registration, Exhibitor]


def _when(value: datetime | None) -> str:
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") if value else ""


def _place(exhibitor: Exhibitor) -> tuple[str, str]:
    """Names of the exhibitor's province and commune; a code the map no longer knows is shown as stored."""
    try:
        province = geo.province(exhibitor.province_code).full_name
    except KeyError:
        province = exhibitor.province_code
    try:
        commune = geo.commune(exhibitor.commune_code).full_name if exhibitor.commune_code else ""
    except KeyError:
        commune = exhibitor.commune_code or ""
    return province, commune


def _kind(kind: str) -> str:
    """The kind's Vietnamese name; a kind the contract no longer knows is shown as stored."""
    names = EXHIBITOR_KIND_LABELS.get(kind)
    return names[0] if names else kind


def _status(registration: Registration) -> str:
    known = registration.status in set(RegistrationStatus)
    label = STATUSES[RegistrationStatus(registration.status)] if known else registration.status
    if registration.cancel_reason:
        label += f" ({CANCEL_REASONS.get(registration.cancel_reason, registration.cancel_reason)})"
    return label


def table(rows: Sequence[Row], positions: dict[str, int]) -> list[list[object]]:
    """The export's lines, header first."""
    lines: list[list[object]] = [list(HEADERS)]
    for number, (registration, exhibitor) in enumerate(rows, start=1):
        province, commune = _place(exhibitor)
        reasons = "; ".join(f"{r.get('detail', '')} (+{r.get('points', 0)})" for r in registration.priority_reasons)
        lines.append([
            number, registration.id, exhibitor.legal_name, exhibitor.tax_code,
            _kind(exhibitor.kind), "Có" if exhibitor.is_cscnnt else "Không", province, commune,
            _phone(exhibitor.phone), exhibitor.email or "",
            registration.sector, registration.zone, "; ".join(products_of(registration)),
            registration.booths_requested, registration.priority_score, reasons, _status(registration),
            positions.get(registration.id, ""), registration.decision_reason or "", _when(registration.submitted_at),
            _when(registration.decided_at)])
    return lines


def _phone(e164: str | None) -> str:
    """The national form organizers dial ("0912 345 678"), which no spreadsheet mistakes for a formula."""
    if not e164:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:  # stored before phones were checked: shown as it was typed
        return e164


def to_csv(lines: list[list[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows the Vietnamese letters."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in lines:
        writer.writerow([safe_cell(v, CSV_FORMULA_STARTS) for v in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(lines: list[list[object]], *, title: str) -> bytes:
    """One sheet, bold frozen header, columns sized to their content."""
    # Imported here: openpyxl (with numpy) costs a few hundred ms at every start for a rarely used export.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Đăng ký"
    sheet.append([safe_cell(title)])  # it carries the fair's name, maybe stored before names were checked
    sheet["A1"].font = Font(bold=True, size=13)
    for line in lines:
        sheet.append([safe_cell(v) for v in line])  # openpyxl stores other strings as text
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    for index, header in enumerate(HEADERS, start=1):
        longest = max((len(str(line[index - 1])) for line in lines), default=len(header))
        sheet.column_dimensions[get_column_letter(index)].width = min(max(longest, len(header)) + 2, 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
