"""Pure rules of the subscriptions service: no framework, no tables, no HTTP."""
