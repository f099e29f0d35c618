"""Use cases of the booths service, one module per aggregate; reactions.py holds those run by events."""
