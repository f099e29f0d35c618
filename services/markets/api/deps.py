"""Dependencies of the markets routes: the service's database and its solver limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.markets.service.proposals import SolverConfig
from shared.db import Database


def get_db(request: Request) -> Database:
    """The service's database."""
    db: Database = request.app.state.runtime.db
    return db


def get_solver(request: Request) -> SolverConfig:
    """The service's solver settings."""
    config: SolverConfig = request.app.state.solver
    return config


DbDep = Annotated[Database, Depends(get_db)]
SolverDep = Annotated[SolverConfig, Depends(get_solver)]
