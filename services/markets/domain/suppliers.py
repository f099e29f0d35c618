"""Supplier rules, pure: which of the contract's exhibitor kinds a programme enrols."""

from __future__ import annotations

from shared.contracts.registration import EXHIBITOR_KINDS, ExhibitorKind

# A programme enrols three of the four kinds (a cooperative group, tổ hợp tác, comes as a cooperative).
SUPPLIER_KINDS: tuple[ExhibitorKind, ...] = ("enterprise", "cooperative", "household")
assert set(SUPPLIER_KINDS) <= set(EXHIBITOR_KINDS)
DEFAULT_KIND: ExhibitorKind = "enterprise"


def allows_personal_id(kind: str) -> bool:
    """A household business may give its owner's 12-digit personal ID as its tax code."""
    return kind == "household"
