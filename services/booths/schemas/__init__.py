"""Request and response bodies of the booths API, one module per resource."""
