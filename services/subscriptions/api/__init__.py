"""HTTP side of the subscriptions service: one module per resource, and what the routes share (`deps`)."""

from __future__ import annotations

from services.subscriptions.api import deliveries, pull, subscriptions

ROUTERS = (*subscriptions.ROUTERS, *deliveries.ROUTERS, *pull.ROUTERS)
