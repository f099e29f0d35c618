"""The notifications consumer applies a batch of events in one transaction, reading what its reactions look up
by key once per table for the whole batch (`reactions.prefetch`, shared/prefetch.py) — and a row created by
one event of the batch is found, not created again, by a later one."""

from __future__ import annotations

import pytest
from sqlmodel import select

from services.notifications.models import Mail, Recipient, RegistrationCopy
from shared.messaging import consumers_of
from tests.conftest import running_app, unique
from tests.service.batches import records, selects_of, uncached
from tests.service.test_notifications import assigned, closed_port, fair, issued, make_app, party, submitted

pytestmark = pytest.mark.integration  # as tests/service/test_notifications.py: the app's sender opens SMTP


async def test_a_batch_reads_each_table_once_and_finds_the_rows_its_own_events_created(settings_for, tmp_path):
    fair_id = unique("fair-")
    people = [(unique("ex-"), unique("reg-")) for _ in range(5)]
    batch = [fair(fair_id)]
    for exhibitor_id, registration_id in people:  # every registration is created by an event of this batch
        submitted_event = submitted(fair_id, exhibitor_id, registration_id).model_copy(
            update={"exhibitor": party(exhibitor_id).model_copy(update={"email": f"{exhibitor_id}@example.vn"})})
        batch += [submitted_event, assigned(fair_id, exhibitor_id, registration_id),
                  issued(fair_id, exhibitor_id, registration_id)]
    app = make_app(settings_for, tmp_path, closed_port())
    async with running_app(app):
        [consumer] = consumers_of(app.state.runtime.broker)
        engine = app.state.runtime.db.engine
        with (selects_of(engine, "registration_copies") as copies, selects_of(engine, "recipients") as recipients,
              uncached(engine) as compiled_every_time):
            await consumer.handle_batch(records(batch))
        async with app.state.runtime.db.sessions() as session:
            mails = (await session.exec(select(Mail))).all()
            copies_kept = (await session.exec(select(RegistrationCopy))).all()
            addresses = (await session.exec(select(Recipient))).all()
    assert consumer.stats.batch_fallbacks == 0 and consumer.stats.applied == len(batch)
    assert len(copies) == 1 and len(recipients) == 1  # one query per table for the 16 events
    assert compiled_every_time == []  # the mails' and the inbox's INSERTs included
    assert sorted((m.exhibitor_id, m.kind) for m in mails) == sorted(
        (exhibitor_id, kind) for exhibitor_id, _ in people for kind in ("received", "approved", "invoice_issued"))
    assert all(m.facts["fair_name"] == "Hội chợ Xuân Tuyên Quang 2027" for m in mails)
    assert all(m.facts["exhibitor_name"] == "HTX Chè Shan tuyết Đồng Văn" for m in mails)
    assert {m.to_address for m in mails} == {f"{e}@example.vn" for e, _ in people}
    assert len(copies_kept) == len(people) and len(addresses) == len(people)
