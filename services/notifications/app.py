"""Wiring of the notifications service: the only place its parts meet."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifications.adapters.billing import invoice_pdf_fetcher
from services.notifications.adapters.smtp import SmtpServer
from services.notifications.api import ROUTERS
from services.notifications.handlers import make_consumer
from services.notifications.models import TABLES
from services.notifications.service.sender import MailSender, Outgoing
from services.notifications.settings import NotificationsSettings
from shared.messaging import subscribe
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app


def create_app(settings: Settings, *, notifications: NotificationsSettings | None = None) -> FastAPI:
    """The notifications service: e-mails to exhibitors from the registration, booths and billing events.
    `notifications` is the service's own settings (read from the environment when not given)."""
    config = notifications if notifications is not None else NotificationsSettings()
    config = config.model_copy(update={"mailbox_dir": config.mailbox_dir or settings.var_dir / "mailbox",
                                       "env": settings.env})
    settings = settings.off_the_saga_path(config.fetch_wait_ms)
    runtime = ServiceRuntime.build(settings, tables=TABLES)
    server = SmtpServer(host=config.smtp_host, port=config.smtp_port, user=config.smtp_user,
                        password=config.smtp_password.get_secret_value(), starttls=config.smtp_starttls,
                        timeout_s=config.smtp_timeout_s)
    pdf = invoice_pdf_fetcher(billing_url=config.billing_url, jwt_secret=settings.jwt_secret)
    sender = MailSender(runtime.db, Outgoing(server=server, sender=config.sender, portal_url=config.portal_url,
                                             invoice_pdf=pdf), policy=config.policy(), poll_s=config.poll_s)
    consumer = make_consumer(db=runtime.db, broker=runtime.broker, settings=settings, wake=sender.wake)
    subscribe(consumer, settings, description="notifications owes each exhibitor the e-mail an event brings them "
                                              "(mail outbox), sent through SMTP by its sender.")

    async def start_sender(rt: ServiceRuntime) -> None:
        rt.spawn(sender.run())

    app = create_service_app(
        runtime=runtime, title="hangviet notifications",
        description="Thư điện tử báo cho nhà trưng bày / e-mails telling exhibitors what happens to them",
        routers=ROUTERS, on_startup=[start_sender])
    app.state.notifications = config
    app.state.mail_sender = sender
    return app
