"""`python -m services.billing` runs the billing service."""

from services.billing.app import create_app
from shared.serve import run_service

run_service("billing", create_app)
