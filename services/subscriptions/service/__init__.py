"""Use cases of the subscriptions service, one module per aggregate; `reactions` takes the events in."""
