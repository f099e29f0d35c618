"""The booths consumer applies a batch in one transaction: it locks the batch's fairs and reads its booth
requests in one query each (`reactions.prefetch`). A request recorded by a submission is found by the approval
of the same batch, which places it, instead of being created twice (a batch that would fail and be split)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from services.booths.models import BoothRequest
from shared.contracts.registration import RegistrationSubmitted
from shared.messaging import consumers_of
from tests.conftest import running_app
from tests.service.batches import records, selects_of
from tests.service.booths_support import approved, booths_redis_url, emitted, make_app, published_fair

__all__ = ["booths_redis_url"]  # the fixture


def submitted(approval) -> RegistrationSubmitted:
    return RegistrationSubmitted(fair_id=approval.fair_id, registration_id=approval.registration_id,
                                 exhibitor_id=approval.exhibitor_id, exhibitor=approval.exhibitor,
                                 booths_requested=approval.booths_requested, submitted_at=datetime.now(UTC))


@pytest.mark.asyncio
async def test_a_batch_reads_its_requests_once_and_places_those_its_own_submissions_recorded(
        settings_for, booths_redis_url):
    app = make_app(settings_for, booths_redis_url)
    async with running_app(app):
        fair = await published_fair(app)
        approvals = [approved(fair.fair_id, 2) for _ in range(4)]
        batch = [submitted(a) for a in approvals] + approvals
        [consumer] = consumers_of(app.state.runtime.broker)
        engine = app.state.runtime.db.engine
        with selects_of(engine, "booth_requests") as reads, selects_of(engine, "booth_fairs") as fairs:
            await consumer.handle_batch(records(batch))
        assigned = await emitted(app, "booths.assigned")
        async with app.state.runtime.db.sessions() as session:
            requests = (await session.exec(select(BoothRequest))).all()
    assert consumer.stats.batch_fallbacks == 0
    assert len(reads) == 1 and len(fairs) == 1  # one query each for the eight events (the fair locked once)
    assert sorted(key for _, key, _ in assigned) == sorted([fair.fair_id] * 4)
    assert {payload["registration_id"] for _, _, payload in assigned} == {a.registration_id for a in approvals}
    assert all(len(payload["booth_codes"]) == 2 for _, _, payload in assigned)
    assert sorted(r.registration_id for r in requests) == sorted(a.registration_id for a in approvals)
    assert {r.status for r in requests} == {"assigned"}
