"""The portal's pages: each module renders one area's pages over the services' HTTP APIs (routes, then the
error pages and the session in errors.py, session.py; views.py renders; deps.py holds what routes depend on)."""

from services.portal.api.billing import billing_pages
from services.portal.api.billing_settings import billing_settings
from services.portal.api.documents import document_pages
from services.portal.api.exhibitor import exhibitor_pages
from services.portal.api.exhibitor_resubmit import resubmit_pages
from services.portal.api.login import login
from services.portal.api.markets import markets_pages
from services.portal.api.notifications import notification_pages
from services.portal.api.organizer import organizer
from services.portal.api.organizer_review import review_pages
from services.portal.api.pages import pages
from services.portal.api.regional import regional_pages

# In this order: a router's paths are matched before the next one's.
ROUTERS = (pages, login, organizer, review_pages, exhibitor_pages, resubmit_pages, billing_pages, billing_settings,
           markets_pages, regional_pages, notification_pages, document_pages)
