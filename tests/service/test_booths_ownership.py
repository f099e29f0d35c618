"""Who an exhibitor is, is decided by (role, exhibitor id), never by the id claim alone: a token of another role
that carries an exhibitor's id is not that exhibitor."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import running_app, token
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


class TestSetPreferences:
    async def test_an_organizer_of_another_centre_carrying_the_exhibitors_id_gets_404(self, app: Any):
        async with running_app(app) as client:
            fair = await published_fair(app, allocation_mode="exhibitor_picks")
            approval = approved(fair.fair_id, 1)
            await deliver(app, approval)
            url = f"/fairs/{fair.fair_id}/requests/{approval.registration_id}/preferences"
            stranger = token(app.state.settings, "organizer", centre_id="hcm", exhibitor_id=approval.exhibitor_id)
            refused = await client.put(url, json={"wants_corner": True}, headers=stranger)
            own = await client.put(url, json={"wants_corner": False},
                                   headers=token(app.state.settings, "exhibitor", exhibitor_id=approval.exhibitor_id))
        assert refused.status_code == 404, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert own.status_code == 200 and own.json()["wants_corner"] is False
