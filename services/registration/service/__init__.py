"""Use cases of the registration service, one module per resource: one transaction each, events in the outbox."""
