"""Pure rules of the markets service: sessions, market days and the lunar calendar, the scheduler and its models."""
