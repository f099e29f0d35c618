"""Use cases of billing, one module per aggregate; reactions.py holds those events run."""
