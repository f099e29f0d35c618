"""Request and response bodies of the subscriptions API, one module per resource."""
