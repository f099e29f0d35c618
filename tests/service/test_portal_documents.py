"""Documents by exhibitor kind through the portal, with the real registration service behind it (in memory): the
organizer ticks the documents each kind must attach, the exhibitor uploads on its registration page (errors next
to the field), the review page shows each document through the portal with accept / ask for a new one, and the
approve button says what is missing. Each page in one language only."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from services.portal.app import create_app as portal_app
from services.registration.app import create_app as registration_app
from tests.conftest import running_app
from tests.service.authz_portal import Services
from tests.service.authz_support import cookie_of, headers_of
from tests.service.fixtures import exhibitor_body, fair_body
from tests.service.test_portal import text_of
from tests.service.test_portal_languages import other_language, visible
from tests.service.test_registration_documents import JPEG, PDF
from tests.service.test_registration_support import next_tax_code


@asynccontextmanager
async def stack(settings_for) -> AsyncIterator[dict[str, Any]]:
    """The portal before a real registration service; exhibitor A registered at centre X's open fair."""
    registration = registration_app(settings_for("registration"))
    settings = settings_for("portal")
    app = portal_app(settings, transport=Services(settings, {"registration": registration}))
    async with running_app(registration) as api, running_app(app) as portal:
        org = headers_of(registration.state.settings, "organizer_x")
        ex = headers_of(registration.state.settings, "exhibitor_a")
        assert (await api.post("/exhibitors", json=exhibitor_body(tax_code=next_tax_code()), headers=ex)
                ).status_code == 201
        fair = (await api.post("/fairs", json=fair_body(), headers=org)).json()
        assert (await api.post(f"/fairs/{fair['id']}/publish", headers=org)).status_code == 200
        reg = (await api.post(f"/fairs/{fair['id']}/registrations", json={"booths_requested": 1}, headers=ex)).json()
        yield {"api": api, "portal": portal, "settings": settings, "fair": fair, "reg": reg, "org": org, "ex": ex,
               "org_cookie": cookie_of(settings, "organizer_x"), "ex_cookie": cookie_of(settings, "exhibitor_a"),
               "regional_cookie": cookie_of(settings, "regional_north")}


async def one_language(portal: httpx.AsyncClient, path: str, cookie: dict[str, str]) -> dict[str, list[str]]:
    found = {}
    for lang in ("vi", "en"):
        res = await portal.get(path, headers={**cookie, "Cookie": f"{cookie['Cookie']}; hangviet_lang={lang}"})
        assert res.status_code == 200, (path, res.status_code)
        words = other_language(visible(text_of(res)), lang)
        if words:
            found[lang] = words
    return found


async def test_the_organizer_ticks_the_documents_each_kind_must_attach(settings_for):
    async with stack(settings_for) as s:
        portal, fair = s["portal"], s["fair"]
        page = await portal.get(f"/organizer/fairs/{fair['id']}/documents", headers=s["org_cookie"])
        saved = await portal.post(f"/organizer/fairs/{fair['id']}/documents", headers=s["org_cookie"], data={
            "req-cooperative-business_registration": "1", "req-cooperative-food_safety_certificate": "1",
            "req-enterprise-business_registration": "1"})
        again = await portal.get(saved.headers["location"], headers=s["org_cookie"])
        stored = await s["api"].get(f"/fairs/{fair['id']}/document-requirements")
        languages = await one_language(portal, f"/organizer/fairs/{fair['id']}/documents", s["org_cookie"])
        by_exhibitor = await portal.get(f"/organizer/fairs/{fair['id']}/documents", headers=s["ex_cookie"])
    assert page.status_code == 200 and 'name="req-household-business_registration"' in page.text
    assert saved.status_code == 303
    assert stored.json()["requirements"] == {"cooperative": ["business_registration", "food_safety_certificate"],
                                             "enterprise": ["business_registration"]}
    assert "Đã lưu giấy tờ yêu cầu" in text_of(again)
    assert re.search(r'id="req-cooperative-food_safety_certificate"[^>]*checked', again.text)
    assert languages == {}
    assert by_exhibitor.status_code == 403


async def test_the_exhibitor_uploads_and_a_wrong_file_is_named_next_to_its_field(settings_for):
    async with stack(settings_for) as s:
        portal, fair, reg = s["portal"], s["fair"], s["reg"]
        await s["api"].put(f"/fairs/{fair['id']}/document-requirements", headers=s["org"],
                           json={"requirements": {"cooperative": ["business_registration"]}})
        page = await portal.get(f"/registrations/{reg['id']}", headers=s["ex_cookie"])
        chosen = await portal.get(f"/registrations/{reg['id']}?upload=business_registration", headers=s["ex_cookie"])
        url = f"/me/registrations/{reg['id']}/documents"
        wrong = await portal.post(url, headers=s["ex_cookie"], data={"doc_type": "business_registration"},
                                  files={"file": ("giay-phep.pdf", b"name,tax\nHTX,1\n", "application/pdf")})
        no_file = await portal.post(url, headers=s["ex_cookie"], data={"doc_type": "business_registration"},
                                    files={"file": ("", b"", "application/octet-stream")})
        good = await portal.post(url, headers=s["ex_cookie"], data={"doc_type": "business_registration"},
                                 files={"file": ("Giấy phép.pdf", PDF, "text/plain")})
        after = await portal.get(good.headers.get("location", "/"), headers=s["ex_cookie"])
        languages = await one_language(portal, f"/registrations/{reg['id']}", s["ex_cookie"])
    assert page.status_code == 200
    body = text_of(page)
    assert "Giấy chứng nhận đăng ký doanh nghiệp" in body and "Chưa nộp" in body
    assert re.search(r'<label for="file">', page.text) and 'enctype="multipart/form-data"' in page.text
    assert f'href="/registrations/{reg["id"]}?upload=business_registration#upload"' in page.text
    assert re.search(r'<option value="business_registration"\s+selected', chosen.text)
    assert wrong.status_code == 422
    error = re.search(r'<p class="field-error" id="file-error">(.*?)</p>', text_of(wrong))
    assert error and "PDF, JPEG" in error.group(1) and "only PDF" not in error.group(1)  # Vietnamese only
    assert 'aria-invalid="true" aria-describedby="file-error"' in wrong.text
    assert no_file.status_code == 422 and 'id="file-error"' in no_file.text
    assert good.status_code == 303, good.text
    assert "Chờ ban tổ chức xem xét" in text_of(after) and "Giấy phép.pdf" in text_of(after)
    assert languages == {}


async def test_the_reviewer_sees_each_document_through_the_portal_accepts_or_asks_again(settings_for):
    async with stack(settings_for) as s:
        portal, api, fair, reg = s["portal"], s["api"], s["fair"], s["reg"]
        await api.put(f"/fairs/{fair['id']}/document-requirements", headers=s["org"],
                      json={"requirements": {"cooperative": ["business_registration", "food_safety_certificate"]}})
        docs = f"/registrations/{reg['id']}/documents"
        licence = (await api.put(f"{docs}/business_registration", headers=s["ex"], params={"filename": "gcn.pdf"},
                                 content=PDF)).json()
        safety = (await api.put(f"{docs}/food_safety_certificate", headers=s["ex"], params={"filename": "attp.jpg"},
                                content=JPEG)).json()
        review = f"/organizer/registrations/{reg['id']}"
        before = await portal.get(review, headers=s["org_cookie"])
        blocked = await portal.post(f"{review}/approve", headers=s["org_cookie"], data={"from": "review"})
        viewed = await portal.get(f"/registrations/{reg['id']}/documents/{safety['id']}", headers=s["org_cookie"])
        downloaded = await portal.get(f"/registrations/{reg['id']}/documents/{licence['id']}?download=true",
                                      headers=s["org_cookie"])
        by_region = await portal.get(f"/registrations/{reg['id']}/documents/{licence['id']}",
                                     headers=s["regional_cookie"])
        empty_reason = await portal.post(f"{review}/documents/{safety['id']}/request-new", headers=s["org_cookie"],
                                         data={"message": "  "})
        asked = await portal.post(f"{review}/documents/{safety['id']}/request-new", headers=s["org_cookie"],
                                  data={"message": "Giấy chứng nhận đã hết hạn"})
        accepted = await portal.post(f"{review}/documents/{licence['id']}/accept", headers=s["org_cookie"])
        middle = await portal.get(review, headers=s["org_cookie"])
        exhibitor_sees = await portal.get(f"/registrations/{reg['id']}", headers=s["ex_cookie"])
        await api.put(f"{docs}/food_safety_certificate", headers=s["ex"], params={"filename": "attp.pdf"},
                      content=PDF)
        await portal.post(f"{review}/documents/{safety['id']}/accept", headers=s["org_cookie"])
        approved = await portal.post(f"{review}/approve", headers=s["org_cookie"], data={"from": "review"})
        languages = await one_language(portal, review, s["org_cookie"])
    page = text_of(before)
    assert f'href="/registrations/{reg["id"]}/documents/{licence["id"]}"' in before.text
    assert "s3" not in before.text.lower() and "storage" not in before.text.lower()
    assert "Chưa duyệt được: các giấy tờ bắt buộc sau chưa được chấp nhận" in page
    assert 'aria-describedby="approve-blocked"' in before.text
    assert blocked.status_code == 409 and "Chưa đủ giấy tờ được chấp nhận" in text_of(blocked)
    assert viewed.status_code == 200 and viewed.content == JPEG and viewed.headers["content-type"] == "image/jpeg"
    assert viewed.headers["content-disposition"].startswith("inline")
    assert downloaded.content == PDF and downloaded.headers["content-disposition"].startswith("attachment")
    assert by_region.status_code == 403 and PDF not in by_region.content
    assert "Chỉ doanh nghiệp của hồ sơ" in text_of(by_region) and "may not call" not in by_region.text
    assert empty_reason.status_code == 422 and f'id="document_message-{safety["id"]}-error"' in empty_reason.text
    assert (asked.status_code, accepted.status_code) == (303, 303)
    middle_text = text_of(middle)
    assert "Cần nộp bản mới" in middle_text and "Giấy chứng nhận đã hết hạn" in middle_text
    assert "Đã chấp nhận" in middle_text and "Chấp nhận giấy tờ" in middle_text  # the history, in words
    assert "document.accepted" not in middle_text
    assert "Giấy chứng nhận đã hết hạn" in text_of(exhibitor_sees)
    assert approved.status_code == 303 and "result=approved" in approved.headers["location"]
    assert languages == {}


@pytest.mark.parametrize("who", ["exhibitor_b", "organizer_y"])
async def test_another_tenant_cannot_read_a_document_through_the_portal(settings_for, who):
    async with stack(settings_for) as s:
        doc = (await s["api"].put(f"/registrations/{s['reg']['id']}/documents/business_registration",
                                  headers=s["ex"], params={"filename": "gcn.pdf"}, content=PDF)).json()
        res = await s["portal"].get(f"/registrations/{s['reg']['id']}/documents/{doc['id']}",
                                    headers=cookie_of(s["settings"], who))
    assert res.status_code == 404 and PDF not in res.content


async def test_the_approvals_reason_is_shown_in_the_pages_language_on_the_queue_and_the_registration(settings_for):
    async with stack(settings_for) as s:
        approved = await s["api"].post(f"/registrations/{s['reg']['id']}/approve", headers=s["org"])
        assert " / " in approved.json()["decision_reason"]  # the service writes "Vietnamese / English"
        queue = text_of(await s["portal"].get(f"/organizer/fairs/{s['fair']['id']}", headers=s["org_cookie"]))
        mine = text_of(await s["portal"].get(f"/registrations/{s['reg']['id']}", headers=s["ex_cookie"]))
        queue_en = text_of(await s["portal"].get(f"/organizer/fairs/{s['fair']['id']}", headers={
            "Cookie": f"{s['org_cookie']['Cookie']}; hangviet_lang=en"}))
    for page in (queue, mine):
        assert "được duyệt" in page and "free booths" not in page
    assert "free booths granted" in queue_en and "gian trống" not in queue_en
