"""The consumers off the approve → invoice path (registration's, notifications', subscriptions') poll the broker
every 250 ms while events flow (at 50 events/s, batches of about a dozen); booths and billing keep the platform's
10 ms; none polls faster than the platform's setting."""

from __future__ import annotations

import pytest

from services.billing.app import create_app as billing_app
from services.booths.app import create_app as booths_app
from services.notifications.app import create_app as notifications_app
from services.registration.app import create_app as registration_app
from services.subscriptions.app import create_app as subscriptions_app
from shared.messaging import fetch_wait_ms
from shared.settings import load_settings

pytestmark = pytest.mark.sqlite_only(reason="which fetch wait each consumer gets reads no database")


def test_off_the_saga_path_never_polls_faster_than_the_platform() -> None:
    assert load_settings("x", kafka_fetch_max_wait_ms=10).off_the_saga_path(50).kafka_fetch_max_wait_ms == 50
    assert load_settings("x", kafka_fetch_max_wait_ms=500).off_the_saga_path(50).kafka_fetch_max_wait_ms == 500


def test_off_the_saga_path_an_idle_consumer_polls_once_a_second_or_less() -> None:
    assert load_settings("x", kafka_fetch_idle_wait_ms=500).off_the_saga_path(250).kafka_fetch_idle_wait_ms == 1000
    assert load_settings("x", kafka_fetch_idle_wait_ms=5000).off_the_saga_path(250).kafka_fetch_idle_wait_ms == 5000
    assert load_settings("x", kafka_fetch_idle_wait_ms=500).off_the_saga_path(3000).kafka_fetch_idle_wait_ms == 3000


@pytest.mark.parametrize(("service", "create_app", "wait_ms"), [
    ("registration", registration_app, 250), ("notifications", notifications_app, 250),
    ("subscriptions", subscriptions_app, 250), ("booths", booths_app, 10), ("billing", billing_app, 10)])
def test_each_consumer_gets_its_fetch_wait(settings_for, service, create_app, wait_ms) -> None:
    app = create_app(settings_for(service, kafka_fetch_max_wait_ms=10, kafka_fetch_idle_wait_ms=500))
    assert app.state.runtime.settings.kafka_fetch_max_wait_ms == wait_ms
    assert app.state.runtime.settings.kafka_fetch_idle_wait_ms == (500 if wait_ms == 10 else 1000)
    # A warm spell after a pause only where the saga's latency is: the others go straight to the idle wait.
    assert app.state.runtime.settings.kafka_fetch_warm_wait_ms == (100 if wait_ms == 10 else 1000)


def test_after_a_pause_a_consumer_waits_briefly_then_long() -> None:
    def wait(idle_for_s: float) -> int:
        return fetch_wait_ms(idle_for_s, busy_wait_ms=5, idle_wait_ms=500, warm_wait_ms=100, warm_for_s=10.0,
                             idle_after_s=2.0)

    assert [wait(s) for s in (0.0, 2.0, 2.1, 12.0, 12.1, 3600.0)] == [5, 5, 100, 100, 500, 500]
    assert fetch_wait_ms(3.0, busy_wait_ms=5, idle_wait_ms=500) == 500, "no warm spell unless one is set"
