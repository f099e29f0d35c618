"""`python -m services.subscriptions` runs the subscriptions service."""

from services.subscriptions.app import create_app
from shared.serve import run_service

run_service("subscriptions", create_app)
