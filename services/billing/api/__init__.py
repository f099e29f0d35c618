"""HTTP routes of billing, one module per resource, and the dependencies they share (deps.py)."""

from __future__ import annotations

from services.billing.api import admin, invoices, programmes, setup, submissions

# In this order: a path of one router never shadows another's.
ROUTERS = (*invoices.ROUTERS, *submissions.ROUTERS, *setup.ROUTERS, *programmes.ROUTERS, *admin.ROUTERS)
