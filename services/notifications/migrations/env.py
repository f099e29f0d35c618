"""Alembic environment of the notifications service: its tables and the kernel's, run by `hangviet migrate`."""

from alembic import context

from shared.migrations import run_environment

run_environment(context)
