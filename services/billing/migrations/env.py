"""Alembic environment of the billing service: its tables and the kernel's, run by `hangviet migrate`."""

from typing import cast

from alembic import context
from alembic.runtime.environment import EnvironmentContext

from shared.migrations import run_environment

run_environment(cast(EnvironmentContext, context))  # alembic's `context` module proxies an EnvironmentContext
