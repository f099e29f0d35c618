"""Wiring of the subscriptions service: the only place its parts meet."""

from __future__ import annotations

from fastapi import FastAPI

from services.subscriptions.api import ROUTERS
from services.subscriptions.api.stream import Signal
from services.subscriptions.domain.delivery import DeliveryPolicy
from services.subscriptions.handlers import make_consumer
from services.subscriptions.models import TABLES
from services.subscriptions.service.delivery import DeliveryWorker
from services.subscriptions.settings import LOOPBACK_REFUSED, SubscriptionsSettings
from shared.messaging import subscribe
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app


def create_app(settings: Settings, *, subscriptions: SubscriptionsSettings | None = None,
               policy: DeliveryPolicy | None = None, poll_interval_s: float | None = None) -> FastAPI:
    """The subscriptions service: regional centres' webhooks, streams, feeds and replay, fed from every topic.
    `subscriptions` is the service's own settings (read from the environment when not given); `policy` and
    `poll_interval_s` override them (tests)."""
    config = subscriptions if subscriptions is not None else SubscriptionsSettings()
    if settings.env == "production" and config.webhook_allow_loopback:
        raise ValueError(LOOPBACK_REFUSED)
    settings = settings.off_the_saga_path(config.fetch_wait_ms)
    runtime = ServiceRuntime.build(settings, tables=TABLES)
    worker = DeliveryWorker(runtime.db, policy=policy or config.policy(),
                            allow_loopback=config.webhook_allow_loopback,
                            poll_interval_s=poll_interval_s or config.webhook_poll_s,
                            max_concurrency=config.webhook_max_concurrency,
                            slow_concurrency=config.webhook_slow_concurrency,
                            slow_call_s=config.webhook_slow_call_s)
    stored = Signal()
    consumer = make_consumer(db=runtime.db, broker=runtime.broker, settings=settings, wake=worker.wake,
                             stored=stored.notify)
    subscribe(consumer, settings, description="subscriptions stores every event, places it in a province "
                                              "and owes it to the matching webhooks (delivery outbox).")

    async def start_worker(rt: ServiceRuntime) -> None:
        rt.spawn(worker.run())

    app = create_service_app(
        runtime=runtime, title="hangviet subscriptions",
        description="Đăng ký nhận sự kiện theo vùng (webhook, luồng trực tiếp, lịch, phát lại) / regional "
                    "centres' subscriptions: webhooks, live stream, calendar feeds, replay",
        routers=ROUTERS, on_startup=[start_worker])
    app.state.subscriptions = config
    app.state.delivery_worker = worker
    app.state.stored_signal = stored
    app.state.regions = config.region_table()
    return app
