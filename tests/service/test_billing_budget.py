"""Exact budgets under concurrency, on SQLite and PostgreSQL: concurrent takes and invoices never exceed the
budget, commits and releases interleave exactly, issues and voids for one exhibitor take their locks in one
order (no deadlock), and a take that waited for another retries with what is left."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlmodel import select

from services.billing.models import SubsidyCommitment, SubsidyProgramme, SubsidyUsage
from services.billing.service import budget
from services.billing.service import reactions as service
from shared.contracts.registration import RegistrationCancelled
from tests.conftest import running_app, unique
from tests.service import billing_support
from tests.service.billing_support import (
    MAY_2026,
    admin,
    approved_registration,
    assigned,
    create,
    feed,
    programme,
    publish_fair,
)

# The shared fixtures, by assignment (an import would be flagged as shadowed by the test arguments).
app, clock = billing_support.app, billing_support.clock


class TestConcurrentCommits:
    async def test_concurrent_takes_never_exceed_the_budget(self, app):
        async with running_app(app) as client:
            created = await create(app, client, budget_vnd=17_500_000)

            async def take() -> int:
                async with app.state.runtime.db.transaction() as session:
                    return await budget.take_budget(session, created["id"], 1_000_000)

            grants = await asyncio.gather(*(take() for _ in range(40)))
            after = await programme(app, client, created["id"])
        assert sum(grants) == after["committed_vnd"] == 17_500_000
        assert sorted(grants, reverse=True)[:18] == [1_000_000] * 17 + [500_000]

    async def test_concurrent_invoices_commit_exactly_the_budget(self, app):
        async with running_app(app) as client:
            created = await create(app, client, budget_vnd=30_000_000)
            fair_id = await publish_fair(app)
            events = [assigned(fair_id, *await approved_registration(app, fair_id)) for _ in range(20)]

            async def issue(event) -> None:
                async with app.state.runtime.db.unit_of_work() as uow:
                    await service.issue_invoice(uow=uow, assigned=event, now=MAY_2026)

            await asyncio.gather(*(issue(e) for e in events))
            async with app.state.runtime.db.sessions() as session:
                row = await session.get(SubsidyProgramme, created["id"], populate_existing=True)
                commitments = (await session.exec(select(SubsidyCommitment))).all()
            invoices = (await client.get("/invoices", params={"fair_id": fair_id}, headers=admin(app))).json()
        amounts = sorted((c.amount_vnd for c in commitments), reverse=True)
        assert sum(amounts) == row.committed_vnd == 30_000_000
        assert amounts == [4_000_000] * 7 + [2_000_000]
        assert sum(i["subsidy_vnd"] for i in invoices["data"]) == 30_000_000
        assert all(i["payable_vnd"] + i["subsidy_vnd"] == i["total_vnd"] for i in invoices["data"])

    async def test_concurrent_commits_and_releases_keep_the_books_exact(self, app):
        async with running_app(app) as client:
            created = await create(app, client, budget_vnd=10_000_000)
            pid = created["id"]

            async def commit_then_release(n: int) -> int:
                async with app.state.runtime.db.transaction() as session:
                    got = await budget.take_budget(session, pid, 3_000_000)
                if n % 2 and got:
                    async with app.state.runtime.db.transaction() as session:
                        await budget.give_back_budget(session, pid, got)
                    return 0
                return got

            kept = await asyncio.gather(*(commit_then_release(n) for n in range(30)))
            after = await programme(app, client, pid)
        assert sum(kept) == after["committed_vnd"] <= 10_000_000


    async def test_concurrent_issues_and_voids_for_one_exhibitor_keep_the_books_exact(self, app):
        # Issuing locks the exhibitor's usage row then the programme's; voiding must take them in the same
        # order, or on PostgreSQL the two deadlock (one of them fails with DeadlockDetected).
        async with running_app(app) as client:
            created = await create(app, client, budget_vnd=30_000_000, max_booths_per_exhibitor=1000)
            pid, fair_id, exhibitor_id = created["id"], await publish_fair(app), unique("ex-")
            earlier = [await approved_registration(app, fair_id, exhibitor_id) for _ in range(5)]
            for registration in earlier:
                await feed(app, assigned(fair_id, *registration))
            later = [assigned(fair_id, *await approved_registration(app, fair_id, exhibitor_id)) for _ in range(10)]

            async def issue(event) -> None:
                async with app.state.runtime.db.unit_of_work() as uow:
                    await service.issue_invoice(uow=uow, assigned=event, now=MAY_2026)

            async def cancel(registration_id: str) -> None:
                async with app.state.runtime.db.unit_of_work() as uow:
                    await service.void_registration_invoices(uow=uow, now=MAY_2026, cancelled=(
                        RegistrationCancelled(fair_id=fair_id, registration_id=registration_id,
                                              exhibitor_id=exhibitor_id, reason="exhibitor")))

            jobs = [issue(event) for event in later]
            for n, (registration_id, _) in enumerate(earlier):
                jobs.insert(2 * n + 1, cancel(registration_id))  # issue, void, issue, void, …
            await asyncio.gather(*jobs)
            async with app.state.runtime.db.sessions() as session:
                row = await session.get(SubsidyProgramme, pid, populate_existing=True)
                usage = await session.get(SubsidyUsage, (pid, exhibitor_id), populate_existing=True)
                commitments = (await session.exec(select(SubsidyCommitment))).all()
            invoices = (await client.get("/invoices", params={"fair_id": fair_id}, headers=admin(app))).json()["data"]
        live = [c for c in commitments if c.status == "committed"]
        released = [c for c in commitments if c.status == "released"]
        assert sorted(c.invoice_id for c in released) == sorted(i["id"] for i in invoices if i["status"] == "voided")
        assert len(released) == 5 and sum(c.amount_vnd for c in released) == 20_000_000
        assert row.committed_vnd == sum(c.amount_vnd for c in live) <= 30_000_000
        assert usage.booths == sum(c.booths for c in live)
        # How much the new invoices got depends on how the voids interleaved; what they got is exactly booked.
        by_invoice = {c.invoice_id: c.amount_vnd for c in live}
        assert len(by_invoice) == len(live) and set(by_invoice) <= {i["id"] for i in invoices}
        assert all(i["subsidy_vnd"] == by_invoice.get(i["id"], 0) and i["payable_vnd"] + i["subsidy_vnd"] ==
                   i["total_vnd"] for i in invoices if i["status"] != "voided")


    async def test_a_take_that_waited_for_a_concurrent_one_retries_with_what_is_left(self, app, monkeypatch):
        contended: list[dict[str, Any]] = []

        class Recorder:
            def info(self, event: str, **fields: Any) -> None:
                if event == "billing.budget_contended":
                    contended.append(fields)

        monkeypatch.setattr(budget, "log", Recorder())
        async with running_app(app) as client:
            pid = (await create(app, client, budget_vnd=10_000_000))["id"]
            db = app.state.runtime.db

            async def second() -> int:
                async with db.transaction() as session:
                    return await budget.take_budget(session, pid, 1_000_000)

            async with db.transaction() as session:
                first = await budget.take_budget(session, pid, 9_500_000)
                waiting = asyncio.create_task(second())
                await until_a_transaction_waits(db)
            granted = await waiting
            after = await programme(app, client, pid)
        assert (first, granted, after["committed_vnd"]) == (9_500_000, 500_000, 10_000_000)
        if db.engine.dialect.name == "postgresql":
            # It read 10 000 000 left, its UPDATE waited for the first one, then found no room for 1 000 000.
            assert contended == [{"programme_id": pid, "wanted_vnd": 1_000_000, "tried_vnd": 1_000_000}]
        else:
            assert contended == []  # BEGIN IMMEDIATE: the second transaction starts only after the first


async def until_a_transaction_waits(db) -> None:
    """On PostgreSQL, until some backend of this database waits for a lock; SQLite's writers wait at BEGIN."""
    if db.engine.dialect.name != "postgresql":
        await asyncio.sleep(0.3)
        return
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND datname = current_database()")
    for _ in range(200):
        async with db.sessions() as session:
            if (await session.exec(waiting)).one()[0] > 0:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("no transaction ever waited for the lock")
