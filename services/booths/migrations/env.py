"""Alembic environment of the booths service: its tables and the kernel's, run by `hangviet migrate`."""

from alembic import context

from shared.migrations import run_environment

run_environment(context)  # alembic.context proxies an EnvironmentContext
