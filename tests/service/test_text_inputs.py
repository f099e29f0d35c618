"""Free text is checked the same way by every service (shared/text.py): a control character, a bidi override left
open or a value of only invisible characters gets a 422 problem naming the field, and changes nothing."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy import text as sql

from services.billing.app import create_app as billing_app
from services.billing.settings import BillingSettings
from services.markets.app import create_app as markets_app
from services.subscriptions.app import create_app as subscriptions_app
from tests.conftest import running_app, token
from tests.service import booths_support
from tests.service.billing_support import LOCAL
from tests.service.booths_support import booths_redis_url  # noqa: F401 - a fixture
from tests.service.fixtures import exhibitor_body, fair_body
from tests.service.test_registration_support import (
    exhibitor_headers,
    make_app,
    new_exhibitor,
    next_tax_code,
    open_fair,
    organizer,
)

# (what, value): each must be refused wherever free text is taken.
HOSTILE = [
    ("NUL", "HTX\x00Chè"),
    ("terminal escape", "Chè \x1b[31mđỏ"),
    ("DEL", "Chè\x7f"),
    ("C1 control", "Ch\x85è"),
    ("right-to-left override left open", "hoadon\u202efdp.exe"),
    ("isolate left open", "\u2067Tên"),
    ("invisible only", "\u200b\u2060\ufeff"),
    ("soft hyphen and zero-width joiner only", " \u00ad\u200d "),
]
KERNEL_ROWS = {"outbox_lease", "outbox_replay"}
MOVING = {"sent_at", "attempts", "last_error", "next_attempt_at", "leased_until"}  # the relay's own bookkeeping


async def everything(app: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of the service's database (the outbox without the relay's bookkeeping)."""
    async with app.state.runtime.db.sessions() as session:
        conn = await session.connection()
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        rows: dict[str, list[dict[str, Any]]] = {}
        for name in sorted(set(names) - KERNEL_ROWS):
            found = (await conn.execute(sql(f'SELECT * FROM "{name}"'))).mappings().all()
            rows[name] = sorted(({k: v for k, v in r.items() if k not in MOVING} for r in found), key=repr)
        return rows


async def check(client: Any, app: Any, method: str, path: str, body_with: Any, field: str,
                headers: dict[str, str]) -> None:
    """Every hostile value put into `field` (by `body_with(value)`) is refused, naming the field; nothing changes."""
    before = await everything(app)
    for what, value in HOSTILE:
        res = await client.request(method, path, json=body_with(value), headers=headers)
        assert res.status_code == 422, (what, field, res.status_code, res.text)
        assert res.headers["content-type"] == "application/problem+json", what
        errors = res.json()["errors"]
        assert [e["field"] for e in errors] == [field], (what, errors)
        assert errors[0]["code"].startswith("text_") and " / " in errors[0]["message"], (what, errors)
    assert await everything(app) == before


class TestRegistration:
    @pytest.fixture
    def app(self, settings_for):
        return make_app(settings_for)

    async def test_exhibitor_fair_and_registration_text_is_checked(self, app):
        ex = exhibitor_headers(app, "ex-text")
        org = organizer(app)
        async with running_app(app) as client:
            fair = await open_fair(client, org)
            applicant, _ = await new_exhibitor(client, app)
            for field in ("legal_name", "address"):
                await check(client, app, "POST", "/exhibitors",
                            lambda v, f=field: exhibitor_body(tax_code=next_tax_code(), **{f: v}), field, ex)
            await check(client, app, "POST", "/fairs", lambda v: fair_body(venue=v), "venue", org)
            await check(client, app, "POST", "/fairs",
                        lambda v: fair_body(seller={**fair_body()["seller"], "name": v}), "seller.name", org)
            await check(client, app, "POST", f"/fairs/{fair['id']}/registrations",
                        lambda v: {"booths_requested": 1, "products": ["Chè", v]}, "products.1", applicant)

    async def test_a_name_typed_decomposed_is_stored_composed(self, app):
        name = "HTX Nông sản Đắk Lắk Ứng Hòa"
        async with running_app(app) as client:
            _, profile = await new_exhibitor(client, app, legal_name=unicodedata.normalize("NFD", name),
                                             address="Thôn 3, Ấp Mới")
        assert profile["legal_name"] == name and profile["legal_name"] != unicodedata.normalize("NFD", name)


class TestBooths:
    @pytest.fixture
    def app(self, settings_for, booths_redis_url):  # noqa: F811
        return booths_support.make_app(settings_for, booths_redis_url)

    async def test_plan_and_reason_text_is_checked(self, app):
        org = token(app.state.settings, "organizer", centre_id=booths_support.CENTRE)
        async with running_app(app) as client:
            fair = await booths_support.published_fair(app, allocation_mode="organizer")
            url = f"/fairs/{fair.fair_id}"
            await check(client, app, "POST", f"{url}/booths/block",
                        lambda v: {"booth_codes": ["A01"], "reason": v}, "reason", org)
            await check(client, app, "PUT", f"{url}/floorplan/grid",
                        lambda v: {"halls": [{"name": v, "rows": 2, "booths_per_row": 3}]}, "halls.0.name", org)
            await check(client, app, "PUT", f"{url}/zones",
                        lambda v: [{"code": "Z1", "name": v, "kind": "sector"}], "0.name", org)


class TestMarkets:
    @pytest.fixture
    def app(self, settings_for):
        return markets_app(settings_for("markets"))

    async def test_programme_text_is_checked(self, app):
        org = token(app.state.settings, "organizer", centre_id="tq", subject="can-bo-tq")
        year = date.today().year + 1
        body = {"name": f"Đưa hàng Việt về miền núi {year}", "year": year, "province_code": "08",
                "target_sessions": 10, "session_days": 3, "booth_quota": 40, "enterprise_quota": 12}
        async with running_app(app) as client:
            created = await client.post("/programmes", json=body, headers=org)
            assert created.status_code == 201, created.text
            await check(client, app, "POST", "/programmes", lambda v: {**body, "name": v}, "name", org)
            blackout = {"starts_on": f"{year}-07-01", "ends_on": f"{year}-07-31"}
            await check(client, app, "PATCH", f"/programmes/{created.json()['id']}",
                        lambda v: {"blackouts": [{**blackout, "reason": v}]}, "blackouts.0.reason", org)


class TestBilling:
    @pytest.fixture
    def app(self, settings_for):
        return billing_app(settings_for("billing"), billing=BillingSettings(overdue_check_enabled=False))

    async def test_subsidy_programme_text_is_checked(self, app):
        org = token(app.state.settings, "organizer", centre_id="tq")
        async with running_app(app) as client:
            for field in ("name", "funder", "decision"):
                await check(client, app, "POST", "/subsidy-programmes", lambda v, f=field: {**LOCAL, f: v}, field, org)


class TestSubscriptions:
    @pytest.fixture
    def app(self, settings_for):
        return subscriptions_app(settings_for("subscriptions"), poll_interval_s=0.05)

    async def test_description_is_checked(self, app):
        rc = token(app.state.settings, "regional", subject="rc-north", region="north")
        body = {"provinces": ["08"], "event_types": ["fair.*"]}
        async with running_app(app) as client:
            await check(client, app, "POST", "/subscriptions", lambda v: {**body, "description": v}, "description", rc)
