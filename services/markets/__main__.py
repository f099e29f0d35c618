"""`python -m services.markets` runs the markets service."""

from services.markets.app import create_app
from shared.serve import run_service

run_service("markets", create_app)
