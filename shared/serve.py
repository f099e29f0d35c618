"""Runs one service as a process: logging configured once, then uvicorn on the service's port."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from shared.logs import configure_logging
from shared.settings import Settings, load_settings


def run_service(name: str, create_app: Callable[[Settings], FastAPI]) -> None:
    """Build the service's app from the environment and serve it until SIGTERM/SIGINT."""
    settings = load_settings(name)
    configure_logging(name)
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                timeout_graceful_shutdown=5)
