"""Products picked from the exhibitor's profile on the registration form, with their CNNT recognition.

Registration matches a registered product to the profile's by its folded name ("Mèn mén" = "men men"), and only a
matched product earns its recognition's priority points. The form therefore sends the profile's own names for the
products ticked, and a typed name that folds to a profile product is sent as the profile spells it. A product not
in the profile is still allowed (an exhibitor may bring a new product to a fair); it earns no recognition points,
and the form says so next to the field rather than refusing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.text import fold

LEVELS = {"provincial": ("cấp tỉnh", "provincial"), "regional": ("cấp khu vực", "regional"),
          "national": ("cấp quốc gia", "national")}


@dataclass(frozen=True)
class ProductChoice:
    """A product of the profile offered as a checkbox, with its recognition in words (empty when it has none)."""

    name: str
    recognition_vi: str = ""
    recognition_en: str = ""


def product_choices(profile: dict[str, Any] | None) -> list[ProductChoice]:
    """The profile's products in its order, each once, with their recognition in words."""
    choices: list[ProductChoice] = []
    seen: set[str] = set()
    for product in (profile or {}).get("products") or []:
        name = str(product.get("name") or "").strip() if isinstance(product, dict) else ""
        if not name or fold(name) in seen:
            continue
        seen.add(fold(name))
        vi, en = _recognition_words(product.get("recognition"))
        choices.append(ProductChoice(name, vi, en))
    return choices


def _recognition_words(recognition: Any) -> tuple[str, str]:
    if not isinstance(recognition, dict) or recognition.get("level") not in LEVELS:
        return "", ""
    level_vi, level_en = LEVELS[str(recognition["level"])]
    year = f" {recognition['year']}" if isinstance(recognition.get("year"), int) else ""
    return (f"CNNT tiêu biểu {level_vi}{year}",
            f"“CNNT tiêu biểu” product, {level_en}{year}")


def registered_products(picked: Iterable[str], typed: Iterable[str], choices: list[ProductChoice]) -> list[str]:
    """The names to send: the ticked profile products, then the typed ones (a typed name that folds to a profile
    product takes the profile's spelling); each once; a ticked name the profile does not hold is dropped."""
    by_fold = {fold(c.name): c.name for c in choices}
    names: list[str] = []
    seen: set[str] = set()
    for name, from_profile_only in [*((p, True) for p in picked), *((t, False) for t in typed)]:
        key = fold(name.strip())
        if not key or key in seen or (from_profile_only and key not in by_fold):
            continue
        seen.add(key)
        names.append(by_fold.get(key, name.strip()))
    return names


def picked_names(products: Iterable[str], choices: list[ProductChoice]) -> tuple[list[str], str]:
    """A registration's products split for the form: the profile's (ticked) and the others (typed, one a line)."""
    by_fold = {fold(c.name): c.name for c in choices}
    picked = [by_fold[fold(p)] for p in products if fold(p) in by_fold]
    others = [p for p in products if fold(p) not in by_fold]
    return picked, "\n".join(others)
