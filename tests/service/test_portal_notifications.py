"""The e-mail notice pages in memory, the notifications service answered by an httpx.MockTransport: the
exhibitor's settings (address, language, the notices wanted in words, a bad address's 422 next to the field) and
the organizer's development mailbox (newest first, Vietnam's time, attachment names; absent in production)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from services.notifications.domain.notices import NoticeKind
from services.portal.app import create_app
from services.portal.domain.notice_forms import NOTICE_KINDS, mailbox_rows
from shared.auth import Role, issue_token
from tests.conftest import running_app
from tests.service.test_portal import (
    PORTAL,
    FakeServices,
    database_url,  # noqa: F401 - the portal tests run on SQLite only
    log_in,
    problem,
    text_of,
)

NOTIFYING = PORTAL.model_copy(update={"notifications_url": "http://notifications.test"})
RECIPIENT = {"exhibitor_id": "ex-meovac", "email": "htx.meovac@example.vn", "language": "vi",
             "notices": ["received", "approved", "invoice_issued", "cancelled"]}
BAD_ADDRESS = [{"field": "email", "code": "value_error",
                "message": "value is not a valid email address: An email address must have an @-sign."}]
MAILBOX = {"count": 3, "data": [
    {"file": "a.eml", "sender": "no-reply@hangviet.vn", "to": "htx.meovac@example.vn", "language": "vi",
     "subject": "Hồ sơ đã được tiếp nhận", "date": "Wed, 06 Jan 2027 17:15:00 +0000", "body": "…", "attachments": []},
    {"file": "b.eml", "sender": "no-reply@hangviet.vn", "to": "coop@example.vn", "language": "en",
     "subject": "Invoice issued", "date": "Thu, 07 Jan 2027 02:00:00 +0000", "body": "…",
     "attachments": ["HD-2027-0001.pdf"]},
    {"file": "c.eml", "sender": "no-reply@hangviet.vn", "to": "old@example.vn", "language": "vi",
     "subject": "Không có ngày", "date": "", "body": "…", "attachments": []},
]}
SERVICES = ("registration", "booths", "billing", "markets", "notifications")


def fake_services() -> FakeServices:
    fake = FakeServices({n: NOTIFYING.service_url(n) for n in SERVICES})
    fake.on("GET", "notifications", "/recipients/me", httpx.Response(200, json=RECIPIENT))
    fake.on("PUT", "notifications", "/recipients/me",
            lambda req: httpx.Response(200, json={**RECIPIENT, **json.loads(req.content)}))
    fake.on("GET", "notifications", "/mailbox", httpx.Response(200, json=MAILBOX))
    return fake


@pytest.fixture
def portal(settings_for):
    fake = fake_services()
    return create_app(settings_for("portal"), portal=NOTIFYING, transport=httpx.MockTransport(fake.handler)), fake


def checked(page: str) -> set[str]:
    return set(re.findall(r'<input id="notice-(\w+)" name="notices" type="checkbox" value="\w+" checked>', page))


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{re.escape(name)}-error">([^<]*)</p>', page)
    return found.group(1) if found else None


def test_the_portal_names_every_notice_kind_of_the_service_in_its_order():
    assert [kind for kind, _, _ in NOTICE_KINDS] == [k.value for k in NoticeKind]


class TestNoticeSettings:
    async def test_shows_the_address_the_language_and_the_notices_in_words(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.get("/me/notifications")
            dashboard = text_of(await client.get("/me"))
        page = text_of(res)
        assert res.status_code == 200
        assert "<h1>Thông báo qua e-mail</h1>" in page
        assert 'value="htx.meovac@example.vn"' in page
        assert '<input id="language-vi" name="language" type="radio" value="vi" checked>' in page
        assert checked(page) == {"received", "approved", "invoice_issued", "cancelled"}
        assert "Hồ sơ đăng ký đã được tiếp nhận" in page and "Hóa đơn quá hạn thanh toán" in page
        assert "invoice_issued</label>" not in page  # names in words, never the codes
        assert fake.calls_to("GET", "/recipients/me")[0].headers["authorization"].startswith("Bearer ")
        assert 'href="/me/notifications"' in dashboard

    async def test_in_english_the_notices_are_named_in_english(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            await client.get("/lang/en")
            page = text_of(await client.get("/me/notifications"))
        assert "<h1>E-mail notices</h1>" in page and "Invoice overdue" in page
        assert "Hóa đơn quá hạn" not in page

    async def test_saves_with_put_and_says_so(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.post("/me/notifications", data={
                "email": " htx.meovac@example.vn ", "language": "en", "notices": ["rejected", "overdue", "bogus"]})
            after = text_of(await client.get(res.headers["location"]))
        assert res.status_code == 303 and res.headers["location"] == "/me/notifications?done=saved"
        sent = json.loads(fake.calls_to("PUT", "/recipients/me")[0].content)
        assert sent == {"email": "htx.meovac@example.vn", "language": "en", "notices": ["rejected", "overdue"]}
        assert 'role="status">Đã lưu cài đặt thông báo qua e-mail.' in after

    async def test_an_empty_address_is_sent_as_none_and_no_notice_ticked_mutes_them_all(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.post("/me/notifications", data={"email": "", "language": "vi"})
        assert res.status_code == 303
        assert json.loads(fake.calls_to("PUT", "/recipients/me")[0].content) == {
            "email": None, "language": "vi", "notices": []}

    @pytest.mark.parametrize(("lang", "said"), [("vi", "Địa chỉ e-mail không hợp lệ"),
                                                 ("en", "This e-mail address is not valid")])
    async def test_a_bad_address_shows_the_services_422_next_to_the_field(self, portal, lang, said):
        app, fake = portal
        fake.on("PUT", "notifications", "/recipients/me", problem(422, "Dữ liệu không hợp lệ / Invalid input",
                                                                  BAD_ADDRESS))
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            await client.get(f"/lang/{lang}")
            res = await client.post("/me/notifications", data={"email": "htx-meovac", "language": "vi",
                                                               "notices": ["received"]})
        page = text_of(res)
        assert res.status_code == 422
        assert said in (field_error(page, "email") or "")
        assert 'aria-invalid="true" aria-describedby="email-error"' in page
        assert 'value="htx-meovac"' in page and checked(page) == {"received"}  # what was typed is kept
        assert "@-sign" not in page  # the validator's English is not shown

    async def test_an_organizer_is_refused_and_a_visitor_sent_to_log_in(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            anonymous = await client.get("/me/notifications")
            await log_in(client, "organizer-tq")
            refused = await client.get("/me/notifications")
            posted = await client.post("/me/notifications", data={"email": "a@b.vn"})
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
        assert refused.status_code == 403 and posted.status_code == 403
        assert fake.calls == []

    async def test_notifications_down_is_an_error_page_not_a_crash(self, portal):
        app, fake = portal
        fake.on("GET", "notifications", "/recipients/me", httpx.Response(503, json={}))
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.get("/me/notifications")
        assert res.status_code in (502, 503)


class TestMailbox:
    async def test_lists_the_mails_newest_first_in_vietnams_time_with_attachments(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "organizer-tq")
            res = await client.get("/organizer/mailbox")
            home = text_of(await client.get("/organizer"))
        page = text_of(res)
        assert res.status_code == 200
        assert 'href="/organizer/mailbox"' in home
        newest, older = page.index("coop@example.vn"), page.index("htx.meovac@example.vn")
        assert newest < older < page.index("old@example.vn")
        assert "09:00 07/01/2027" in page and "00:15 07/01/2027" in page  # 17:15 UTC the day before
        assert "HD-2027-0001.pdf" in page and "Invoice issued" in page
        assert fake.calls_to("GET", "/mailbox")[0].url.params["limit"] == "200"

    async def test_an_exhibitor_is_refused(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-meovac")
            res = await client.get("/organizer/mailbox")
            home = text_of(await client.get("/me"))
        assert res.status_code == 403 and fake.calls_to("GET", "/mailbox") == []
        assert 'href="/organizer/mailbox"' not in home

    async def test_in_production_the_link_is_absent_and_the_page_is_not_found(self, settings_for):
        fake = fake_services()
        settings = settings_for("portal", HANGVIET_ENV="production", jwt_secret="a-production-secret-of-enough-length")
        app = create_app(settings, portal=NOTIFYING, transport=httpx.MockTransport(fake.handler))
        fake.on("GET", "registration", "/fairs", httpx.Response(200, json={"data": [], "count": 0}))
        token = issue_token(settings.jwt_secret, role=Role.ORGANIZER, subject="organizer-tq", centre_id="tq")
        async with running_app(app) as client:
            client.cookies.set("hangviet_token", token)
            res = await client.get("/organizer/mailbox")
            home = await client.get("/")
        assert res.status_code == 404
        assert home.status_code == 200 and "Ban tổ chức" in text_of(home)  # logged in, as an organizer
        assert 'href="/organizer/mailbox"' not in text_of(home)
        assert fake.calls_to("GET", "/mailbox") == []


def test_mails_without_a_date_come_last_and_times_are_vietnams() -> None:
    rows: list[dict[str, Any]] = mailbox_rows(MAILBOX)
    assert [r["to"] for r in rows] == ["coop@example.vn", "htx.meovac@example.vn", "old@example.vn"]
    assert [r["time"] for r in rows] == ["09:00 07/01/2027", "00:15 07/01/2027", "—"]
