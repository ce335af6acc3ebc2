"""`GET /metrics`: the Prometheus text format, for the networks and token settings allow."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from .collector import PlatformCollector

_registry = CollectorRegistry(auto_describe=False)
_registry.register(PlatformCollector())


def metrics_reader_allowed(request: HttpRequest) -> bool:
    """A bearer token equal to METRICS_TOKEN, or a client address in METRICS_NETWORKS."""
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_NETWORKS)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_reader_allowed(request):
        return JsonResponse(
            {
                "detail": "metrics are readable only from PDM_METRICS_ALLOWED_NETWORKS or with "
                "Authorization: Bearer <PDM_METRICS_TOKEN>",
                "errors": [],
            },
            status=403,
        )
    return HttpResponse(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)
