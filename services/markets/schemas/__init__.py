"""Request and response bodies of the markets service, one module per resource."""
