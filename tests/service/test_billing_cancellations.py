"""Cancellation documents belong to their seller: two centres void the same invoice numbers at once.

Both centres use the default symbol C26TAA and number from 1, so their cancellation documents both read
HUY-C26TAA-0000000n; each must be saved, its invoice voided and its programme's share released, and no
registration.cancelled may be dead-lettered.
"""

from __future__ import annotations

import asyncio

from faststream.kafka import KafkaMessage

from shared.contracts.registration import RegistrationCancelled
from tests.conftest import running_app
from tests.service import billing_support
from tests.service.billing_support import (
    LOCAL,
    admin,
    approved_registration,
    assigned,
    emitted,
    feed,
    organizer,
    publish_fair,
    stored_invoices,
)

app, clock = billing_support.app, billing_support.clock

CENTRES = ("tq", "hg")
PER_CENTRE = 4


def dead_letters(app, topic: str) -> list[dict[str, str]]:
    """What the service dead-letters on ``topic`` (subscribed before the app starts)."""
    collected: list[dict[str, str]] = []

    @app.state.runtime.broker.subscriber(topic, group_id="tests.dlq")
    async def on_dead(message: KafkaMessage) -> None:
        collected.append({k: v.decode() if isinstance(v, bytes) else v for k, v in message.headers.items()})

    return collected


class TestCancellationsPerSeller:
    async def test_two_centres_voiding_the_same_numbers_at_once_both_succeed(self, app):
        dead = dead_letters(app, "registration.events.dlq")
        async with running_app(app) as client:
            programmes, registrations = {}, []
            for centre in CENTRES:
                res = await client.post("/subsidy-programmes", json=LOCAL, headers=organizer(app, centre))
                assert res.status_code == 201, res.text
                programmes[centre] = res.json()["id"]
                fair_id = await publish_fair(app, centre_id=centre)
                for _ in range(PER_CENTRE):
                    registration = await approved_registration(app, fair_id)
                    await feed(app, assigned(fair_id, *registration))
                    registrations.append((fair_id, *registration))
            await asyncio.gather(*(
                feed(app, RegistrationCancelled(fair_id=fair_id, registration_id=registration_id,
                                                exhibitor_id=exhibitor_id, reason="organizer"))
                for fair_id, registration_id, exhibitor_id in registrations))
            voided = await emitted(app, "invoice.voided")
            released = await emitted(app, "subsidy.released")
            left = [(await client.get(f"/subsidy-programmes/{programmes[c]}", headers=organizer(app, c))).json()
                    for c in CENTRES]
            documents = {}
            for invoice in await stored_invoices(app):
                res = await client.get(f"/invoices/{invoice.id}/cancellation", headers=admin(app))
                assert res.status_code == 200, res.text
                documents[invoice.centre_id, invoice.number] = res.json()["number"]
        assert dead == []
        assert {i.status for i in await stored_invoices(app)} == {"voided"}
        expected = {(c, n): f"HUY-C26TAA-{n:08d}" for c in CENTRES for n in range(1, PER_CENTRE + 1)}
        assert documents == expected
        assert sorted(e.cancellation_number for e in voided) == sorted(expected.values())
        assert len(released) == len(registrations)
        assert [p["committed_vnd"] for p in left] == [0, 0]
