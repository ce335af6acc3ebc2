"""gunicorn settings of the web service (deploy/pdm-web.service, benchmarks/ingest.py).

Two gthread workers (one per core) with four threads each: keep-alive connections for the many
small requests of devices and the dashboard, no connection set-up per request.

Why big requests close their connection: a gthread worker keeps every connection it accepted
for as long as the client keeps it alive, and a worker that happens to win the accept race
for a few busy batch clients parses all their batches on one core behind one GIL while the
other worker idles (measured: worker CPU 2.31 s / 0.01 s in one batch phase of
benchmarks/ingest.py). Closing the connection after a request body of at least
BIG_REQUEST_BYTES makes the client reconnect for its next batch, and the worker that is free
accepts it first. Reconnecting costs ~0.1 ms against ~60 ms of CPU for a 5,000-event batch;
small requests keep their connection.
"""

import os

bind = os.environ.get("PDM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PDM_WEB_WORKERS", os.cpu_count() or 1))
worker_class = "gthread"
threads = int(os.environ.get("PDM_WEB_THREADS", 4))
timeout = 60

# ~400 events of JSON: below it a request costs less than a few ms of CPU.
BIG_REQUEST_BYTES = 128 * 1024


def pre_request(worker, req):
    """Mark a request with a big body to close its connection once answered."""
    for name, value in req.headers:
        if name == "CONTENT-LENGTH":
            if value.isdigit() and int(value) >= BIG_REQUEST_BYTES:
                req.must_close = True
            return
