"""One error shape for every API failure: {"detail": ..., "errors": [...]}, never a traceback.

The one place for the API's error helpers, used by the views of every app: `error_response`
(and `error_parts` for the ingest fast path, which renders without DRF), `asset_or_404`, the
OpenAPI component `ERROR_RESPONSE`, and `exception_handler` (REST_FRAMEWORK's
EXCEPTION_HANDLER), which turns what a view lets through into that shape: an unreachable
time-series store or SQL database is 503 with Retry-After, a raw read too large for a chart is 400 naming
`resolution`, DRF's own errors keep their status with the fields listed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .auth import request_tenant
from .models import Asset
from .selectors import RangeTooLarge, asset_get
from .timeseries import TimeSeriesUnavailable

ERROR_RESPONSE = inline_serializer(
    "ErrorBody",
    {
        "detail": serializers.CharField(help_text="human-readable summary; informative only"),
        "errors": serializers.ListField(
            child=inline_serializer(
                "ErrorItem",
                {
                    "index": serializers.IntegerField(
                        required=False, allow_null=True, help_text="0-based event in an ingest batch"
                    ),
                    "field": serializers.CharField(help_text="dotted path of the field; `$` for the whole"),
                    "rule": serializers.CharField(required=False, help_text="stable rule name (ingest)"),
                    "message": serializers.CharField(),
                },
            ),
            required=False,
            help_text="every violation found, when the request broke rules",
        ),
    },
)
#: how long a client should wait before asking again while the time-series store is unreachable
STORE_RETRY_AFTER_S = "30"
#: ... and while the SQL database is unreachable or busy
DATABASE_RETRY_AFTER_S = "5"
logger = logging.getLogger(__name__)


def error_parts(
    status_code: int, detail: str, errors: list[dict] | None = None, *, headers: dict[str, str] | None = None
) -> tuple[dict, int, dict | None]:
    """(body, status, headers) of an error answer; `headers` are extra response headers
    (Retry-After)."""
    body: dict = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body, status_code, headers or None


def error_response(
    status_code: int, detail: str, errors: list[dict] | None = None, *, headers: dict[str, str] | None = None
) -> Response:
    body, status_code, extra = error_parts(status_code, detail, errors, headers=headers)
    return Response(body, status=status_code, headers=extra)


def asset_or_404(request: Request, asset_id: str) -> Asset:
    """The caller's tenant's asset; another tenant's asset is reported exactly like a missing one
    (no existence leak)."""
    asset = asset_get(tenant=request_tenant(request), asset_id=asset_id)
    if asset is None:
        raise NotFound(f"no asset {asset_id!r} in this tenant")
    return asset


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, TimeSeriesUnavailable):
        set_rollback()
        return error_response(
            503, f"time-series store unreachable: {exc}", headers={"Retry-After": STORE_RETRY_AFTER_S}
        )
    if isinstance(exc, OperationalError | InterfaceError):
        # unreachable, timed out, out of connections: the request may succeed later
        set_rollback()
        logger.warning("API: SQL database unreachable or busy: %s", exc)
        return error_response(
            503,
            "database unreachable or busy; retry the same request",
            headers={"Retry-After": DATABASE_RETRY_AFTER_S},
        )
    if isinstance(exc, RangeTooLarge):
        return error_response(400, str(exc), [{"field": "resolution", "message": str(exc)}])
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        return response
    errors: list[dict[str, Any]] = []
    if isinstance(data, dict):
        for fld, messages in data.items():
            for message in messages if isinstance(messages, list) else [messages]:
                errors.append({"field": fld, "message": str(message)})
    elif isinstance(data, list):
        errors = [{"field": "$", "message": str(m)} for m in data]
    response.data = {"detail": "invalid request", "errors": errors}
    return response
