"""Exports of a fair's registrations: Excel and CSV with Vietnamese headers, in priority order."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from services.registration.adapters.exports import HEADERS
from services.registration.models import Exhibitor, Fair, Registration
from tests.conftest import running_app, unique
from tests.service.test_registration_support import (
    make_app,
    new_exhibitor,
    next_tax_code,
    open_fair,
    organizer,
    register,
)

DIRTY_NAME = "HTX\x01 Chè\x0b Đồng\x1f Văn\x08"
# A profile as an old database may hold it: control characters, a province and commune the map no longer knows,
# a phone that is no number.
STORED = {"address": "Thôn\x02 Lũng Cú", "phone": "gọi\x07 chủ nhiệm", "email": "htx@\x1bexample.vn",
          "province_code": "99", "commune_code": "99999", "sectors": ["chè\x0c"],
          "products": [{"name": "Chè\x0e Shan"}]}
CLEAN = {"phone": "+84912345678", "province_code": "08", "commune_code": "00721"}


@pytest.fixture
def app(settings_for):
    return make_app(settings_for)


async def fair_with_three(client, app) -> dict:
    org = organizer(app)
    fair = await open_fair(client, org, capacity_booths=3, max_booths_per_exhibitor=2)
    a = await register(client, fair["id"], (await new_exhibitor(client, app, legal_name="=HYPERLINK(\"x\")",
                                                                is_cscnnt=False))[0], 2)
    b = await register(client, fair["id"], (await new_exhibitor(client, app, legal_name="HTX Chè Đồng Văn",
                                                                commune_code="00721"))[0], 2,
                       products=["Chè Shan tuyết"])
    await client.post(f"/fairs/{fair['id']}/registrations/approve", headers=org,
                      json={"registration_ids": [a["id"], b["id"]]})
    return fair


async def test_excel_has_vietnamese_headers_and_one_line_per_registration_best_first(app):
    async with running_app(app) as client:
        fair = await fair_with_three(client, app)
        res = await client.get(f"/fairs/{fair['id']}/registrations.xlsx", headers=organizer(app))
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in res.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(res.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "Danh sách đăng ký" in rows[0][0]
    assert tuple(rows[1]) == HEADERS
    header = list(HEADERS)
    first, second = rows[2], rows[3]
    assert first[header.index("Tên doanh nghiệp")] == "HTX Chè Đồng Văn"
    assert first[header.index("Trạng thái")] == "Đã duyệt" and first[header.index("Xã/Phường")] == "Xã Đồng Văn"
    assert first[header.index("Điện thoại")] == "0912 345 678"
    assert second[header.index("Trạng thái")] == "Danh sách chờ" and second[header.index("Vị trí chờ")] == 1
    assert second[header.index("Tên doanh nghiệp")] == "'=HYPERLINK(\"x\")"  # text, never a formula


async def test_csv_opens_in_excel_with_its_accents(app):
    async with running_app(app) as client:
        fair = await fair_with_three(client, app)
        res = await client.get(f"/fairs/{fair['id']}/registrations.csv", headers=organizer(app))
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
    assert res.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == HEADERS
    assert len(rows) == 3
    assert rows[1][HEADERS.index("Loại hình")] == "Hợp tác xã"
    assert rows[2][HEADERS.index("Tên doanh nghiệp")].startswith("'=")


async def test_only_the_fairs_organizer_exports(app):
    async with running_app(app) as client:
        fair = await fair_with_three(client, app)
        headers, _ = await new_exhibitor(client, app)
        by_exhibitor = await client.get(f"/fairs/{fair['id']}/registrations.csv", headers=headers)
        by_other_centre = await client.get(f"/fairs/{fair['id']}/registrations.csv", headers=organizer(app, "hg"))
    assert (by_exhibitor.status_code, by_other_centre.status_code) == (403, 404)


class TestRowsStoredBeforeValidation:
    """Rows written straight into the database, as if stored before today's input checks existed."""

    async def stored_fair(self, app, client, stored: dict = STORED) -> dict:
        org = organizer(app)
        fair = await open_fair(client, org, capacity_booths=5, max_booths_per_exhibitor=2)
        db = app.state.runtime.db
        async with db.transaction() as session:
            row = await session.get(Fair, fair["id"])
            row.name = "Hội chợ\x1b Xuân\x03"  # not NUL: PostgreSQL refuses it in text, so none can be stored
            session.add(row)
            for index, (name, status) in enumerate(((DIRTY_NAME, "approved"),
                                                    ("\x01=HYPERLINK(\"x\")", "waitlisted"))):
                exhibitor = Exhibitor(id=unique("ex-"), kind="cooperative", tax_code=next_tax_code(),
                                      legal_name=name, **stored)
                session.add(exhibitor)
                await session.flush()
                session.add(Registration(
                    fair_id=fair["id"], exhibitor_id=exhibitor.id, booths_requested=2, status=status,
                    sector="\x04chè", zone="A\x05", products=json.dumps(["Chè\x06 Shan tuyết"]),
                    priority_score=10 - index,
                    priority_reasons=[{"code": "cscnnt", "points": 10, "detail": "CSCNNT\x10"}],
                    decision_reason="Lý do\x11 cũ", submitted_at=datetime.now(UTC) + timedelta(seconds=index)))
        return fair

    async def test_one_control_character_in_a_name_no_longer_breaks_the_fairs_workbook(self, app):
        async with running_app(app) as client:
            fair = await self.stored_fair(app, client, CLEAN)
            res = await client.get(f"/fairs/{fair['id']}/registrations.xlsx", headers=organizer(app))
        assert res.status_code == 200, res.text
        rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(res.content)).active.iter_rows()]
        assert rows[2][HEADERS.index("Tên doanh nghiệp")] == "HTX Chè Đồng Văn"
        assert rows[2][HEADERS.index("Điện thoại")] == "0912 345 678"

    async def test_the_excel_export_strips_what_a_workbook_cannot_hold(self, app):
        async with running_app(app) as client:
            fair = await self.stored_fair(app, client)
            res = await client.get(f"/fairs/{fair['id']}/registrations.xlsx", headers=organizer(app))
        assert res.status_code == 200, res.text
        rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(res.content)).active.iter_rows()]
        header = list(HEADERS)
        assert rows[0][0] == "Danh sách đăng ký — Hội chợ Xuân"
        first, second = rows[2], rows[3]
        assert first[header.index("Tên doanh nghiệp")] == "HTX Chè Đồng Văn"
        assert second[header.index("Tên doanh nghiệp")] == "'=HYPERLINK(\"x\")"  # stripped, then kept text
        assert first[header.index("Tỉnh/Thành phố")] == "99" and first[header.index("Xã/Phường")] == "99999"
        assert first[header.index("Điện thoại")] == "gọi chủ nhiệm"
        assert (first[header.index("Ngành hàng")], first[header.index("Sản phẩm")]) == ("chè", "Chè Shan tuyết")
        assert first[header.index("Lý do")] == "Lý do cũ" and first[header.index("Căn cứ ưu tiên")] == "CSCNNT (+10)"
        assert not any(ILLEGAL_CHARACTERS_RE.search(v) for row in rows for v in row if isinstance(v, str))

    async def test_the_csv_export_strips_them_too(self, app):
        async with running_app(app) as client:
            fair = await self.stored_fair(app, client)
            res = await client.get(f"/fairs/{fair['id']}/registrations.csv", headers=organizer(app))
        assert res.status_code == 200, res.text
        text = res.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) == 3
        assert rows[1][HEADERS.index("Tên doanh nghiệp")] == "HTX Chè Đồng Văn"
        assert rows[2][HEADERS.index("Tên doanh nghiệp")].startswith("'=")
        assert not ILLEGAL_CHARACTERS_RE.search(text)
