"""HTTP routes of the booths service: parse, authorise, call a use case, shape the reply."""

from services.booths.api import assignments, floorplans, holds

ROUTERS = (floorplans.router, assignments.router, holds.router)
