"""`python -m services.notifications` runs the notifications service."""

from services.notifications.app import create_app
from shared.serve import run_service

run_service("notifications", create_app)
