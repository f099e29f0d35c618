"""HTTP routes of the markets service, one module per resource; `ROUTERS` lists them for the app."""

from __future__ import annotations

from fastapi import APIRouter

from services.markets.api import catalogue, programmes, proposals, reports

ROUTERS: tuple[APIRouter, ...] = (*programmes.ROUTERS, *catalogue.ROUTERS, *proposals.ROUTERS, *reports.ROUTERS)
