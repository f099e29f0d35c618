"""`python -m services.portal` runs the web portal."""

from services.portal.app import create_app
from shared.serve import run_service

run_service("portal", create_app)
