"""Billing's reactions applied a batch at a time (one transaction for many events, as the consumer does under
load) give exactly what they give one event at a time: the same invoices, numbers, shares and events.

A batch's invoices read the fair, the centre's settings, its programmes and the locked series once, and
flush once at commit; these tests hold that to the one-at-a-time result, including what an earlier event of
the same batch changed, and check that nothing read in one transaction is reused by the next.
"""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlmodel import col, select

from services.billing.models import Invoice, InvoiceLineRow, SubsidyProgramme
from shared.contracts.base import Event
from shared.contracts.registration import FairPublished, FairUpdated, RegistrationCancelled
from shared.envelope import event_headers
from shared.outbox import OutboxMessage
from tests.conftest import running_app, unique
from tests.service import billing_support
from tests.service.billing_support import LOCAL, approved, assigned, fair_info, organizer, stored_invoices

# The shared fixtures, by assignment (an import would be flagged as shadowed by the test arguments).
app, clock = billing_support.app, billing_support.clock

# National first: 30 % of a booth with its VAT, until its small budget runs out; then the local programme.
NATIONAL = {**LOCAL, "name": "Khuyến công quốc gia 2026", "decision": "QĐ 9/QĐ-BCT", "level": "national",
            "funder": "Bộ Công Thương", "funding_province_code": None, "budget_vnd": 4_000_000,
            "support_percent": 30, "cap_per_booth_vnd": None, "cscnnt_only": False}
SMALL_LOCAL = {**LOCAL, "budget_vnd": 10_000_000}
EXTRAS = {"extras": [{"code": "table", "name": "Bàn phụ", "unit": "cái", "unit_price_vnd": 150_000}]}
IDS = ("invoice_id", "subsidy_programme_id", "fair_id", "exhibitor_id", "registration_id")


def record(event: Event) -> SimpleNamespace:
    """The event as the broker hands it to the consumer (a fresh ce_id each time)."""
    headers = event_headers(event, source="/tests", correlation_id=unique("c-"))
    return SimpleNamespace(topic=event.topic, key=event.key().encode(), partition=0, offset=0,
                           value=event.model_dump_json().encode(),
                           headers=[(k, v.encode()) for k, v in headers.items()])


class Saga:
    """A fair of one centre and ten registrations (two centres keep two sagas apart in one database)."""

    def __init__(self, centre_id: str) -> None:
        self.centre_id, self.fair_id = centre_id, unique("fair-")
        self.registrations = [(unique("reg-"), unique("ex-")) for _ in range(10)]

    def index(self, registration_id: str) -> int:
        return [r for r, _ in self.registrations].index(registration_id)

    def approved(self, n: int) -> Event:
        # The third one is no rural establishment (CSCNNT): the local programme does not support it.
        return approved(self.fair_id, *self.registrations[n], is_cscnnt=n != 2)

    def assigned(self, n: int, booths: int = 2, assignment_id: str | None = None) -> Event:
        return assigned(self.fair_id, *self.registrations[n], codes=[f"A{n}{b}" for b in range(booths)],
                        assignment_id=assignment_id)

    def cancelled(self, n: int) -> Event:
        registration_id, exhibitor_id = self.registrations[n]
        return RegistrationCancelled(fair_id=self.fair_id, registration_id=registration_id, exhibitor_id=exhibitor_id,
                                     reason="exhibitor")

    def first(self) -> list[Event]:
        """The fair and nine approvals (the eighth registration is approved later, beside its assignment)."""
        return [FairPublished(**fair_info(self.fair_id, centre_id=self.centre_id)),
                *(self.approved(n) for n in range(10) if n != 7)]

    def second(self) -> list[Event]:
        """Assignments with what can happen around them, in one stream."""
        twice = unique("as-")
        return [self.cancelled(4), *(self.assigned(n) for n in (0, 1, 2, 3, 4)),
                self.assigned(3, booths=1),  # a second assignment of the registration that ordered extras
                self.assigned(5, assignment_id=twice), self.assigned(5, assignment_id=twice),
                FairUpdated(**fair_info(self.fair_id, centre_id=self.centre_id, price=6_000_000)),
                self.assigned(6), self.cancelled(6), self.approved(7), self.assigned(7), self.assigned(8),
                self.assigned(9)]


async def prepare(client, app, saga: Saga) -> None:
    """Two programmes and a series of the centre's own (a cancellation's number names the symbol and number
    only, so two centres both numbering C26TAA from 1 could not both void their 7th invoice)."""
    for terms in (NATIONAL, SMALL_LOCAL):
        res = await client.post("/subsidy-programmes", json=terms, headers=organizer(app, saga.centre_id))
        assert res.status_code == 201, res.text
    res = await client.put("/invoice-settings", json={"series": saga.centre_id.upper()},
                           headers=organizer(app, saga.centre_id))
    assert res.status_code == 200, res.text


async def order_extras(client, app, saga: Saga) -> None:
    """A price list with an extra, and two of it ordered for the fourth registration before its booths."""
    headers = organizer(app, saga.centre_id)
    put = await client.put(f"/fairs/{saga.fair_id}/price-list", json=EXTRAS, headers=headers)
    order = await client.post(f"/registrations/{saga.registrations[3][0]}/extras", headers=headers,
                              json={"items": [{"code": "table", "quantity": 2}]})
    assert (put.status_code, order.status_code) == (200, 200), (put.text, order.text)


async def outcome(app, saga: Saga) -> dict[str, Any]:
    """Everything billing keeps and emits for the saga; ids replaced by the registration's place and the
    programme's name, the centre's series by "XX"."""
    async with app.state.runtime.db.sessions() as session:
        invoices = (await session.exec(select(Invoice).where(Invoice.fair_id == saga.fair_id)
                                       .order_by(col(Invoice.number)))).all()
        lines = (await session.exec(select(InvoiceLineRow).order_by(col(InvoiceLineRow.invoice_id),
                                                                     col(InvoiceLineRow.position)))).all()
        programmes = (await session.exec(select(SubsidyProgramme).where(SubsidyProgramme.centre_id == saga.centre_id)
                                         .order_by(col(SubsidyProgramme.name)))).all()
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    names = {p.id: p.name for p in programmes}
    series = saga.centre_id.upper()
    events = []
    for row in rows:
        payload = json.loads(row.payload.replace(f"26T{series}", "26TXX"))
        if payload.get("fair_id") == saga.fair_id:
            events.append((row.event_type, saga.index(payload["registration_id"]),
                           names.get(payload.get("subsidy_programme_id")),
                           {k: v for k, v in payload.items() if k not in IDS}))
    return {
        "invoices": [Issued(saga.index(i.registration_id), names.get(i.subsidy_programme_id),
                            *(getattr(i, k) for k in Issued._fields[2:-1]),
                            [(x.kind, x.description, x.quantity, x.unit_price_vnd, x.vat_rate, x.vat_vnd)
                             for x in lines if x.invoice_id == i.id]) for i in invoices],
        "programmes": [(p.name, p.committed_vnd) for p in programmes],
        "events": events,
    }


class Issued(NamedTuple):
    """An invoice as compared: the registration's place, the programme's name, then the stored fields."""

    registration: int
    programme: str | None
    purpose: str
    number: int
    net_vnd: int
    vat_vnd: int
    total_vnd: int
    subsidy_vnd: int
    subsidy_requested_vnd: int
    payable_vnd: int
    paid_vnd: int
    amount_in_words: str
    status: str
    subsidy_note: str
    issued_on: date
    due_on: date
    lines: list[tuple[Any, ...]]


class TestBatchesGiveWhatSingleEventsGive:
    async def test_a_stream_applied_in_two_batches_matches_it_applied_one_event_at_a_time(self, app):
        one_by_one, batched = Saga("tq"), Saga("hg")
        consumer = app.state.consumer
        async with running_app(app) as client:
            for saga in (one_by_one, batched):
                await prepare(client, app, saga)
            for event in one_by_one.first():
                await consumer.handle_batch([record(event)])
            await consumer.handle_batch([record(event) for event in batched.first()])
            for saga in (one_by_one, batched):
                await order_extras(client, app, saga)
            for event in one_by_one.second():
                await consumer.handle_batch([record(event)])
            before = consumer.stats.batch_fallbacks, consumer.stats.parked
            await consumer.handle_batch([record(event) for event in batched.second()])
            fallbacks = consumer.stats.batch_fallbacks - before[0], consumer.stats.parked - before[1]
            expected, got = await outcome(app, one_by_one), await outcome(app, batched)
        assert fallbacks == (0, 0)  # the batch went through in one transaction, not event by event
        assert got == expected
        # What the stream exercises, so that the comparison is not of two empty lists: the national budget
        # runs out on the second invoice and the local one takes over (not for 2, no CSCNNT); 3 is assigned
        # twice (its extras on the first invoice, its programme's two booths used up by then); 4 is cancelled
        # before its booths, 5's assignment comes twice; 6 is voided in the batch that issued it and its share
        # goes back to the budget, for 7 (approved in that batch too); the fair's new price applies from 6 on.
        invoices = got["invoices"]
        national, local = NATIONAL["name"], LOCAL["name"]
        assert [(i.registration, i.number, i.programme, i.subsidy_vnd, i.total_vnd, i.status) for i in invoices] == [
            (0, 1, national, 3_240_000, 10_800_000, "issued"), (1, 2, national, 760_000, 10_800_000, "issued"),
            (2, 3, None, 0, 10_800_000, "issued"), (3, 4, local, 4_000_000, 11_124_000, "issued"),
            (3, 5, None, 0, 5_400_000, "issued"), (5, 6, local, 4_000_000, 10_800_000, "issued"),
            (6, 7, local, 2_000_000, 12_960_000, "voided"), (7, 8, local, 2_000_000, 12_960_000, "issued"),
            (8, 9, None, 0, 12_960_000, "issued"), (9, 10, None, 0, 12_960_000, "issued")]
        assert [line[1] for line in invoices[3].lines][1:] == ["Bàn phụ"]
        assert got["programmes"] == [(national, 4_000_000), (local, 10_000_000)]
        assert [name for _, n, name, _ in got["events"] if n == 6] == [local, national, local, local, None, local]


class TestWhatABatchReads:
    async def test_a_fair_and_a_registration_first_seen_in_the_batch_are_invoiced_in_it(self, app):
        saga = Saga("tq")
        consumer = app.state.consumer
        async with running_app(app):
            await consumer.handle_batch([record(e) for e in (*saga.first()[:2], saga.assigned(0))])
            invoices = await stored_invoices(app)
        assert [(i.registration_id, i.number) for i in invoices] == [(saga.registrations[0][0], 1)]
        assert (consumer.stats.batch_fallbacks, consumer.stats.parked) == (0, 0)

    async def test_an_assignment_ahead_of_its_approval_in_the_batch_waits_for_it(self, app):
        saga = Saga("tq")
        consumer = app.state.consumer
        async with running_app(app):
            await consumer.handle_batch([record(e) for e in (saga.first()[0], saga.assigned(0), saga.approved(0))])
            invoices = await stored_invoices(app)
        assert [i.registration_id for i in invoices] == [saga.registrations[0][0]]
        assert (consumer.stats.parked, consumer.stats.unparked, consumer.stats.dead_lettered) == (1, 1, 0)

    async def test_the_next_batch_sees_a_programme_and_a_series_set_in_between(self, app):
        saga = Saga("tq")
        consumer = app.state.consumer
        async with running_app(app) as client:
            await consumer.handle_batch([record(e) for e in (*saga.first(), saga.assigned(0), saga.assigned(1))])
            created = await client.post("/subsidy-programmes", json=LOCAL, headers=organizer(app))
            series = await client.put("/invoice-settings", json={"series": "HV"}, headers=organizer(app))
            await consumer.handle_batch([record(saga.assigned(n)) for n in (2, 3)])
            invoices = await stored_invoices(app)
        assert (created.status_code, series.status_code) == (201, 200)
        assert [(i.symbol, i.number, i.subsidy_vnd) for i in sorted(invoices, key=lambda i: (i.symbol, i.number))] == [
            ("C26TAA", 1, 0), ("C26TAA", 2, 0), ("C26THV", 1, 0), ("C26THV", 2, 4_000_000)]
