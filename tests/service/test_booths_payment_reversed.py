"""Booths follows payment.reversed: a paid exhibitor's name leaves the public map when a reversed payment leaves its
invoice owing again, and stays when the invoice is still paid in full."""

from __future__ import annotations

from datetime import date

import pytest

from shared.contracts.billing import InvoicePaid, PaymentReversed
from tests.conftest import running_app, unique
from tests.service.booths_support import (
    approved,
    booths_redis_url,  # noqa: F401 - a fixture
    deliver,
    make_app,
    published_fair,
)


@pytest.fixture
def app(settings_for, booths_redis_url):  # noqa: F811
    return make_app(settings_for, booths_redis_url)


def reversed_payment(fair_id: str, registration_id: str, *, still_paid: bool) -> PaymentReversed:
    return PaymentReversed(fair_id=fair_id, invoice_id=unique("inv-"), registration_id=registration_id,
                           payment_id=unique("pay-"), reversal_id=unique("rev-"), amount_vnd=1_000_000,
                           reason="Nhập nhầm", invoice_status="paid" if still_paid else "issued",
                           invoice_paid=still_paid)


async def test_a_reversal_that_leaves_the_invoice_owing_takes_the_name_off_the_public_map(app):
    async with running_app(app) as client:
        fair = await published_fair(app)
        owing, still = approved(fair.fair_id, 1, name="HTX Bị Huỷ Thu"), approved(fair.fair_id, 1, name="HTX Vẫn Đủ")
        for registration in (owing, still):
            await deliver(app, registration)
            await deliver(app, InvoicePaid(fair_id=fair.fair_id, invoice_id=unique("inv-"),
                                           registration_id=registration.registration_id, paid_on=date.today()))
        before = (await client.get(f"/fairs/{fair.fair_id}/floorplan.svg")).text
        await deliver(app, reversed_payment(fair.fair_id, owing.registration_id, still_paid=False))
        await deliver(app, reversed_payment(fair.fair_id, still.registration_id, still_paid=True))
        after = (await client.get(f"/fairs/{fair.fair_id}/floorplan.svg")).text
    assert "HTX Bị Huỷ Thu" in before and "HTX Vẫn Đủ" in before
    assert "HTX Bị Huỷ Thu" not in after and "HTX Vẫn Đủ" in after
