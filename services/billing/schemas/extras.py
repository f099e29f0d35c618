"""Request and response bodies of extras ordered for a registration."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from services.billing.schemas import Strict


class ExtraQuantity(Strict):
    """How many of one extra."""

    code: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    quantity: int = Field(ge=1, le=1000)


class ExtrasOrder(Strict):
    """Extras for a registration: charged on its booth invoice, or on an invoice of their own once that exists."""

    items: list[ExtraQuantity] = Field(min_length=1, max_length=50)


class OrderedExtra(BaseModel):
    """An extra ordered for a registration; ``invoice_id`` once an invoice charges it."""

    code: str
    quantity: int
    invoice_id: str | None
    ordered_at: datetime


class ExtrasOrdered(BaseModel):
    """The registration's extras; ``invoice_id`` when this order was invoiced at once."""

    items: list[OrderedExtra]
    invoice_id: str | None = None
