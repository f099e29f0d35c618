"""A regional centre's new webhook subscription: the form read into the subscriptions service's body."""

from __future__ import annotations

import re
from typing import Any

SUBSCRIPTION_FIELDS = ("url", "provinces", "regions", "event_types", "fair_id", "programme_id", "description")
_SPLIT = re.compile(r"[\s,;]+")


def split_words(text: str) -> list[str]:
    """Event types typed apart by spaces, commas or semicolons (empty pieces dropped by the caller)."""
    return _SPLIT.split(text)


def subscription_body(form: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of the subscriptions service's SubscriptionCreate from the form."""
    body: dict[str, Any] = {
        "event_types": [t for t in split_words(str(form.get("event_types", ""))) if t],
        "provinces": list(form.get("provinces", [])), "regions": list(form.get("regions", [])),
        "description": str(form.get("description", "")).strip(),
    }
    for name in ("url", "fair_id", "programme_id"):
        value = str(form.get(name, "")).strip()
        if value:
            body[name] = value
    return body
