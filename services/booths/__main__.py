"""`python -m services.booths` runs the booths service."""

from services.booths.app import create_app
from shared.serve import run_service

run_service("booths", create_app)
