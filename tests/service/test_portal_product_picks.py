"""Products picked from the exhibitor's profile on the registration and resubmission forms (issue 16): each with
its recognition in words, the profile's exact names sent (the names registration matches for the points), a typed
name that folds to a profile product sent as the profile spells it, a product not in the profile still allowed."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from services.portal.app import create_app
from tests.conftest import running_app
from tests.service.test_portal import (
    FAIR,
    PORTAL,
    REGISTRATION,
    FakeServices,
    database_url,  # noqa: F401 - the portal tests run on SQLite only
    log_in,
    problem,
    text_of,
)

PROFILE = {
    "id": "ex-dongvan", "legal_name": "HTX Chè Shan tuyết Đồng Văn", "kind": "cooperative", "is_cscnnt": True,
    "tax_code": "0100233488", "province_code": "08", "commune_code": None, "address": "Đồng Văn",
    "phone": "+84912345678", "email": None, "sectors": ["chè"],
    "products": [{"name": "Chè Shan tuyết", "group": "agro_food",
                  "recognition": {"level": "provincial", "certificate_no": "QĐ-12", "year": 2025}},
                 {"name": "Mật ong bạc hà", "group": "agro_food", "recognition": None}],
}
CHANGES = {**REGISTRATION, "status": "changes_requested", "products": ["Chè Shan tuyết", "Rượu ngô"]}


@pytest.fixture
def portal(settings_for):
    fake = FakeServices({n: PORTAL.service_url(n) for n in ("registration", "booths", "billing", "markets")})
    fake.on("GET", "registration", "/fairs/f-1", httpx.Response(200, json=FAIR))
    fake.on("GET", "registration", "/exhibitors/ex-dongvan", httpx.Response(200, json=PROFILE))
    fake.on("GET", "registration", "/registrations/r-1", httpx.Response(200, json=CHANGES))
    fake.on("POST", "registration", "/fairs/f-1/registrations", httpx.Response(201, json=REGISTRATION))
    fake.on("PATCH", "registration", "/registrations/r-1", httpx.Response(200, json=CHANGES))
    return create_app(settings_for("portal"), portal=PORTAL, transport=httpx.MockTransport(fake.handler)), fake


def checkboxes(page: str) -> dict[str, bool]:
    return {
        m.group(1): m.group(2) is not None for m in re.finditer(
            r'<input type="checkbox" name="product_pick" value="([^"]*)"[^>]*?( checked)?>', page)}


class TestRegistrationForm:
    async def test_offers_the_profile_products_with_their_recognition_in_words(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            vi = text_of(await client.get("/fairs/f-1"))
            client.cookies.set("hangviet_lang", "en")
            en = text_of(await client.get("/fairs/f-1"))
        assert checkboxes(vi) == {"Chè Shan tuyết": False, "Mật ong bạc hà": False}
        assert "CNNT tiêu biểu cấp tỉnh 2025" in vi
        assert "Sản phẩm trưng bày khác, không có trong hồ sơ" in vi
        assert "không được cộng điểm công nhận CNNT" in vi
        assert "“CNNT tiêu biểu” product, provincial 2025" in en and "cấp tỉnh" not in en
        assert "Other products shown, not in your profile" in en

    async def test_sends_the_profile_names_of_the_ticked_products_and_the_typed_ones(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/fairs/f-1/register", data={
                "booths_requested": "2", "sector": "chè", "product_pick": ["Chè Shan tuyết"],
                "products": "che shan tuyet\nRượu ngô\n"})
        assert res.status_code == 303
        sent = json.loads(fake.calls_to("POST", "/fairs/f-1/registrations")[0].content)
        # the typed "che shan tuyet" is the ticked product again; "Rượu ngô" is not in the profile, still sent
        assert sent["products"] == ["Chè Shan tuyết", "Rượu ngô"]

    async def test_a_typed_name_of_a_profile_product_is_sent_as_the_profile_spells_it(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            await client.post("/fairs/f-1/register", data={"booths_requested": "1", "products": "MẬT ONG BẠC HÀ"})
        sent = json.loads(fake.calls_to("POST", "/fairs/f-1/registrations")[0].content)
        assert sent["products"] == ["Mật ong bạc hà"]

    async def test_a_ticked_name_the_profile_does_not_hold_is_not_sent(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            await client.post("/fairs/f-1/register", data={"booths_requested": "1", "product_pick": ["Giả mạo"]})
        assert json.loads(fake.calls_to("POST", "/fairs/f-1/registrations")[0].content)["products"] == []

    async def test_a_refused_form_keeps_the_ticks(self, portal):
        app, fake = portal
        fake.on("POST", "registration", "/fairs/f-1/registrations", problem(
            422, "Dữ liệu không hợp lệ / Invalid input",
            errors=[{"loc": ["body", "booths_requested"], "msg": "x", "type": "less_than_equal", "ctx": {"le": 4}}]))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/fairs/f-1/register", data={
                "booths_requested": "9", "product_pick": ["Mật ong bạc hà"], "products": "Rượu ngô"})
        page = text_of(res)
        assert res.status_code == 422
        assert checkboxes(page) == {"Chè Shan tuyết": False, "Mật ong bạc hà": True}
        assert ">Rượu ngô</textarea>" in page

    async def test_without_a_profile_the_form_asks_for_typed_names(self, portal):
        app, fake = portal
        fake.on("GET", "registration", "/exhibitors/ex-dongvan", problem(404, "Không tìm thấy / Not found"))
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = text_of(await client.get("/fairs/f-1"))
        assert checkboxes(page) == {}
        assert '<label for="products">Sản phẩm trưng bày' in page


class TestResubmitForm:
    async def test_ticks_the_profile_products_sent_and_types_the_others(self, portal):
        app, _ = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            page = text_of(await client.get("/me/registrations/r-1/edit"))
        assert checkboxes(page) == {"Chè Shan tuyết": True, "Mật ong bạc hà": False}
        assert ">Rượu ngô</textarea>" in page

    async def test_sends_the_ticked_profile_names(self, portal):
        app, fake = portal
        async with running_app(app) as client:
            await log_in(client, "ex-dongvan")
            res = await client.post("/me/registrations/r-1/edit", data={
                "booths_requested": "1", "sector": "chè", "product_pick": ["Mật ong bạc hà", "Chè Shan tuyết"],
                "products": ""})
        assert res.status_code == 303
        sent = json.loads(fake.calls_to("PATCH", "/registrations/r-1")[0].content)
        assert sent["products"] == ["Mật ong bạc hà", "Chè Shan tuyết"]
