"""HTTP routes of the registration service: parse, authorise, call a use case, shape the reply."""

from services.registration.api import documents, exhibitors, fair_registrations, fairs, registrations

ROUTERS = (fairs.router, fair_registrations.router, registrations.router, exhibitors.router, documents.router)
