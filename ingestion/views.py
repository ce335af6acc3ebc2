"""Thin HTTP views: parse, call one service or selector, render. Errors keep one shape."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pdm_project.metrics import counter_inc

from . import selectors, services
from .api_errors import ERROR_RESPONSE, asset_or_404, error_parts, error_response
from .auth import (
    bearer_token,
    principal_has_scope,
    request_principal,
    request_tenant,
    token_principal,
)
from .health import service_health
from .models import TokenScope
from .schemas import MAX_BATCH_BYTES, EventBatchInvalid, SensorEventV1
from .serializers import AssetPatchSerializer, AssetSerializer, SignalsQuerySerializer
from .throttling import TokenRateThrottle
from .timeseries import (
    TimeSeriesConflict,
    TimeSeriesError,
    TimeSeriesMisconfigured,
)


def _to_openapi_30(node):
    """pydantic emits JSON Schema 2020-12; drf-spectacular serves OpenAPI 3.0: translate."""
    if isinstance(node, list):
        return [_to_openapi_30(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _to_openapi_30(v) for k, v in node.items() if k != "title"}
    for key, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(key), int | float) and not isinstance(node.get(key), bool):
            node[bound], node[key] = node[key], True
    if "const" in node:
        node["enum"] = [node.pop("const")]
    options = node.get("anyOf")
    if options and any(o == {"type": "null"} for o in options):
        rest = [o for o in options if o != {"type": "null"}]
        node.pop("anyOf")
        node.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
        node["nullable"] = True
    return node


logger = logging.getLogger(__name__)
_event_schema = _to_openapi_30(SensorEventV1.model_json_schema(mode="validation"))
_CHECK_SCHEMA = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"type": "string", "enum": ["ok", "warning", "down", "off"]}},
    "additionalProperties": True,
}
HEALTH_SCHEMA = {
    "type": "object",
    "required": ["status", "checks", "critical"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded", "down"]},
        "critical": {"type": "array", "items": {"type": "string"}},
        "checks": {
            "type": "object",
            "properties": {
                name: _CHECK_SCHEMA
                for name in ("database", "timeseries", "cache", "broker", "workers", "spool", "beat")
            },
        },
    },
}

INGEST_REQUEST_SCHEMA = {
    "oneOf": [
        _event_schema,
        # [] is a valid batch that stores nothing (docs/CONTRACTS.md §1.3)
        {"type": "array", "items": _event_schema, "maxItems": 10000},
    ]
}


class RawJSONParser(BaseParser):
    """Hands the body bytes to pydantic untouched: one parse, by the contract model."""

    media_type = "application/json"

    # The stubs type parse() as returning a mapping; DRF hands whatever it returns to
    # `request.data` unchanged, and this parser returns the bytes on purpose.
    def parse(self, stream, media_type=None, parser_context=None) -> bytes:  # type: ignore[override]
        return stream.read() if stream is not None else b""


def _validation_errors(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [{"field": f, "message": " ".join(msgs)} for f, msgs in exc.message_dict.items()]
    return [{"field": "$", "message": m} for m in exc.messages]


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _ingest(*, tenant, content_length: str, read_body: Callable[[], object]) -> tuple[dict, int, dict | None]:
    """POST /api/v1/ingest once the caller is authenticated, allowed and not throttled:
    (body, status, headers), the same for the DRF view and the fast path."""
    if _is_number(content_length) and int(content_length) > MAX_BATCH_BYTES:
        return error_parts(
            413, f"body is {content_length} bytes; the limit is {MAX_BATCH_BYTES} bytes (10 MB)"
        )
    try:
        body = read_body()
    except ParseError as exc:
        return error_parts(400, str(exc))
    if not isinstance(body, bytes | str) or not body:
        return error_parts(
            422,
            "empty body",
            [{"index": None, "field": "$", "rule": "json_invalid", "message": "empty body"}],
        )
    if len(body) > MAX_BATCH_BYTES:
        return error_parts(413, f"body is larger than {MAX_BATCH_BYTES} bytes (10 MB)")
    try:
        result = services.events_ingest(tenant=tenant, body=body)
    except EventBatchInvalid as exc:
        errors = [e.as_dict() for e in exc.errors]
        if any(e["rule"] == "batch_too_large" for e in errors):
            return error_parts(413, errors[0]["message"], errors)
        shown = errors[:1000]
        detail = f"{len(errors)} contract violation(s); nothing was stored"
        if len(errors) > len(shown):
            detail += f" (first {len(shown)} listed)"
        return error_parts(422, detail, shown)
    except services.ForeignAssets as exc:
        return error_parts(403, f"{exc}; nothing was stored")
    except DatabaseError as exc:
        # The events may be in the store already; resending them is safe (idempotent).
        logger.warning("ingest: SQL database busy or unreachable: %s", exc)
        return error_parts(
            503, "database busy or unreachable; retry the same request", headers={"Retry-After": "2"}
        )
    except services.AnalyticsHandoffUnavailable as exc:
        # Stored, but no worker could be told: the resend's hand-off queues the run.
        logger.warning("ingest: %s", exc)
        return error_parts(
            503, "analytics queue unreachable; retry the same request", headers={"Retry-After": "5"}
        )
    except TimeSeriesError as exc:  # not an outage (those are spooled): the store refused the points
        return _store_refused(exc)
    counter_inc(
        "pdm_ingest_events_accepted_total", result.accepted, outcome="spooled" if result.spooled else "stored"
    )
    body_out: dict[str, object] = {
        "accepted": result.accepted,
        "assets": result.assets,
        "spooled": result.spooled,
    }
    if isinstance(result.spool_reason, TimeSeriesMisconfigured):
        # Spooled, but only an operator can make the store take them: say what has to be done.
        body_out["detail"] = (
            f"{result.spool_reason}. The events are spooled and will be written in order once that "
            "is done; resending them is safe"
        )
        return body_out, status.HTTP_503_SERVICE_UNAVAILABLE, {"Retry-After": "60"}
    if result.spooled:
        body_out["detail"] = "time-series store unreachable: events are spooled and will be replayed in order"
        return body_out, status.HTTP_202_ACCEPTED, None
    return body_out, status.HTTP_201_CREATED, None


def _store_refused(exc: TimeSeriesError) -> tuple[dict, int, dict | None]:
    """A write the time-series store refused for what it holds (409, a field type conflict) or
    for a reason a retry may not cure (503): the client keeps the batch and resends it later."""
    logger.error("ingest: the time-series store refused the write: %s", exc)
    if isinstance(exc, TimeSeriesConflict):
        named = re.search(r'input field \\?"([^"\\]+)', str(exc))
        error = {
            "index": None,
            "field": named.group(1) if named else "$",
            "rule": "field_type_conflict",
            "message": str(exc),
        }
        return error_parts(409, str(exc), [error])
    return error_parts(
        503,
        f"the time-series store refused the write ({exc}); this batch was not stored whole: resend it "
        "later, an operator has to look at the store",
        headers={"Retry-After": "60"},
    )


_JSON_RENDERER = JSONRenderer()
_ACCEPTS_JSON = frozenset({"*/*", "application/*", "application/json"})


def _accepts_json(accept: str) -> bool:
    """DRF would pick JSONRenderer and render compact JSON (no `indent` media-type parameter)."""
    if "indent" in accept:
        return False
    return any(part.partition(";")[0].strip().lower() in _ACCEPTS_JSON for part in accept.split(","))


def ingest_fast(request: HttpRequest) -> HttpResponse | None:
    """The ingest request of a device, without DRF's request machinery, or None.

    DRF's Request, negotiation, authentication, permission and throttle classes and Response
    rendering cost ~1.5 ms of CPU per request, more than validating, storing and handing off
    one event. This path handles only the case where they all say yes -- POST, no query
    string, a numeric Content-Length, `Content-Type: application/json`, an Accept header that
    compact JSON satisfies (or none), a valid bearer token with the ingest scope, not
    throttled -- with the same functions DRF's
    classes use (same token cache, same throttle bucket), then runs the same `_ingest` and
    renders with DRF's JSONRenderer and the headers APIView adds. Anything else returns None
    and the request goes through DRF, so every refusal before the body is read (401, 403,
    405, 406, 415, 429) is DRF's own.
    """
    if getattr(request, "ingest_fast_tried", False):
        return None  # IngestFastPathMiddleware asked already
    # set first: a decline below is final for this request. Django lets middleware mark an
    # HttpRequest with its own attributes; the stubs declare only Django's.
    request.ingest_fast_tried = True  # type: ignore[attr-defined]
    meta = request.META
    length = meta.get("CONTENT_LENGTH") or "0"
    if request.method != "POST" or meta.get("QUERY_STRING") or not _is_number(length):
        return None
    if meta.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != "application/json":
        return None
    accept = meta.get("HTTP_ACCEPT")
    if accept and not _accepts_json(accept):
        return None
    token = bearer_token(meta.get("HTTP_AUTHORIZATION", ""))
    try:
        found = token_principal(token) if token else None
    except (OperationalError, InterfaceError):
        # the database connection is gone (restart, failover, terminated session): DRF's path
        # answers it as every API outage is answered, 503 with Retry-After, never a 500
        return None
    if found is None or not principal_has_scope(found[0], IngestView.required_scope):
        return None
    principal = found[0]
    if not TokenRateThrottle().allow_principal(principal):
        return None
    data, status_code, headers = _ingest(
        tenant=principal.tenant, content_length=length, read_body=lambda: request.body
    )
    response = HttpResponse(_JSON_RENDERER.render(data), status=status_code, content_type="application/json")
    response["Allow"] = INGEST_ALLOW
    for name, value in (headers or {}).items():
        response[name] = value
    return response


INGEST_ACCEPTED = inline_serializer(
    "IngestAccepted",
    {
        "accepted": serializers.IntegerField(help_text="events stored (or spooled)"),
        "assets": serializers.IntegerField(help_text="distinct assets in the batch"),
        "spooled": serializers.BooleanField(help_text="true: kept in the spool, replayed in order"),
        "detail": serializers.CharField(required=False, help_text="why the events were spooled"),
    },
)
SIGNALS = inline_serializer(
    "AssetSignals",
    {
        "asset_id": serializers.CharField(),
        "start": serializers.DateTimeField(),
        "end": serializers.DateTimeField(),
        "resolution": serializers.CharField(help_text="raw or the bucket in seconds, e.g. 300s"),
        "fields": serializers.ListField(child=serializers.CharField()),
        "series": serializers.ListField(
            child=serializers.DictField(),
            help_text="raw: {time, values: {field: value}}; downsampled: {time, values: {field: "
            "{mean, min, max, count}}}",
        ),
    },
)
LATEST = inline_serializer(
    "AssetLatest",
    {
        "asset_id": serializers.CharField(),
        "time": serializers.DateTimeField(),
        "values": serializers.DictField(help_text="every stored field of the newest event"),
    },
)


class IngestView(APIView):
    """POST one Canonical Sensor Event v1 or an array of up to 10,000 (10 MB)."""

    required_scope = TokenScope.INGEST
    parser_classes = [RawJSONParser]

    def dispatch(self, request, *args, **kwargs):
        """The fast path when it applies (see `ingest_fast`), else DRF's dispatch. Usually
        ingestion.middleware.IngestFastPathMiddleware has taken the request before the URL
        was even resolved; this covers a project that leaves that middleware out."""
        response = ingest_fast(request)
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        request={"application/json": INGEST_REQUEST_SCHEMA},
        extensions={"x-body-required": True},
        responses={
            201: INGEST_ACCEPTED,
            202: OpenApiResponse(
                INGEST_ACCEPTED, description="accepted and spooled: the time-series store is unreachable"
            ),
            400: ERROR_RESPONSE,
            401: ERROR_RESPONSE,
            403: ERROR_RESPONSE,
            409: ERROR_RESPONSE,
            413: ERROR_RESPONSE,
            415: ERROR_RESPONSE,
            422: ERROR_RESPONSE,
            429: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
        summary="Ingest sensor events",
    )
    def post(self, request: Request) -> Response:
        principal = request_principal(request)
        data, status_code, headers = _ingest(
            tenant=principal.tenant,
            content_length=request.META.get("CONTENT_LENGTH") or "0",
            read_body=lambda: request.data,
        )
        return Response(data, status=status_code, headers=headers)


# What APIView puts in `Allow` for this view (its allowed methods); the fast path sends the same.
INGEST_ALLOW = ", ".join(IngestView().allowed_methods)


class AssetListView(APIView):
    required_scope = TokenScope.READ
    required_write_scope = TokenScope.ADMIN

    @extend_schema(responses=AssetSerializer(many=True), summary="List the tenant's assets")
    def get(self, request: Request) -> Response:
        assets = selectors.asset_list(tenant=request_tenant(request))
        return Response(AssetSerializer(assets, many=True).data)

    @extend_schema(
        request=AssetSerializer,
        responses={201: AssetSerializer, 400: ERROR_RESPONSE},
        summary="Register an asset",
    )
    def post(self, request: Request) -> Response:
        ser = AssetSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            asset = services.asset_create(tenant=request_tenant(request), data=ser.validated_data)
        except DjangoValidationError as exc:
            return error_response(400, "invalid asset; nothing was stored", _validation_errors(exc))
        return Response(AssetSerializer(asset).data, status=status.HTTP_201_CREATED)


class AssetDetailView(APIView):
    required_scope = TokenScope.READ
    required_write_scope = TokenScope.ADMIN

    @extend_schema(responses={200: AssetSerializer, 404: ERROR_RESPONSE}, summary="One asset")
    def get(self, request: Request, asset_id: str) -> Response:
        return Response(AssetSerializer(asset_or_404(request, asset_id)).data)

    @extend_schema(
        request=AssetPatchSerializer,
        responses={200: AssetSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def patch(self, request: Request, asset_id: str) -> Response:
        asset = asset_or_404(request, asset_id)
        ser = AssetPatchSerializer(asset, data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        try:
            asset = services.asset_update(asset=asset, data=ser.validated_data)
        except DjangoValidationError as exc:
            return error_response(400, "invalid asset; nothing was changed", _validation_errors(exc))
        return Response(AssetSerializer(asset).data)


class AssetSignalsView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        parameters=[SignalsQuerySerializer],
        responses={
            200: SIGNALS,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
        summary="Signals of one asset, raw or downsampled (UTC)",
    )
    def get(self, request: Request, asset_id: str) -> Response:
        asset = asset_or_404(request, asset_id)
        query = SignalsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(selectors.signals_read(asset=asset, **query.validated_data))


class AssetLatestView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        parameters=[OpenApiParameter("asset_id", str, OpenApiParameter.PATH)],
        responses={
            200: OpenApiResponse(LATEST, description="newest event"),
            404: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
        summary="The newest event of one asset",
    )
    def get(self, request: Request, asset_id: str) -> Response:
        asset = asset_or_404(request, asset_id)
        data = selectors.signals_latest(asset=asset)
        if data is None:
            return error_response(404, f"asset {asset_id!r} has no events yet")
        return Response(data)


class ServiceHealthView(APIView):
    """What a load balancer and an operator need to know (checks: ingestion/health.py)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        responses={
            200: OpenApiResponse(
                response=HEALTH_SCHEMA,
                description="`ok`, or `degraded`: ingest works, a check needs an operator",
            ),
            503: OpenApiResponse(
                response=HEALTH_SCHEMA,
                description="`down`: a critical check (database, broker) failed; ingest cannot accept events",
            ),
        },
        summary="Service health for load balancers and operators (docs/operations.md)",
    )
    def get(self, request: Request) -> Response:
        body, code = service_health()
        return Response(body, status=code, headers={"Cache-Control": "no-store"})
