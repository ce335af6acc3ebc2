"""Devices' ingest requests skip the browser-facing middleware.

A device's `POST /api/v1/ingest` carries a bearer token: it has no session, no CSRF cookie,
no messages, no static file and no trailing-slash redirect to offer the middleware below this
one, yet running them and resolving the URL cost ~0.46 ms of CPU per request, 19 % of a
single-event ingest (measured in-process, docs/benchmarks.md). Placed right after
SecurityMiddleware, this middleware hands such a request straight to the view's fast path
(`ingestion.views.ingest_fast`) and returns its response through SecurityMiddleware and with
the headers CommonMiddleware and XFrameOptionsMiddleware would add, so the response is the same
(tests/ingestion/test_ingest_fast_path.py compares every header). Whatever the fast
path does not take (another method, no or a wrong token, a throttled token, an unusual header)
goes down the whole chain to DRF, as every other request does. Exceptions are Django's to
handle: the handler wraps every middleware (`convert_exception_to_response`).

Every ingest answer, from either path, passes here on its way out, so this is also where
refusals are counted (`pdm_ingest_rejected_total{reason}`, docs/CONTRACTS.md §17.5); the
accepted events are counted where the batch is stored (`ingestion.views._ingest`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from pdm_project.metrics import counter_inc

# The reason label of a refused ingest request, by status (CONTRACTS §17.2 says what each means).
REJECT_REASONS = {
    400: "malformed",
    401: "unauthenticated",
    403: "forbidden",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "field_type_conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "throttled",
    500: "server_error",
    503: "unavailable",
}


def ingest_rejection_count(status: int) -> None:
    if status >= 400:
        counter_inc("pdm_ingest_rejected_total", reason=REJECT_REASONS.get(status, f"http_{status}"))


class IngestFastPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.path: str | None = None  # reversed at the first request: the URLconf may not be loaded yet
        self.frame_options = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.path is None:
            self.path = reverse("ingest")
        if request.method == "POST" and request.path == self.path:
            from .views import ingest_fast  # the views import DRF and the URLconf's neighbours

            response = ingest_fast(request)
            if response is not None:
                # what CommonMiddleware and XFrameOptionsMiddleware add to the DRF path's answer
                response.headers.setdefault("Content-Length", str(len(response.content)))
                response.headers.setdefault("X-Frame-Options", self.frame_options)
                ingest_rejection_count(response.status_code)
                return response
            response = self.get_response(request)
            ingest_rejection_count(response.status_code)
            return response
        return self.get_response(request)
