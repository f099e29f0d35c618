"""The organizer's registration review page in memory, the services mocked: profile, registration, score with every
reason, history in words (either language, never action codes or dicts), the decisions with errors next to their
fields; the registration service's 403/404 shown as pages; the queue links here."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import running_app
from tests.service.test_portal import REGISTRATION, database_url, log_in, problem, text_of  # noqa: F401
from tests.service.test_portal_languages import other_language, visible
from tests.service.test_portal_organizer import portal  # noqa: F401 - the fixture

PROFILE = {
    "id": "ex-dongvan", "legal_name": "HTX Chè Shan tuyết Đồng Văn", "kind": "cooperative", "is_cscnnt": True,
    "tax_code": "5100123456", "province_code": "08", "commune_code": None, "address": "Thôn Lũng Cú",
    "phone": "0912345678", "email": None, "sectors": ["chè"], "created_at": "2026-10-01T00:00:00Z",
    "updated_at": "2026-10-01T00:00:00Z",
    "products": [{"name": "Chè Shan tuyết", "group": "agro_food",
                  "recognition": {"level": "national", "certificate_no": "QĐ 45/2025", "year": 2025}},
                 {"name": "Mật ong bạc hà", "group": "agro_food", "recognition": None}]}
REASONS = [{"code": "cnnt_national", "points": 30,
            "detail": "Sản phẩm CNNT tiêu biểu cấp quốc gia: Chè Shan tuyết / National featured rural product"},
           {"code": "earliness", "points": 8, "detail": "Đăng ký sớm 5 ngày / Registered 5 days early"}]
REG = {**REGISTRATION, "priority_score": 38, "priority_reasons": REASONS, "zone": "Khu A"}
AUDIT = {"count": 2, "data": [
    {"id": 1, "at": "2026-11-02T03:00:00Z", "actor_role": "exhibitor", "actor": "ex-dongvan",
     "action": "registration.submitted", "entity": "registration", "entity_id": "r-1", "fair_id": "f-1",
     "changes": {"booths_requested": 2, "sector": "chè", "priority_score": 38}, "reason": None},
    {"id": 2, "at": "2026-11-03T03:00:00Z", "actor_role": "organizer", "actor": "organizer-tq",
     "action": "registration.changes_requested", "entity": "registration", "entity_id": "r-1", "fair_id": "f-1",
     "changes": {"status": ["submitted", "changes_requested"]}, "reason": "Bổ sung giấy chứng nhận"}]}
PAGE = "/organizer/registrations/r-1"


@pytest.fixture
def review(portal):  # noqa: F811
    app, fake = portal
    fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=REG))
    fake.on("GET", "registration", "/exhibitors/ex-dongvan", httpx.Response(200, json=PROFILE))
    fake.on("GET", "registration", "/fairs/f-1/audit", httpx.Response(200, json=AUDIT))
    return app, fake


class TestReviewPage:
    async def test_shows_profile_registration_score_reasons_history_and_decisions(self, review):
        app, fake = review
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get(PAGE)
        page = text_of(res)
        assert res.status_code == 200
        for text in ("HTX Chè Shan tuyết Đồng Văn", "Hợp tác xã", "5100123456", "Chè Shan tuyết", "Cấp quốc gia",
                     "QĐ 45/2025", "Mật ong bạc hà", "Khu A", "Điểm ưu tiên: 38",
                     "Sản phẩm CNNT tiêu biểu cấp quốc gia: Chè Shan tuyết", "Đăng ký sớm 5 ngày",
                     "Nộp hồ sơ đăng ký", "Yêu cầu bổ sung, sửa hồ sơ", "Bổ sung giấy chứng nhận",
                     "Chờ duyệt → Chờ bổ sung", "Ban tổ chức"):
            assert text in page, text
        assert "registration.submitted" not in page and "{'" not in page and "National featured" not in page
        for action in ("approve", "request-changes", "reject"):
            assert f'action="/organizer/registrations/r-1/{action}"' in page
        assert fake.calls_to("GET", "/fairs/f-1/audit")[0].url.params["registration_id"] == "r-1"

    async def test_speaks_english_when_switched(self, review):
        app, _ = review
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            await client.get("/lang/en")
            page = text_of(await client.get(PAGE))
        for text in ("Cooperative", "National featured rural product", "Registered 5 days early",
                     "Registration submitted", "Changes requested", "Submitted → Changes requested", "Organizer"):
            assert text in page, text
        assert "Đăng ký sớm" not in page and "Nộp hồ sơ đăng ký" not in page

    @pytest.mark.parametrize("lang", ["vi", "en"])
    async def test_speaks_one_language_even_with_a_decisions_errors(self, review, lang):
        app, _ = review
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            await client.get(f"/lang/{lang}")
            shown = visible(text_of(await client.get(PAGE)))
            refused = visible(text_of(await client.post(f"{PAGE}/reject", data={"from": "review", "reason": ""})))
        assert other_language(shown, lang) == [] and other_language(refused, lang) == []

    async def test_the_queue_links_to_the_review_page(self, review):
        app, _ = review
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            page = text_of(await client.get("/organizer/fairs/f-1"))
        assert 'href="/organizer/registrations/r-1"' in page and 'href="/registrations/r-1"' not in page

    async def test_approving_comes_back_to_the_review_page_with_the_outcome(self, review):
        app, fake = review
        fake.on("POST", "registration", "/registrations/r-1/approve",
                httpx.Response(200, json={**REG, "status": "waitlisted", "waitlist_position": 2}))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post(f"{PAGE}/approve", data={"from": "review"})
            shown = text_of(await client.get(res.headers["location"]))
        assert res.status_code == 303 and res.headers["location"] == f"{PAGE}?result=waitlisted"
        assert "hồ sơ được đưa vào danh sách chờ" in shown

    async def test_a_missing_reason_is_shown_next_to_its_field_without_calling_the_service(self, review):
        app, fake = review
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post(f"{PAGE}/reject", data={"from": "review", "reason": "  "})
        page = text_of(res)
        assert res.status_code == 422 and not fake.calls_to("POST", "/registrations/r-1/reject")
        assert '<p class="field-error" id="reject_reason-error">Vui lòng ghi lý do.</p>' in page
        assert 'href="#reject_reason"' in page and 'id="changes_reason-error"' not in page

    async def test_request_changes_sends_the_message_and_a_refusal_stays_on_the_page(self, review):
        app, fake = review
        fake.on("POST", "registration", "/registrations/r-1/request-changes", problem(
            422, "Dữ liệu không hợp lệ / Invalid", [{"field": "reason", "message": "Quá dài / Too long"}]))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.post(f"{PAGE}/request-changes", data={"from": "review", "reason": "Thêm ảnh sản phẩm"})
        sent = json.loads(fake.calls_to("POST", "/registrations/r-1/request-changes")[0].content)
        assert sent == {"reason": "Thêm ảnh sản phẩm"}
        assert res.status_code == 422 and 'id="changes_reason-error"' in res.text
        assert "Thêm ảnh sản phẩm" in text_of(res)

    @pytest.mark.parametrize("status", [403, 404])
    async def test_the_services_refusals_are_pages(self, review, status):
        app, fake = review
        fake.on("GET", "registration", "/registrations/r-1", problem(status, "Không tìm thấy / Not found"))
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get(PAGE, headers={"accept": "text/html"})
        assert res.status_code == status and "<h1" in res.text

    @pytest.mark.parametrize("user", ["ex-dongvan", "regional-ttkc1"])
    async def test_exhibitors_and_regional_centres_are_refused(self, review, user):
        app, fake = review
        async with running_app(app) as client:
            await log_in(client, user)
            res = await client.get(PAGE, headers={"accept": "text/html"})
        assert res.status_code == 403 and not fake.calls_to("GET", "/registrations/r-1")
