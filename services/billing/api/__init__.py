"""HTTP routes of billing, one module per resource, and the dependencies they share (deps.py)."""

from __future__ import annotations

from services.billing.api import admin, extras, invoice_settings, invoices, price_lists, programmes, submissions

# In this order: a path of one router never shadows another's.
ROUTERS = (*invoices.ROUTERS, *submissions.ROUTERS, *price_lists.ROUTERS, *invoice_settings.ROUTERS,
           *extras.ROUTERS, *programmes.ROUTERS, *admin.ROUTERS)
