"""Documents by exhibitor kind in real Chromium, the three roles (issue 16): the organizer (1366×768) sets the
documents each kind must attach; the exhibitor on a 390×844 phone uploads them (a file that is not a PDF, JPEG or
PNG by its content is refused next to the field); the organizer reviews them on the review page, where approving
is blocked and says what is missing, accepts one and asks for a new one; the exhibitor sees why and uploads again;
the organizer accepts and approves; the regional centre cannot open a document. Screenshots in
test-artifacts/e2e/documents/.

Set up by API: the organizer of centre "tq" publishes the fair; a cooperative with a provincially recognised
product registers naming it (so the decision recognising it is required to claim its points)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from devstack.platform import Platform
from shared.auth import Role, issue_token
from tests.e2e.conftest import E2E, SECRET, Shots, bearer, login
from tests.e2e.test_organizer_billing_journey import ORGANIZER, ORGANIZER_LABEL, unique_tax_code
from tests.e2e.test_regional_journey import REGIONAL
from tests.service.fixtures import exhibitor_body, fair_body

pytestmark = E2E
shot = Shots("documents")
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}
PRODUCT = "Miến dong Na Hang"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
LICENCE = "Giấy chứng nhận đăng ký hợp tác xã"
DECISION = "Quyết định công nhận sản phẩm công nghiệp nông thôn tiêu biểu"
NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth"


async def setup(platform: Platform, tag: str, exhibitor_id: str) -> tuple[str, str]:
    """A published fair of centre tq and the cooperative's registration naming its recognised product."""
    exhibitor = bearer(role=Role.EXHIBITOR, exhibitor_id=exhibitor_id)
    async with httpx.AsyncClient(base_url=platform.url("registration"), timeout=30) as client:
        fair = await client.post("/fairs", json=fair_body(name=f"Hội chợ Giấy tờ {tag}"), headers=ORGANIZER)
        assert fair.status_code == 201, fair.text
        fair_id = str(fair.json()["id"])
        assert (await client.post(f"/fairs/{fair_id}/publish", headers=ORGANIZER)).status_code == 200
        products = [{"name": PRODUCT, "group": "agro_food",
                     "recognition": {"level": "provincial", "certificate_no": "123/QĐ-UBND", "year": 2025}}]
        profile = await client.post("/exhibitors", headers=exhibitor, json=exhibitor_body(
            legal_name=f"HTX Miến dong {tag}", tax_code=unique_tax_code(), products=products))
        assert profile.status_code == 201, profile.text
        registration = await client.post(f"/fairs/{fair_id}/registrations", headers=exhibitor,
                                         json={"booths_requested": 1, "products": [PRODUCT]})
        assert registration.status_code == 201, registration.text
        assert any(r["code"].startswith("cnnt_") for r in registration.json()["priority_reasons"])
    return fair_id, str(registration.json()["id"])


async def upload(page: Any, doc_label: str, name: str, mime: str, data: bytes) -> None:
    await page.get_by_label("Loại giấy tờ").select_option(label=doc_label)
    await page.get_by_label("Tệp (PDF, JPEG hoặc PNG)").set_input_files({"name": name, "mimeType": mime,
                                                                         "buffer": data})
    await page.get_by_role("button", name="Tải giấy tờ lên").click()
    await page.wait_for_load_state()


async def test_documents_set_uploaded_reviewed_and_approval_waits_for_them(platform: Platform, browser: Any) -> None:
    base, tag = platform.url("portal"), uuid.uuid4().hex[:6]
    exhibitor_id = f"ex-docs-{tag}"
    fair_id, registration_id = await setup(platform, tag, exhibitor_id)
    organizer_context = await browser.new_context(viewport=DESK, locale="vi-VN")
    organizer = await organizer_context.new_page()
    await login(organizer, base, ORGANIZER_LABEL)
    exhibitor_context = await browser.new_context(viewport=PHONE, locale="vi-VN")
    await exhibitor_context.add_cookies([{"name": "hangviet_token", "url": base, "value": issue_token(
        SECRET, role=Role.EXHIBITOR, exhibitor_id=exhibitor_id)}])
    exhibitor = await exhibitor_context.new_page()

    # 1. The organizer sets the documents a cooperative must attach, from the fair's own tab.
    await organizer.goto(f"{base}/organizer/fairs/{fair_id}")
    await organizer.get_by_role("link", name="Giấy tờ yêu cầu").click()
    cooperative = organizer.get_by_role("group", name="Hợp tác xã", exact=True)
    await cooperative.get_by_label(LICENCE).check()
    await cooperative.get_by_label(DECISION).check()
    await shot(organizer, "organizer-sets-requirements")
    await organizer.get_by_role("button", name="Lưu giấy tờ yêu cầu").click()
    await organizer.get_by_text("Đã lưu giấy tờ yêu cầu.").wait_for()
    assert await cooperative.get_by_label(LICENCE).is_checked()

    # 2. The exhibitor, on a phone, sees what is required; a CSV named .pdf is refused next to the file field.
    registration_page = f"{base}/registrations/{registration_id}"
    await exhibitor.goto(registration_page)
    documents = exhibitor.locator("#documents")
    assert await documents.get_by_text("Chưa nộp").count() == 2
    await upload(exhibitor, LICENCE, "giay-phep.pdf", "application/pdf", b"ten,ma so thue\nHTX,0100109106\n")
    file_field = exhibitor.get_by_label("Tệp (PDF, JPEG hoặc PNG)")
    assert await file_field.get_attribute("aria-invalid") == "true"
    error = await exhibitor.locator("#file-error").inner_text()
    assert "PDF, JPEG" in error and "only" not in error
    assert await exhibitor.evaluate(NO_SIDEWAYS)
    await shot(exhibitor, "exhibitor-wrong-file")
    await upload(exhibitor, LICENCE, "giay-chung-nhan.pdf", "application/pdf", PDF)
    await exhibitor.get_by_text("Đã tải giấy tờ lên").wait_for()
    await upload(exhibitor, DECISION, "quyet-dinh.jpg", "image/jpeg", JPEG)
    assert await documents.get_by_text("Chờ ban tổ chức xem xét").count() == 2
    assert await exhibitor.evaluate(NO_SIDEWAYS)
    await shot(exhibitor, "exhibitor-uploaded")

    # 3. The organizer's review page: approval blocked and why; each document through the portal.
    review = f"{base}/organizer/registrations/{registration_id}"
    await organizer.goto(review)
    blocked = organizer.locator("#approve-blocked")
    assert "chưa được chấp nhận" in await blocked.inner_text()
    links = await organizer.locator("#documents a[href*='/documents/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    assert links and all(href.startswith(f"/registrations/{registration_id}/documents/") for href in links)
    viewed = await organizer.request.get(f"{base}{links[0]}")
    assert viewed.status == 200 and viewed.headers["content-type"] in ("application/pdf", "image/jpeg")
    await shot(organizer, "review-documents-pending")
    await organizer.get_by_role("button", name="Duyệt hồ sơ (hoặc đưa vào danh sách chờ)").click()
    await organizer.wait_for_load_state()
    alert = await organizer.get_by_role("alert").inner_text()
    assert "Chưa đủ giấy tờ được chấp nhận" in alert and "required documents" not in alert
    await shot(organizer, "review-approval-refused")
    await organizer.get_by_role("button", name=f"Chấp nhận: {LICENCE}").click()
    await organizer.get_by_text("Đã chấp nhận giấy tờ.").wait_for()
    decision = organizer.locator("#doc-cscnnt_product_decision")
    await decision.get_by_text("Yêu cầu nộp bản mới…").click()
    await decision.get_by_label("Lý do cần nộp bản mới").fill("Ảnh chụp mờ, xin bản PDF của quyết định")
    await decision.get_by_role("button", name="Gửi yêu cầu nộp bản mới").click()
    await organizer.get_by_text("Đã yêu cầu doanh nghiệp nộp bản mới.").wait_for()
    await shot(organizer, "review-one-accepted-one-asked-again")

    # 4. The exhibitor reads why and uploads again.
    await exhibitor.goto(registration_page)
    assert await documents.get_by_text("Ảnh chụp mờ, xin bản PDF của quyết định").count() == 1
    assert await documents.get_by_text("Cần nộp bản mới").count() == 1
    await shot(exhibitor, "exhibitor-asked-again")
    await documents.get_by_role("link", name="Tải lên giấy tờ này").click()  # the form comes with its type chosen
    assert await exhibitor.get_by_label("Loại giấy tờ").input_value() == "cscnnt_product_decision"
    await upload(exhibitor, DECISION, "quyet-dinh.pdf", "application/pdf", PDF)
    await exhibitor.get_by_text("Đã tải giấy tờ lên").wait_for()

    # 5. The organizer accepts it; the approval goes through.
    await organizer.goto(review)
    await organizer.get_by_role("button", name=f"Chấp nhận: {DECISION}").click()
    await organizer.get_by_text("Đã chấp nhận giấy tờ.").wait_for()
    assert await organizer.locator("#approve-blocked").count() == 0
    await organizer.get_by_role("button", name="Duyệt hồ sơ (hoặc đưa vào danh sách chờ)").click()
    await organizer.get_by_text("Đã duyệt hồ sơ.").wait_for()
    await shot(organizer, "review-approved")

    # 6. In English the review page is English only.
    await organizer_context.add_cookies([{"name": "hangviet_lang", "url": base, "value": "en"}])
    await organizer.goto(review)
    text = await organizer.locator("#documents").inner_text()
    assert "Accepted" in text and "Đã chấp nhận" not in text
    await shot(organizer, "review-approved-en")

    # 7. The regional centre cannot open the document.
    regional_context = await browser.new_context(viewport=DESK, locale="vi-VN")
    regional = await regional_context.new_page()
    await login(regional, base, REGIONAL)
    answer = await regional.goto(f"{base}{links[0]}")
    assert answer is not None and answer.status == 403
    assert (await answer.body())[:4] != b"%PDF"
    refused = await regional.locator("main").inner_text()
    assert "Chỉ doanh nghiệp của hồ sơ và ban tổ chức" in refused and "may not" not in refused
    await shot(regional, "regional-refused")
    for context in (organizer_context, exhibitor_context, regional_context):
        await context.close()
