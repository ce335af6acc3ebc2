"""WSGI entry point for gunicorn (deploy/pdm-web.service)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdm_project.settings")
application = get_wsgi_application()

# Load what every request needs (URLconf, views, DRF, the OpenAPI schema of the ingest view),
# then take every object that exists now out of the cyclic garbage collector's view: the app
# is ~200k long-lived objects, and a full collection walked all of them each time a batch's
# 5,000 event objects pushed one off (~45 ms per batch request, a third of its CPU).
# benchmarks/ingest.py --profile reports the collector's share.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - imports every view module
gc.collect()  # garbage frozen now would never be freed
gc.freeze()
# Young collections: a batch keeps ~20k tracked objects alive while it is handled, scanned by
# ~25 collections per request at the default threshold (700); every request also leaves ~35
# objects of cyclic garbage (Django's request, session and message objects) that only a
# collection frees. 10,000 cuts a batch's collector CPU by ~1 us per event and keeps the
# longest pause for single events near the default's (~9 ms; 50,000 saved 0.5 us more per
# event but paused for up to 85 ms). benchmarks/ingest.py --profile reports the share.
gc.set_threshold(10_000, 10, 10)
