"""`python -m services.registration` runs the registration service."""

from services.registration.app import create_app
from shared.serve import run_service

run_service("registration", create_app)
