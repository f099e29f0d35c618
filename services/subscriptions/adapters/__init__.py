"""Outbound adapters of the subscriptions service: the webhook SSRF guard and the HTTP call to a receiver."""
