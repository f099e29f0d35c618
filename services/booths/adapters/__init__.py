"""Outbound adapters of the booths service: the Redis fast path of holds and the Redis live feed."""
