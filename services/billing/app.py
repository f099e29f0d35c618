"""Wiring of the billing service: the only place its parts meet."""

from __future__ import annotations

from fastapi import FastAPI

from services.billing import overdue
from services.billing.api import ROUTERS
from services.billing.handlers import Clock, build_consumer
from services.billing.models import TABLES
from services.billing.models_ledger import LEDGER_TABLES
from services.billing.settings import BillingSettings
from shared.contracts import billing as ev
from shared.contracts.base import Event
from shared.db import utcnow
from shared.messaging import document_publisher, subscribe
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from shared.web import create_service_app

EMITS: list[type[Event]] = [ev.InvoiceIssued, ev.PaymentReceived, ev.InvoicePaid, ev.InvoiceOverdue,
                            ev.InvoiceVoided, ev.SubsidyCommitted, ev.SubsidyReleased, ev.SubsidyExhausted]


def create_app(settings: Settings, *, clock: Clock = utcnow, billing: BillingSettings | None = None) -> FastAPI:
    """The billing service; ``clock`` dates invoices and runs the overdue check (tests inject one)."""
    billing = billing or BillingSettings()
    runtime = ServiceRuntime.build(settings, tables=[*TABLES, *LEDGER_TABLES])
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

    app = create_service_app(
        runtime=runtime, title="hangviet billing",
        description="Bảng giá, chương trình khuyến công, hóa đơn điện tử, thanh toán / price lists, subsidy "
                    "programmes, VAT e-invoices, payments", routers=ROUTERS, on_startup=[start_overdue_schedule])
    app.state.consumer = consumer
    app.state.clock = clock
    app.state.billing = billing
    return app
