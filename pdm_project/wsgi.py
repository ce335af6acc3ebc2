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
# A batch keeps ~20k tracked objects alive while it is handled; with the default threshold
# (700) they were scanned by ~25 young collections per request. Requests free what they
# allocate (the count is allocations minus frees), so this defers collections rather than
# letting memory grow beyond ~50k objects in unreachable cycles: ~1.5 us less CPU per batch
# event (benchmarks/ingest.py --profile).
gc.set_threshold(50_000, 20, 10)
