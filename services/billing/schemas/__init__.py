"""Request and response bodies of the billing API, one module per resource."""
