"""The platform's services: their names, where each listens by default, what runs them, in start order.

The one list the developer platform (supervisor, `hangviet` CLI, demo seeding), the benchmarks, the tests and the
deployment checks read. The kernel (shared/) names no service: adding a service is a line here (and its files under
services/, its compose and Kubernetes entries), never a kernel change.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Service:
    """One service: `python -m services.<name>` serves `services.<name>.app` on `port` (its default)."""

    name: str
    port: int
    calls_others: bool = False  # told the others' URLs (<NAME>_URL): on picked ports it starts once they listen

    @property
    def module(self) -> str:
        """The module `python -m` runs."""
        return f"services.{self.name}"

    @property
    def app_module(self) -> str:
        """The module with the service's `create_app`."""
        return f"services.{self.name}.app"

    def settings_class(self) -> Any:
        """The service's own settings class (the one BaseSettings of services/<name>/settings.py), None without."""
        from pydantic_settings import BaseSettings

        try:
            module = importlib.import_module(f"services.{self.name}.settings")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{self.name}.settings":
                raise
            return None
        return next((value for value in vars(module).values() if inspect.isclass(value)
                     and issubclass(value, BaseSettings) and value.__module__ == module.__name__), None)


# Start order: the portal, which calls the others, last.
SERVICES: tuple[Service, ...] = (
    Service("registration", 8001),
    Service("booths", 8002),
    Service("markets", 8003),
    Service("billing", 8004),
    Service("subscriptions", 8005),
    Service("notifications", 8006, calls_others=True),  # fetches invoice PDFs from billing
    Service("portal", 8000, calls_others=True),
)
SERVICE_ORDER: tuple[str, ...] = tuple(service.name for service in SERVICES)
SERVICE_PORTS: dict[str, int] = {service.name: service.port for service in SERVICES}
BY_NAME: dict[str, Service] = {service.name: service for service in SERVICES}
