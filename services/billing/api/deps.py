"""FastAPI dependencies every billing router shares: the database, the clock, billing's own settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from services.billing.settings import BillingSettings
from shared.db import Database


def get_db(request: Request) -> Database:
    """The service's database."""
    db: Database = request.app.state.runtime.db
    return db


def get_now(request: Request) -> datetime:
    """Now, by the service's clock (tests move it)."""
    now: datetime = request.app.state.clock()
    return now


def get_billing(request: Request) -> BillingSettings:
    """Billing's own settings (due days, overdue schedule)."""
    billing: BillingSettings = request.app.state.billing
    return billing


DbDep = Annotated[Database, Depends(get_db)]
NowDep = Annotated[datetime, Depends(get_now)]
BillingDep = Annotated[BillingSettings, Depends(get_billing)]
