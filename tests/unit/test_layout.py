"""One shape for every service (docs/architecture.md, "Layout of a service"): the same entries in each, and only
those. A module that fits none of them is a sign the layout drifted; the test names it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registration", "booths", "markets", "billing", "subscriptions", "notifications", "portal")

# Every service has these; the portal has no tables of its own and no API schemas (it renders pages).
REQUIRED = {"__init__.py", "__main__.py", "app.py", "settings.py", "README.md", "api", "service", "domain",
            "migrations"}
REQUIRED_BACKEND = {"models.py", "schemas"}
# What a service may hold beside them: outbound adapters (PDF, e-invoice provider, webhooks, Redis fast paths),
# and the portal's templates and static files.
OPTIONAL = {"adapters", "migrations", "templates", "static", "schemas", "models.py", "handlers.py"}
PACKAGES = {"api", "service", "domain", "schemas", "adapters"}


def entries(service: str) -> set[str]:
    """The service folder's entries, caches left out."""
    return {p.name for p in (ROOT / "services" / service).iterdir() if p.name != "__pycache__"}


@pytest.mark.parametrize("service", SERVICES)
def test_service_has_the_one_layout(service: str) -> None:
    found = entries(service)
    required = REQUIRED | (set() if service == "portal" else REQUIRED_BACKEND)
    assert not required - found, f"services/{service} lacks {sorted(required - found)}"
    outside = sorted(found - required - OPTIONAL)
    assert not outside, f"services/{service} has entries outside the layout: {outside}"
    for package in PACKAGES & found:
        assert (ROOT / "services" / service / package / "__init__.py").is_file(), f"{service}/{package}: no package"


@pytest.mark.parametrize("service", SERVICES)
def test_settings_is_one_base_settings_class(service: str) -> None:
    tree = ast.parse((ROOT / "services" / service / "settings.py").read_text(encoding="utf-8"))
    classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef) and node.name.endswith("Settings")]
    assert classes == [f"{service.capitalize()}Settings"], classes


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_that_consumes_events_keeps_their_use_cases_in_reactions(service: str) -> None:
    folder = ROOT / "services" / service
    if (folder / "handlers.py").is_file():
        assert (folder / "service" / "reactions.py").is_file(), f"services/{service}/service/reactions.py is missing"
