"""Outbound adapters of the markets service: the iCalendar feed writer."""
