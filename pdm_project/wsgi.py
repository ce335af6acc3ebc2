"""WSGI entry point for gunicorn (deploy/pdm-web.service)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdm_project.settings")
application = get_wsgi_application()
