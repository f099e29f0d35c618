"""Wiring of the billing service: the only place its parts meet."""

from __future__ import annotations

from fastapi import FastAPI

from services.billing.adapters.einvoice.provider import EInvoiceProvider, HttpCredentials, HttpProvider, LocalFolder
from services.billing.api import ROUTERS
from services.billing.handlers import Clock, build_consumer
from services.billing.models import TABLES
from services.billing.service import overdue, submission
from services.billing.settings import BillingSettings
from shared.contracts import billing as ev
from shared.contracts.base import Event
from shared.db import utcnow
from shared.messaging import document_publisher, subscribe
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app

EMITS: list[type[Event]] = [ev.InvoiceIssued, ev.PaymentReceived, ev.PaymentReversed, ev.InvoicePaid,
                            ev.InvoiceOverdue, ev.InvoiceVoided, ev.InvoiceAuthorised, ev.SubsidyCommitted,
                            ev.SubsidyReleased, ev.SubsidyExhausted]


def make_provider(billing: BillingSettings, settings: Settings) -> EInvoiceProvider:
    """The e-invoice provider adapter the settings choose (local folder by default)."""
    if billing.einvoice_provider == "http":
        credentials = HttpCredentials(api_key=billing.einvoice_http_api_key.get_secret_value(),
                                      username=billing.einvoice_http_username,
                                      password=billing.einvoice_http_password.get_secret_value())
        return HttpProvider(billing.einvoice_http_url, credentials, timeout_s=billing.einvoice_http_timeout_s,
                            attempts=billing.einvoice_http_attempts, backoff_s=billing.einvoice_http_backoff_s)
    return LocalFolder(billing.einvoice_dir(settings.var_dir))


def create_app(settings: Settings, *, clock: Clock = utcnow, billing: BillingSettings | None = None,
               provider: EInvoiceProvider | None = None) -> FastAPI:
    """The billing service; ``clock`` dates invoices and runs the overdue check and the submitter, ``provider``
    replaces the configured e-invoice provider (tests inject both)."""
    billing = billing or BillingSettings()
    runtime = ServiceRuntime.build(settings, tables=TABLES)
    provider = provider or make_provider(billing, settings)
    # The lease outlasts one call with its retries (twice over), so a replica never sends an invoice another is
    # still sending; a crashed replica's claim ends with it.
    attempts = billing.einvoice_http_attempts
    lease_s = 2 * (attempts * billing.einvoice_http_timeout_s + billing.einvoice_http_backoff_s * 2 ** attempts)
    submitter = submission.Submitter(
        db=runtime.db, provider=provider, clock=clock, interval_s=billing.einvoice_submit_interval_s,
        policy=submission.Policy(max_attempts=billing.einvoice_submit_max_attempts,
                                 backoff_s=billing.einvoice_submit_backoff_s, lease_s=max(lease_s, 60.0),
                                 provider_tax_code=billing.einvoice_provider_tax_code))
    consumer = build_consumer(runtime, clock=clock, due_in_days=billing.due_days, vat_table=billing.vat_table())
    subscribe(consumer, settings, description=(
        "Billing keeps fairs' prices (fair.published, fair.updated) and buyers (registration.approved), "
        "issues an invoice per booths.assigned with any programme's share, and voids unpaid invoices and "
        "releases their subsidies on registration.cancelled."))
    document_publisher(runtime.broker, ev.TOPIC, EMITS)

    async def start_overdue_schedule(started: ServiceRuntime) -> None:
        """Run the overdue check on a schedule for the life of the service."""
        if billing.overdue_check_enabled:
            started.spawn(overdue.run_schedule(db=started.db, clock=clock,
                                               interval_s=billing.overdue_check_interval_s))

    async def start_submitter(started: ServiceRuntime) -> None:
        """Submit issued invoices to the e-invoice provider in the background, woken by each commit."""
        if billing.einvoice_submit_enabled:
            started.db.on_events_committed(submitter.wake)
            started.spawn(submitter.run())

    app = create_service_app(
        runtime=runtime, title="hangviet billing",
        description="Bảng giá, chương trình khuyến công, hóa đơn điện tử, thanh toán / price lists, subsidy "
                    "programmes, VAT e-invoices, payments", routers=ROUTERS,
        on_startup=[start_overdue_schedule, start_submitter])
    app.state.consumer = consumer
    app.state.clock = clock
    app.state.billing = billing
    app.state.submitter = submitter
    return app
