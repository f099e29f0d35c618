"""Due dates and the overdue check: on demand (as of a day), on its schedule, once per invoice; then the
cancellation it leads to voids the invoice and releases its subsidy."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from services.billing.app import create_app
from services.billing.settings import BillingSettings
from shared.contracts.registration import RegistrationCancelled
from tests.conftest import running_app
from tests.service import billing_support
from tests.service.billing_support import (
    LOCAL,
    MAY_2026,
    Clock,
    admin,
    emitted,
    feed,
    invoice_for,
    organizer,
    publish_fair,
)

# The shared fixtures, by assignment (an import would be flagged as shadowed by the test arguments).
app, clock = billing_support.app, billing_support.clock


async def check(app, client, as_of: str | None = None):
    return await client.post("/admin/overdue-check", json={"as_of": as_of} if as_of else None, headers=admin(app))


class TestOverdueCheck:
    async def test_unpaid_after_the_due_date_turns_overdue_once(self, app):
        async with running_app(app) as client:
            fair_id = await publish_fair(app)
            unpaid = await invoice_for(app, client, fair_id)
            partly = await invoice_for(app, client, fair_id)
            paid = await invoice_for(app, client, fair_id)
            for invoice, amount in ((partly, 800_000), (paid, 10_800_000)):
                await client.post(f"/invoices/{invoice['id']}/payments", headers=organizer(app), json={
                    "amount_vnd": amount, "method": "cash", "received_on": "2026-05-10"})
            on_due_date = await check(app, client, "2026-05-25")
            day_after = await check(app, client, "2026-05-26")
            again = await check(app, client, "2026-06-30")
            overdue = await emitted(app, "invoice.overdue")
            state = (await client.get(f"/invoices/{unpaid['id']}", headers=admin(app))).json()
        assert unpaid["due_on"] == "2026-05-25"
        assert on_due_date.json()["marked"] == []
        assert sorted(day_after.json()["marked"]) == sorted([unpaid["id"], partly["id"]])
        assert again.json()["marked"] == []
        assert {e.invoice_id: (e.outstanding_vnd, str(e.due_on)) for e in overdue} == {
            unpaid["id"]: (10_800_000, "2026-05-25"), partly["id"]: (10_000_000, "2026-05-25")}
        assert state["status"] == "overdue"

    async def test_it_runs_as_of_today_in_vietnam_by_default_and_only_for_admins(self, app, clock):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            clock.now = MAY_2026 + timedelta(days=16)
            res = await check(app, client)
            forbidden = await client.post("/admin/overdue-check", headers=organizer(app))
            bad = await client.post("/admin/overdue-check", json={"as_of": "yesterday"}, headers=admin(app))
        assert (res.json()["as_of"], res.json()["marked"]) == ("2026-05-26", [invoice["id"]])
        assert (forbidden.status_code, bad.status_code) == (403, 422)

    async def test_an_overdue_invoice_may_still_be_paid(self, app):
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            await check(app, client, "2026-06-01")
            res = await client.post(f"/invoices/{invoice['id']}/payments", headers=organizer(app), json={
                "amount_vnd": 10_800_000, "method": "cash", "received_on": "2026-05-10"})
            state = (await client.get(f"/invoices/{invoice['id']}", headers=admin(app))).json()
        assert res.status_code == 201 and state["status"] == "paid"

    async def test_the_saga_step_voids_the_overdue_invoice_and_releases_its_subsidy(self, app):
        async with running_app(app) as client:
            programme = (await client.post("/subsidy-programmes", json=LOCAL, headers=organizer(app))).json()
            fair_id = await publish_fair(app)
            invoice = await invoice_for(app, client, fair_id)
            await check(app, client, "2026-06-01")
            [overdue] = await emitted(app, "invoice.overdue")
            # What registration answers to invoice.overdue:
            await feed(app, RegistrationCancelled(fair_id=fair_id, registration_id=overdue.registration_id,
                                                  exhibitor_id=overdue.exhibitor_id, reason="unpaid"))
            [voided] = await emitted(app, "invoice.voided")
            [released] = await emitted(app, "subsidy.released")
            after = (await client.get(f"/subsidy-programmes/{programme['id']}", headers=organizer(app))).json()
            state = (await client.get(f"/invoices/{invoice['id']}", headers=admin(app))).json()
        assert (voided.invoice_id, voided.reason, voided.cancellation_number) == (invoice["id"], "unpaid",
                                                                                  "HUY-C26TAA-00000001")
        assert (released.amount_vnd, after["committed_vnd"]) == (4_000_000, 0)
        assert (state["status"], state["number"], state["cancellation"]["number"]) == (
            "voided", "00000001", "HUY-C26TAA-00000001")


class TestDueDays:
    def test_billing_due_days_is_read_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("BILLING_DUE_DAYS", "0")
        monkeypatch.setenv("BILLING_OVERDUE_CHECK_INTERVAL_S", "2.5")
        settings = BillingSettings()
        assert (settings.due_days, settings.overdue_check_interval_s) == (0, 2.5)

    def test_a_negative_due_days_is_refused(self, monkeypatch):
        monkeypatch.setenv("BILLING_DUE_DAYS", "-1")
        with pytest.raises(ValueError):
            BillingSettings()

    async def test_due_days_zero_makes_an_invoice_due_the_day_it_is_issued(self, settings_for):
        app = create_app(settings_for("billing"), clock=Clock(MAY_2026),
                         billing=BillingSettings(due_days=0, overdue_check_enabled=False))
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
        assert invoice["issued_on"] == invoice["due_on"] == "2026-05-10"


class TestSchedule:
    async def test_the_scheduled_check_marks_late_invoices_without_being_asked(self, settings_for):
        clock = Clock(MAY_2026)
        app = create_app(settings_for("billing"), clock=clock,
                         billing=BillingSettings(overdue_check_interval_s=0.05))
        async with running_app(app) as client:
            invoice = await invoice_for(app, client, await publish_fair(app))
            clock.now = MAY_2026 + timedelta(days=20)
            for _ in range(400):  # polls until the loop's next run; no timing is asserted
                if await emitted(app, "invoice.overdue"):
                    break
                await asyncio.sleep(0.05)
            [overdue] = await emitted(app, "invoice.overdue")
        assert (overdue.invoice_id, overdue.due_on) == (invoice["id"], date(2026, 5, 25))
