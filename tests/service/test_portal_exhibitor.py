"""The exhibitor's pages in memory, the services answered by an httpx.MockTransport: dashboard, profile with
field errors next to the fields, cancel, booth hold → confirm, invoice PDF, others refused."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.portal.app import create_app
from tests.conftest import running_app
from tests.service.test_portal import (
    CANCELLATION,
    EMPTY_BUDGET_NOTE,
    FAIR,
    INVOICE,
    INVOICE_DETAIL,
    PORTAL,
    REGISTRATION,
    FakeServices,
    database_url,  # noqa: F401 - the portal tests run on SQLite only
    log_in,
    problem,
    text_of,
)

PICK_FAIR = {**FAIR, "allocation_mode": "exhibitor_picks",
             "cancellation_deadline": (datetime.now(UTC) + timedelta(days=20)).isoformat()}
APPROVED = {**REGISTRATION, "status": "approved", "booths_requested": 2}
PROFILE = {
    "id": "ex-dongvan", "legal_name": "HTX Chè Shan tuyết Đồng Văn", "kind": "cooperative", "is_cscnnt": True,
    "tax_code": "0100233488", "province_code": "08", "commune_code": None, "address": "Đồng Văn",
    "phone": "+84912345678", "email": None, "sectors": ["chè"],
    "products": [{"name": "Chè Shan tuyết", "group": "agro_food",
                  "recognition": {"level": "national", "certificate_no": "QĐ-12", "year": 2024}}],
    "created_at": "2026-10-01T00:00:00+00:00", "updated_at": "2026-10-01T00:00:00+00:00",
}


def booth(code: str, x: float, status: str = "free", **extra: Any) -> dict[str, Any]:
    return {"code": code, "hall": "", "row": "A", "col": int(x // 3) + 1, "x_m": x, "y_m": 0, "width_m": 3,
            "depth_m": 3, "corner": x == 0, "status": status, "neighbours": [], **extra}


FLOORPLAN = {"fair_id": "f-1", "name": FAIR["name"], "allocation_mode": "exhibitor_picks", "booth_size_m": 3,
             "booth_count": 4, "counts": {"free": 3, "held": 0, "assigned": 1, "blocked": 0}, "zones": [],
             "booths": [booth("A01", 0), booth("A02", 3), booth("A03", 6), booth("A04", 9, "assigned")]}


@pytest.fixture
def portal(settings_for):
    settings = settings_for("portal")
    fake = FakeServices({n: PORTAL.service_url(n) for n in ("registration", "booths", "billing", "markets")})
    fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json=PICK_FAIR))
    fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=APPROVED))
    return create_app(settings, portal=PORTAL, transport=httpx.MockTransport(fake.handler)), fake


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{re.escape(name)}-error">([^<]*)</p>', page)
    return found.group(1) if found else None


class TestAccess:
    async def test_an_organizer_gets_a_403_page_and_no_service_is_called(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            pages = [await client.get(p) for p in ("/me", "/me/profile", "/me/registrations/r-1/booths")]
        for res in pages:
            assert res.status_code == 403
            assert "Trang dành cho doanh nghiệp" in text_of(res)
        assert fake.calls == []

    async def test_a_visitor_is_sent_to_log_in(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.get("/me")
        assert res.status_code == 303 and res.headers["location"] == "/login?next=/me"

    async def test_another_exhibitors_registration_is_a_404_page_not_a_crash(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-9",
                problem(404, "Không tìm thấy hồ sơ / registration r-9 not found"))
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            pages = [await client.get("/registrations/r-9"), await client.get("/me/registrations/r-9/booths"),
                     await client.post("/me/registrations/r-9/booths/hold", data={"booth_codes": "A01"})]
        for res in pages:
            assert res.status_code == 404
            assert "Không tìm thấy hồ sơ" in text_of(res)
        assert fake.calls_to("POST", "/fairs/f-1/holds") == []

    async def test_another_exhibitors_invoice_pdf_is_a_404_page(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices/inv-9.pdf", problem(404, "Không tìm thấy hóa đơn / not found"))
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.get("/invoices/inv-9.pdf")
        assert res.status_code == 404 and "text/html" in res.headers["content-type"]


class TestDashboard:
    async def test_prompts_to_create_the_profile_when_there_is_none(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations", httpx.Response(200, json={"data": [], "count": 0}))
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [], "count": 0}))
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.get("/me")
        assert res.status_code == 200
        page = text_of(res)
        assert "Bạn chưa có hồ sơ doanh nghiệp" in page and 'href="/me/profile"' in page
        assert fake.calls_to("GET", "/exhibitors/ex-meovac")

    async def test_shows_statuses_waitlist_position_booths_and_invoices(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/exhibitors/ex-dongvan", httpx.Response(200, json=PROFILE))
        fake.on("GET", "registration", "/registrations", httpx.Response(200, json={"data": [
            APPROVED, {**REGISTRATION, "id": "r-2", "fair_id": "f-2", "status": "waitlisted", "waitlist_position": 3},
            {**REGISTRATION, "id": "r-3", "fair_id": "f-2", "status": "submitted"}], "count": 3}))
        fake.on("GET", "registration", "/fairs/f-2", httpx.Response(200, json={**FAIR, "id": "f-2",
                                                                             "name": "Hội chợ Lào Cai"}))
        fake.on("GET", "booths", "/fairs/f-1/assignments", httpx.Response(200, json={"data": [
            {"assignment_id": "a-1", "registration_id": "r-1", "exhibitor_id": "ex-dongvan",
             "booth_codes": ["A01", "A02"], "corner_count": 1, "reason": "", "assigned_at": "2026-11-05T00:00:00Z"}],
            "count": 1}))
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [
            {**INVOICE, "subsidy_vnd": 2_000_000}], "count": 1}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/me")
        page = text_of(res)
        assert "HTX Chè Shan tuyết Đồng Văn" in page and "0100233488" in page
        assert "Đã xếp gian: <strong>A01, A02</strong>" in page
        assert "Danh sách chờ – vị trí số 3" in page
        assert "Đã nộp – chờ duyệt" in page
        assert 'href="/invoices/inv-1"' in page and 'href="/invoices/inv-1.pdf"' in page
        assert "2.000.000\u00a0₫" in page
        assert len(res.content) < 200_000

    async def test_switches_to_english(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations", httpx.Response(200, json={"data": [], "count": 0}))
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [], "count": 0}))
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            switched = await client.get("/lang/en", params={"next": "/me"})
            res = await client.get("/me")
        assert switched.headers["location"] == "/me"
        page = text_of(res)
        assert '<html lang="en">' in page
        assert "Business profile" in page and "Create my profile" in page
        assert "Bạn chưa có hồ sơ doanh nghiệp" not in page


def profile_form(**overrides: str) -> dict[str, str]:
    form = {"creating": "1", "legal_name": "Hộ kinh doanh Mèn mén Mèo Vạc", "kind": "household",
            "tax_code": "001088012345", "province_code": "08", "commune_code": "00691", "address": "Thôn Pả Vi",
            "phone": "0912 345 678", "email": "", "sectors": "Nông sản\nThực phẩm",
            "product-0-name": "Mèn mén", "product-0-group": "agro_food", "product-0-level": "provincial",
            "product-0-certificate_no": "QĐ 45", "product-0-year": "2025",
            "product-1-name": "", "product-1-group": "agro_food", "product-1-level": "",
            "product-1-certificate_no": "", "product-1-year": ""}
    form.update(overrides)
    return form


class TestProfile:
    async def test_creates_the_profile_from_the_form(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/exhibitors", httpx.Response(201, json=PROFILE))
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.post("/me/profile", data=profile_form(is_cscnnt="on"))
        assert res.status_code == 303 and res.headers["location"] == "/me?done=profile-created"
        sent = json.loads(fake.calls_to("POST", "/exhibitors")[0].content)
        assert sent == {
            "legal_name": "Hộ kinh doanh Mèn mén Mèo Vạc", "kind": "household", "is_cscnnt": True,
            "tax_code": "001088012345", "province_code": "08", "address": "Thôn Pả Vi", "commune_code": "00691",
            "phone": "0912 345 678", "sectors": ["Nông sản", "Thực phẩm"],
            "products": [{"name": "Mèn mén", "group": "agro_food",
                          "recognition": {"level": "provincial", "certificate_no": "QĐ 45", "year": 2025}}]}

    async def test_edits_with_patch_and_clears_emptied_fields(self, portal):
        app, fake = portal
        fake.on("PATCH", "registration", "/exhibitors/ex-dongvan", httpx.Response(200, json=PROFILE))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/me/profile", data=profile_form(creating="0", phone=""))
        assert res.headers["location"] == "/me?done=profile-saved"
        sent = json.loads(fake.calls_to("PATCH", "/exhibitors/ex-dongvan")[0].content)
        assert sent["phone"] is None and sent["email"] is None and sent["commune_code"] == "00691"

    async def test_a_new_profile_marks_the_commune_required(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            page = text_of(await client.get("/me/profile"))
        label = page[page.index('<label for="commune_code">'):]
        assert label.startswith('<label for="commune_code">Xã, phường *</label>')
        assert re.search(r'<select id="commune_code" name="commune_code" required', page)

    async def test_a_new_profile_preselects_no_kind_and_one_left_unchosen_is_an_error_naming_it(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            page = text_of(await client.get("/me/profile"))
            res = await client.post("/me/profile", data=profile_form(kind=""))
        kind = page[page.index('<select id="kind"'):page.index("</select>", page.index('<select id="kind"'))]
        assert " selected" not in kind and '<option value="">– Chọn –</option>' in kind
        assert res.status_code == 422 and field_error(text_of(res), "kind") == "Vui lòng chọn loại hình."
        assert fake.calls_to("POST", "/exhibitors") == []  # never saved as a household business by default

    async def test_a_new_profile_without_a_commune_is_refused_before_sending(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.post("/me/profile", data=profile_form(commune_code=""))
            no_province = await client.post("/me/profile", data=profile_form(commune_code="", province_code=""))
            await client.get("/lang/en")
            english = await client.post("/me/profile", data=profile_form(commune_code=""))
        assert res.status_code == 422
        assert field_error(text_of(res), "commune_code") == "Vui lòng chọn xã, phường."
        assert 'aria-invalid="true" aria-describedby="commune_code-error"' in res.text
        assert 'value="Hộ kinh doanh Mèn mén Mèo Vạc"' in text_of(res)  # what was typed is kept
        assert field_error(text_of(no_province), "commune_code") == (
            "Vui lòng chọn tỉnh, thành phố trước, rồi chọn xã, phường.")
        assert field_error(text_of(english), "commune_code") == "Please choose the commune."
        assert fake.calls_to("POST", "/exhibitors") == []

    async def test_the_services_missing_commune_is_said_plainly_next_to_the_field(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/exhibitors", problem(422, "Dữ liệu không hợp lệ / Invalid input", [
            {"field": "commune_code", "message": "Field required", "code": "missing"}]))
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.post("/me/profile", data=profile_form())
        assert res.status_code == 422
        assert field_error(text_of(res), "commune_code") == "Vui lòng chọn xã, phường."

    async def test_an_older_profile_without_a_commune_is_still_edited_without_one(self, portal):
        app, fake = portal  # PROFILE has no commune: made before the service required one
        fake.on("GET", "registration", "/exhibitors/ex-dongvan", httpx.Response(200, json=PROFILE))
        fake.on("PATCH", "registration", "/exhibitors/ex-dongvan", httpx.Response(200, json=PROFILE))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = text_of(await client.get("/me/profile"))
            res = await client.post("/me/profile", data=profile_form(creating="0", commune_code=""))
        assert '<label for="commune_code">Xã, phường</label>' in page
        assert not re.search(r'<select id="commune_code" name="commune_code" required', page)
        assert 'name="had_commune"' not in page
        assert res.status_code == 303 and res.headers["location"] == "/me?done=profile-saved"
        sent = json.loads(fake.calls_to("PATCH", "/exhibitors/ex-dongvan")[0].content)
        assert "commune_code" not in sent  # never null: the service refuses to clear a commune

    async def test_a_profile_with_a_commune_may_change_it_but_not_empty_it(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/exhibitors/ex-dongvan",
                httpx.Response(200, json={**PROFILE, "commune_code": "00691"}))
        fake.on("PATCH", "registration", "/exhibitors/ex-dongvan", httpx.Response(200, json=PROFILE))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = text_of(await client.get("/me/profile"))
            emptied = await client.post("/me/profile", data=profile_form(creating="0", had_commune="1",
                                                                         commune_code=""))
            changed = await client.post("/me/profile", data=profile_form(creating="0", had_commune="1",
                                                                         commune_code="00715"))
        assert '<input type="hidden" name="had_commune" value="1">' in page
        assert '<label for="commune_code">Xã, phường *</label>' in page
        assert emptied.status_code == 422
        assert field_error(text_of(emptied), "commune_code") == "Vui lòng chọn xã, phường."
        assert changed.status_code == 303
        calls = fake.calls_to("PATCH", "/exhibitors/ex-dongvan")
        assert len(calls) == 1 and json.loads(calls[0].content)["commune_code"] == "00715"

    async def test_edit_form_shows_the_stored_profile(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/exhibitors/ex-dongvan",
                httpx.Response(200, json={**PROFILE, "commune_code": "00691"}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/me/profile")
        page = text_of(res)
        for name in ("legal_name", "kind", "is_cscnnt", "tax_code", "province_code", "commune_code", "address",
                     "phone", "email", "sectors", "product-0-name", "product-0-level", "product-0-year"):
            assert f'<label for="{name}"' in page, name
        assert 'value="08" selected' in page
        assert "(gồm Hà Giang)" in page  # the old province is named, so it is found
        assert '<option value="00691" selected>Phường Hà Giang 2</option>' in page
        assert '<option value="national" selected>' in page and 'value="QĐ-12"' in page

    async def test_shows_the_profiles_history_newest_first(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/exhibitors/ex-dongvan", httpx.Response(200, json=PROFILE))
        fake.on("GET", "registration", "/exhibitors/ex-dongvan/audit", httpx.Response(200, json={"data": [
            {"id": 1, "at": "2026-10-01T02:00:00+00:00", "actor_role": "exhibitor", "actor": "ex-dongvan",
             "action": "exhibitor.created", "entity": "exhibitor", "entity_id": "ex-dongvan", "fair_id": None,
             "changes": {"legal_name": "HTX Chè Đồng Văn", "kind": "cooperative", "province_code": "08",
                         "email": None}, "reason": None},
            {"id": 7, "at": "2026-10-05T03:30:00+00:00", "actor_role": "exhibitor", "actor": "ex-dongvan",
             "action": "exhibitor.updated", "entity": "exhibitor", "entity_id": "ex-dongvan", "fair_id": None,
             "changes": {"legal_name": ["HTX Chè Đồng Văn", "HTX Chè Shan tuyết Đồng Văn"],
                         "phone": [None, "+84912345678"], "search_text": ["a", "b"]}, "reason": None},
        ], "count": 2}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = text_of(await client.get("/me/profile"))
            await client.get("/lang/en")
            english = text_of(await client.get("/me/profile"))
        assert '<h2 id="history-title">Lịch sử thay đổi</h2>' in page
        changed, created = page.index("Sửa hồ sơ"), page.index("Tạo hồ sơ")
        assert changed < created  # newest first
        assert "Tên doanh nghiệp: <del>HTX Chè Đồng Văn</del> → <ins>HTX Chè Shan tuyết Đồng Văn</ins>" in page
        assert "Điện thoại: <del>—</del> → <ins>+84912345678</ins>" in page
        assert "10:30 05/10/2026" in page  # in Vietnam's time
        assert "Tỉnh, thành phố: <ins>Tuyên Quang</ins>" in page and "Loại hình: <ins>Hợp tác xã</ins>" in page
        assert "search_text" not in page and "Email: " not in page[created:]
        assert '<h2 id="history-title">History</h2>' in english and "Profile changed" in english
        assert "Kind: <ins>Cooperative</ins>" in english

    async def test_the_profile_form_still_shows_when_the_history_cannot_be_read(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/exhibitors/ex-dongvan", httpx.Response(200, json=PROFILE))
        fake.on("GET", "registration", "/exhibitors/ex-dongvan/audit", httpx.Response(503))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/me/profile")
        assert res.status_code == 200
        assert "Tạm thời chưa tải được lịch sử thay đổi." in text_of(res)

    async def test_puts_the_services_field_errors_next_to_the_fields_in_vietnamese(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/exhibitors", problem(422, "Dữ liệu không hợp lệ / Invalid input", [
            {"field": "tax_code", "message": "Mã số thuế sai chữ số kiểm tra / tax code check digit is wrong: "
                                             "'0100233489'", "code": "invalid-tax-code"},
            {"field": "phone", "message": "Value error, Số điện thoại không hợp lệ / not a phone number: '12'",
             "code": "value_error"},
            {"field": "email", "message": "value is not a valid email address: An email address must have an @",
             "code": "value_error"},
            {"field": "products.0.recognition.year", "message": "Input should be greater than or equal to 2000",
             "code": "greater_than_equal"}]))
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.post("/me/profile", data=profile_form(tax_code="0100233489", phone="12",
                                                                     email="x", **{"product-0-year": "1999"}))
        assert res.status_code == 422
        page = text_of(res)
        assert field_error(page, "tax_code") == "Mã số thuế sai chữ số kiểm tra"
        assert field_error(page, "phone") == "Số điện thoại không hợp lệ. Ví dụ: 0912 345 678."
        assert field_error(page, "email") == "Địa chỉ email không hợp lệ. Ví dụ: ten@example.vn."
        assert field_error(page, "products-0") == "Phải lớn hơn hoặc bằng 2000."
        assert 'aria-describedby="tax_code-error tax_code-hint"' in page
        assert "Vui lòng kiểm tra lại thông tin" in page
        assert 'value="0100233489"' in page and 'value="Mèn mén"' in page  # what was typed is kept

    async def test_refuses_a_form_without_required_fields_without_calling_the_service(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.post("/me/profile", data=profile_form(legal_name="", province_code="",
                                                                     **{"product-0-year": "hai"}))
        assert res.status_code == 422
        page = text_of(res)
        assert field_error(page, "legal_name") == "Vui lòng nhập trường này."
        assert field_error(page, "province_code") == "Vui lòng chọn tỉnh, thành phố."
        assert field_error(page, "products-0") == "Năm công nhận phải là số từ 2000 đến 2100."
        assert fake.calls_to("POST", "/exhibitors") == []

    async def test_lists_communes_of_a_province_given_by_an_old_name(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            res = await client.get("/me/communes", params={"province": "Hà Giang"})
            none = await client.get("/me/communes", params={"province": "Atlantis"})
        rows = res.json()
        assert {"code": "00691", "name": "Phường Hà Giang 2"} in rows
        assert all(r["code"].isdigit() and len(r["code"]) == 5 for r in rows) and len(rows) > 100
        assert none.json() == []

    async def test_without_script_a_button_reloads_the_communes_and_saves_nothing(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.post("/me/profile", data=profile_form(province_code="04", action="communes"))
        assert res.status_code == 200
        assert "Xã Lũng Cú" not in text_of(res)  # a commune of 08, not of 04 (Cao Bằng)
        assert ">Phường Thục Phán</option>" in text_of(res)
        assert 'value="04" selected' in text_of(res)
        assert fake.calls_to("POST", "/exhibitors") == []


SENT_BACK = {**REGISTRATION, "status": "changes_requested", "booths_requested": 3, "sector": "Chè",
             "products": ["Chè Shan tuyết", "Chè búp"], "decision_reason": "Vui lòng giảm còn 2 gian",
             "decided_at": "2026-11-03T03:00:00+00:00"}
SECTOR_FAIR = {**PICK_FAIR, "sectors": ["Chè", "Mật ong"], "zones": []}


class TestResubmit:
    async def test_the_registration_page_offers_to_resubmit_when_the_organizer_asks(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=SENT_BACK))
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [], "count": 0}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            asked = text_of(await client.get("/registrations/r-1"))
            fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=APPROVED))
            approved = text_of(await client.get("/registrations/r-1"))
        assert 'href="/me/registrations/r-1/edit"' in asked and "Vui lòng giảm còn 2 gian" in asked
        assert "/edit" not in approved

    async def test_the_form_is_prefilled_with_what_was_sent(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=SENT_BACK))
        fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json=SECTOR_FAIR))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/me/registrations/r-1/edit")
        page = text_of(res)
        assert res.status_code == 200
        assert 'name="booths_requested" type="number"' in page and 'value="3"' in page
        assert '<option value="Chè" selected>Chè</option>' in page
        assert ">Chè Shan tuyết\nChè búp</textarea>" in page
        assert "Vui lòng giảm còn 2 gian" in page
        assert '<label for="booths_requested">' in page and '<label for="products">' in page

    async def test_patches_the_changes_and_returns_to_the_registration(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=SENT_BACK))
        fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json=SECTOR_FAIR))
        fake.on("PATCH", "registration", "/registrations/r-1",
                httpx.Response(200, json={**SENT_BACK, "status": "submitted", "booths_requested": 2}))
        async with running_app(app) as client:
            token = await log_in(client, "ex-dongvan")
            res = await client.post("/me/registrations/r-1/edit", data={
                "booths_requested": "2", "sector": "Chè", "products": "Chè Shan tuyết\r\n\r\nChè búp\n"})
        assert res.status_code == 303 and res.headers["location"] == "/registrations/r-1?done=resubmitted"
        call = fake.calls_to("PATCH", "/registrations/r-1")[0]
        assert json.loads(call.content) == {"booths_requested": 2, "sector": "Chè",
                                            "products": ["Chè Shan tuyết", "Chè búp"]}
        assert call.headers["authorization"] == f"Bearer {token}"

    async def test_the_services_field_errors_stand_next_to_the_fields(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=SENT_BACK))
        fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json=SECTOR_FAIR))
        fake.on("PATCH", "registration", "/registrations/r-1", problem(
            422, "Dữ liệu không hợp lệ / Invalid input",
            [{"field": "booths_requested", "message": "Tối đa 4 gian hàng / at most 4 booths per exhibitor"},
             {"field": "sector", "message": "'Gỗ' không thuộc danh sách của hội chợ / not one of the fair's: Chè"}]))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/me/registrations/r-1/edit", data={"booths_requested": "9", "sector": "Gỗ",
                                                                        "products": "Gỗ"})
            await client.get("/lang/en")
            english = await client.post("/me/registrations/r-1/edit", data={"booths_requested": "9"})
        assert res.status_code == 422
        page = text_of(res)
        assert field_error(page, "booths_requested") == "Tối đa 4 gian hàng"
        assert field_error(page, "sector") == "'Gỗ' không thuộc danh sách của hội chợ"
        assert 'aria-describedby="booths_requested-error"' in page and 'value="9"' in page
        assert field_error(text_of(english), "booths_requested") == "at most 4 booths per exhibitor"

    async def test_a_refusal_without_a_field_is_said_above_the_form(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=APPROVED))
        fake.on("PATCH", "registration", "/registrations/r-1", problem(
            409, "Chỉ sửa hồ sơ khi ban tổ chức yêu cầu bổ sung / a registration is changed only when the "
                 "organizer asked for changes"))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/me/registrations/r-1/edit", data={"booths_requested": "2"})
        assert res.status_code == 409
        assert '<div class="alert" role="alert"' in res.text
        assert "Chỉ sửa hồ sơ khi ban tổ chức yêu cầu bổ sung" in text_of(res)

    async def test_an_organizer_may_not_resubmit(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post("/me/registrations/r-1/edit", data={"booths_requested": "2"})
        assert res.status_code == 403 and fake.calls_to("PATCH", "/registrations/r-1") == []


class TestCancel:
    async def test_offers_cancel_before_the_deadline_and_posts_it(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [], "count": 0}))
        fake.on("POST", "registration", "/registrations/r-1/cancel",
                httpx.Response(200, json={**APPROVED, "status": "cancelled"}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            shown = await client.get("/registrations/r-1")
            res = await client.post("/me/registrations/r-1/cancel", data={"reason": "Không kịp chuẩn bị hàng"})
        assert 'action="/me/registrations/r-1/cancel"' in text_of(shown)
        assert res.status_code == 303 and res.headers["location"] == "/registrations/r-1?done=cancelled"
        assert json.loads(fake.calls_to("POST", "/registrations/r-1/cancel")[0].content) == {
            "reason": "Không kịp chuẩn bị hàng"}

    async def test_hides_cancel_after_the_deadline_and_shows_the_services_refusal(self, portal):
        app, fake = portal
        past = {**PICK_FAIR, "cancellation_deadline": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
        fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json=past))
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={"data": [], "count": 0}))
        fake.on("POST", "registration", "/registrations/r-1/cancel", problem(
            409, "Đã quá hạn hủy đăng ký / the cancellation deadline has passed"))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            shown = await client.get("/registrations/r-1")
            res = await client.post("/me/registrations/r-1/cancel", headers={"accept": "text/html"})
        assert "/cancel" not in text_of(shown)
        assert res.status_code == 409 and "Đã quá hạn hủy đăng ký" in text_of(res)


class TestBoothPick:
    def plan(self, fake: FakeServices, *, holds: list[dict[str, Any]] | None = None,
             assignments: list[dict[str, Any]] | None = None) -> None:
        fake.on("GET", "booths", "/fairs/f-1/floorplan", httpx.Response(200, json=FLOORPLAN))
        fake.on("GET", "booths", "/fairs/f-1/holds",
                httpx.Response(200, json={"data": holds or [], "count": len(holds or [])}))
        fake.on("GET", "booths", "/fairs/f-1/assignments",
                httpx.Response(200, json={"data": assignments or [], "count": len(assignments or [])}))

    async def test_lists_free_booths_with_labels_and_a_clickable_map(self, portal):
        app, fake = portal
        self.plan(fake)
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/me/registrations/r-1/booths")
        page = text_of(res)
        for code in ("A01", "A02", "A03"):
            assert f'<label for="booth-{code}">' in page and f'data-code="{code}"' in page
        assert 'id="booth-A04"' not in page and 'data-code="A04"' not in page  # assigned to someone
        assert 'src="/static/js/booth-pick.js"' in page and "<script>" not in page and "style=" not in page

    async def test_hold_then_countdown_then_confirm(self, portal):
        app, fake = portal
        expires = datetime.now(UTC) + timedelta(minutes=10)
        fake.on("POST", "booths", "/fairs/f-1/holds", httpx.Response(201, json={
            "hold_id": "h-1", "registration_id": "r-1", "exhibitor_id": "ex-dongvan", "booth_codes": ["A02", "A03"],
            "expires_at": expires.isoformat()}))
        fake.on("POST", "booths", "/fairs/f-1/holds/h-1/confirm", httpx.Response(200, json="h-1"))
        self.plan(fake)
        async with running_app(app) as client:
            token = await log_in(client, "ex-dongvan")
            held = await client.post("/me/registrations/r-1/booths/hold",
                                     data={"booth_codes": ["A02", "A03"], "fair_id": "f-2"})
            self.plan(fake, holds=[{"hold_id": "h-1", "registration_id": "r-1", "exhibitor_id": "ex-dongvan",
                                    "booth_codes": ["A02", "A03"], "expires_at": expires.isoformat()}])
            page = text_of(await client.get(held.headers["location"]))
            confirmed = await client.post("/me/registrations/r-1/booths/confirm", data={"hold_id": "h-1"})
        assert held.status_code == 303 and held.headers["location"] == "/me/registrations/r-1/booths?done=held"
        sent = fake.calls_to("POST", "/fairs/f-1/holds")[0]  # the fair comes from the registration, not the form
        assert json.loads(sent.content) == {"registration_id": "r-1", "booth_codes": ["A02", "A03"]}
        assert sent.headers["authorization"] == f"Bearer {token}"
        assert f'data-hold-expires="{expires.isoformat()}"' in page
        assert re.search(r'data-left role="timer">(9|10):\d\d<', page)
        assert 'id="confirm-hold"' in page and 'src="/static/js/hold-countdown.js"' in page
        assert confirmed.headers["location"] == "/me/registrations/r-1/booths?done=assigned"
        assert fake.calls_to("POST", "/fairs/f-1/holds/h-1/confirm")

    async def test_a_booth_taken_is_a_plain_409_with_the_plan_again(self, portal):
        app, fake = portal
        fake.on("POST", "booths", "/fairs/f-1/holds", problem(
            409, "Gian A02 vừa có doanh nghiệp khác giữ chỗ hoặc đã được xếp / booth A02 is already held or assigned",
            [{"field": "booth_codes", "message": "Gian A02 vừa có doanh nghiệp khác giữ chỗ hoặc đã được xếp / "
                                                  "booth A02 is already held or assigned"}]))
        self.plan(fake)
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/me/registrations/r-1/booths/hold", data={"booth_codes": ["A02", "A03"]})
        assert res.status_code == 409
        page = text_of(res)
        assert "Gian A02 vừa có doanh nghiệp khác giữ chỗ hoặc đã được xếp" in page
        assert 'role="alert"' in page and 'id="booth-A01"' in page
        assert 'value="A02" id="booth-A02" checked' in page  # the choice is kept

    async def test_choosing_nothing_is_refused_without_calling_the_service(self, portal):
        app, fake = portal
        self.plan(fake)
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/me/registrations/r-1/booths/hold", data={})
        assert res.status_code == 422
        assert field_error(text_of(res), "booth_codes") == "Vui lòng chọn gian hàng trong danh sách."
        assert fake.calls_to("POST", "/fairs/f-1/holds") == []

    async def test_an_expired_hold_on_confirm_is_said_plainly(self, portal):
        app, fake = portal
        fake.on("POST", "booths", "/fairs/f-1/holds/h-1/confirm",
                problem(409, "Đã hết thời gian giữ chỗ / the hold has expired"))
        self.plan(fake)
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/me/registrations/r-1/booths/confirm", data={"hold_id": "h-1"})
        assert res.status_code == 409 and "Đã hết thời gian giữ chỗ" in text_of(res)

    async def test_shows_the_assignment_once_confirmed(self, portal):
        app, fake = portal
        self.plan(fake, assignments=[{"assignment_id": "h-1", "registration_id": "r-1", "exhibitor_id": "ex-dongvan",
                                      "booth_codes": ["A02", "A03"], "corner_count": 0, "reason": "",
                                      "assigned_at": "2026-11-05T00:00:00Z"}])
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/me/registrations/r-1/booths?done=assigned")
        page = text_of(res)
        assert "Đã xác nhận gian hàng." in page and '<p class="codes">A02, A03</p>' in page
        assert 'name="booth_codes"' not in page

    async def test_give_up_deletes_the_hold(self, portal):
        app, fake = portal
        fake.on("DELETE", "booths", "/fairs/f-1/holds/h-1", httpx.Response(200, json=["A02"]))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/me/registrations/r-1/booths/release", data={"hold_id": "h-1"})
        assert res.headers["location"] == "/me/registrations/r-1/booths?done=released"
        assert fake.calls_to("DELETE", "/fairs/f-1/holds/h-1")


class TestInvoice:
    async def test_proxies_the_pdf_as_a_download(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices/inv-1.pdf", httpx.Response(200, content=b"%PDF-1.7 fake", headers={
            "content-type": "application/pdf", "content-disposition": 'inline; filename="hoa-don-C26TAA-42.pdf"'}))
        async with running_app(app) as client:
            token = await log_in(client, "ex-dongvan")
            res = await client.get("/invoices/inv-1.pdf")
        assert res.status_code == 200 and res.headers["content-type"] == "application/pdf"
        assert res.content == b"%PDF-1.7 fake"
        assert res.headers["content-disposition"] == 'attachment; filename="hoa-don-C26TAA-42.pdf"'
        assert fake.calls_to("GET", "/invoices/inv-1.pdf")[0].headers["authorization"] == f"Bearer {token}"

    async def test_refuses_an_answer_that_is_not_a_pdf(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices/inv-1.pdf", httpx.Response(200, text="<html>oops</html>"))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/invoices/inv-1.pdf", headers={"accept": "text/html"})
        assert res.status_code == 502

    async def test_shows_the_subsidy_and_how_to_pay_with_vietqr(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json={
            **INVOICE_DETAIL, "subsidy_vnd": 2_000_000, "payable_vnd": 8_800_000, "paid_vnd": 0,
            "outstanding_vnd": 8_800_000, "subsidy": {"programme_id": "p-1", "amount_vnd": 2_000_000,
                                                      "requested_vnd": 2_000_000, "budget_short": False,
                                                      "note": "Khuyến công quốc gia hỗ trợ 2 gian"}}))
        fake.on("GET", "billing", "/invoices/inv-1/vietqr", httpx.Response(200, json={
            "invoice_id": "inv-1", "amount_vnd": 8_800_000, "bank_bin": "970415", "bank_account": "113366668888",
            "bank_account_name": "TT KHUYEN CONG TQ", "purpose": "C26TAA 00000042", "payload": "00020101021238570010",
            "svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><path d="M0 0h9"/></svg>'}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/invoices/inv-1")
        page = text_of(res)
        assert re.search(r"<h1>Hóa đơn C26TAA 0*42</h1>", page)  # the page's own heading; the invoice is an h2
        assert "Khuyến công quốc gia hỗ trợ 2 gian" in page and "8.800.000\u00a0₫" in page
        assert "VietinBank" in page and "113366668888" in page and "C26TAA 00000042" in page
        assert 'src="data:image/svg+xml;base64,' in page
        assert 'href="/invoices/inv-1.pdf"' in page

    async def test_says_so_when_the_centre_has_no_account(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json={
            **INVOICE_DETAIL, "paid_vnd": 0, "outstanding_vnd": 10_800_000}))
        fake.on("GET", "billing", "/invoices/inv-1/vietqr", problem(409, "Chưa có tài khoản / no bank account"))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/invoices/inv-1")
        assert res.status_code == 200
        assert "Trung tâm chưa công bố tài khoản" in text_of(res)

    async def test_a_billing_outage_is_not_called_an_unpublished_account(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json={
            **INVOICE_DETAIL, "paid_vnd": 0, "outstanding_vnd": 10_800_000}))
        fake.on("GET", "billing", "/invoices/inv-1/vietqr", httpx.Response(503))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.get("/invoices/inv-1")
        page = text_of(res)
        assert res.status_code == 200 and "Trung tâm chưa công bố tài khoản" not in page
        assert "Tạm thời chưa tải được thông tin chuyển khoản." in page


    async def test_a_voided_invoice_says_cancelled_with_its_cancellation_document(self, portal):
        app, fake = portal
        voided = {**INVOICE_DETAIL, "status": "voided", "paid_vnd": 0, "outstanding_vnd": 0,
                  "cancellation": CANCELLATION}
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json=voided))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = text_of(await client.get("/invoices/inv-1"))
            await client.get("/lang/en")
            english = text_of(await client.get("/invoices/inv-1"))
        block = cancelled_block(page)
        assert re.search(r"<h2 id=\"cancel-inv-1\">Đã hủy</h2>", block)
        assert "HUY-C26TAA-00000042" in block and "11/11/2026" in block
        assert "Đơn vị tham gia hủy đăng ký" in block and "the exhibitor withdrew" not in block
        assert "Ký hiệu C26TAA · Số 00000042" in block and "05/11/2026" in block and "10.800.000 ₫" in block
        assert "Cách thanh toán" not in page and fake.calls_to("GET", "/invoices/inv-1/vietqr") == []
        block = cancelled_block(english)
        assert re.search(r"<h2 id=\"cancel-inv-1\">Cancelled</h2>", block)
        assert "the exhibitor withdrew" in block and "Đơn vị tham gia" not in block

    async def test_an_invoice_that_is_not_voided_has_no_cancelled_block(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json={**INVOICE_DETAIL, "outstanding_vnd": 0}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = text_of(await client.get("/invoices/inv-1"))
        assert 'class="cancelled"' not in page and "HUY-" not in page

    async def test_the_registration_page_shows_a_voided_invoice_as_cancelled(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/registrations/r-1",
                httpx.Response(200, json={**REGISTRATION, "status": "cancelled"}))
        fake.on("GET", "billing", "/invoices", httpx.Response(200, json={
            "data": [{**INVOICE, "status": "voided"}], "count": 1}))
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json={
            **INVOICE_DETAIL, "status": "voided", "outstanding_vnd": 0, "cancellation": CANCELLATION}))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = text_of(await client.get("/registrations/r-1"))
        assert "HUY-C26TAA-00000042" in cancelled_block(page)

    async def test_an_eligible_programme_without_budget_is_explained_and_the_full_amount_asked(self, portal):
        app, fake = portal
        fake.on("GET", "billing", "/invoices/inv-1", httpx.Response(200, json={
            **INVOICE_DETAIL, "subsidy": None, "subsidy_note": EMPTY_BUDGET_NOTE, "paid_vnd": 0,
            "outstanding_vnd": 10_800_000}))
        fake.on("GET", "billing", "/invoices/inv-1/vietqr", problem(409, "Chưa có tài khoản / no bank account"))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = text_of(await client.get("/invoices/inv-1"))
        assert EMPTY_BUDGET_NOTE in page  # as billing prints it on the invoice
        assert "đã hết kinh phí, nên hóa đơn này không được hỗ trợ: doanh nghiệp trả toàn bộ" in page
        assert "10.800.000 ₫" in page


def cancelled_block(page: str) -> str:
    """The "Đã hủy / Cancelled" section of an invoice (empty when there is none)."""
    found = re.search(r'<section class="cancelled".*?</section>', page, re.S)
    return found.group(0) if found else ""


class TestMarketSessions:
    async def test_lists_the_coming_scheduled_sessions(self, portal):
        app, fake = portal
        fake.on("GET", "markets", "/programmes", httpx.Response(200, json={"data": [
            {"id": "p-1", "name": "Đưa hàng Việt về miền núi 2027", "year": 2027, "province_code": "08",
             "province_name": "Tuyên Quang"}], "count": 1}))
        fake.on("GET", "markets", "/programmes/p-1/sessions", httpx.Response(200, json={"data": [
            {"id": "s-1", "commune_name": "Xã Lũng Cú", "site_name": "Chợ phiên Lũng Cú", "starts_on": "2099-03-01",
             "ends_on": "2099-03-02", "booth_quota": 30, "status": "scheduled"},
            {"id": "s-2", "commune_name": "Xã Mèo Vạc", "site_name": "Chợ Mèo Vạc", "starts_on": "2000-03-01",
             "ends_on": "2000-03-01", "booth_quota": 30, "status": "scheduled"}], "count": 2}))
        async with running_app(app) as client:
            res = await client.get("/market-sessions")
        page = text_of(res)
        assert "Chợ phiên Lũng Cú" in page and "01/03/2099 – 02/03/2099" in page
        assert "Chợ Mèo Vạc" not in page  # past
