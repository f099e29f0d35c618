"""Exports of a fair's registrations: Excel and CSV with Vietnamese headers, in priority order."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from services.registration.exports import HEADERS
from tests.conftest import running_app
from tests.service.test_registration_support import make_app, new_exhibitor, open_fair, organizer, register


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
