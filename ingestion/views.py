"""Thin HTTP views: parse, call one service or selector, render. Errors keep one shape."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .auth import ApiPrincipal
from .models import Asset, TokenScope
from .schemas import MAX_BATCH_BYTES, EventBatchInvalid, SensorEventV1
from .serializers import AssetPatchSerializer, AssetSerializer, SignalsQuerySerializer
from .timeseries import TimeSeriesUnavailable, get_store


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
INGEST_REQUEST_SCHEMA = {
    "oneOf": [
        _event_schema,
        {"type": "array", "items": _event_schema, "minItems": 1, "maxItems": 10000},
    ]
}
ERROR_RESPONSE = inline_serializer(
    "ErrorBody",
    {
        "detail": serializers.CharField(),
        "errors": serializers.ListField(child=serializers.DictField(), required=False),
    },
)


class RawJSONParser(BaseParser):
    """Hands the body bytes to pydantic untouched: one parse, by the contract model."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read() if stream is not None else b""


def _error(status_code: int, detail: str, errors: list[dict] | None = None, **headers) -> Response:
    body: dict = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers or None)


def _validation_errors(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [{"field": f, "message": " ".join(msgs)} for f, msgs in exc.message_dict.items()]
    return [{"field": "$", "message": m} for m in exc.messages]


class IngestView(APIView):
    """POST one Canonical Sensor Event v1 or an array of up to 10,000 (10 MB)."""

    required_scope = TokenScope.INGEST
    parser_classes = [RawJSONParser]

    @extend_schema(
        request={"application/json": INGEST_REQUEST_SCHEMA},
        responses={
            201: inline_serializer(
                "IngestAccepted",
                {
                    "accepted": serializers.IntegerField(),
                    "assets": serializers.IntegerField(),
                    "spooled": serializers.BooleanField(),
                },
            ),
            202: OpenApiResponse(description="accepted and spooled: the time-series store is unreachable"),
            400: ERROR_RESPONSE,
            401: ERROR_RESPONSE,
            403: ERROR_RESPONSE,
            413: ERROR_RESPONSE,
            415: ERROR_RESPONSE,
            422: ERROR_RESPONSE,
            429: ERROR_RESPONSE,
        },
        summary="Ingest sensor events",
    )
    def post(self, request: Request) -> Response:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > MAX_BATCH_BYTES:
            return _error(413, f"body is {length} bytes; the limit is {MAX_BATCH_BYTES} bytes (10 MB)")
        try:
            body = request.data
        except ParseError as exc:
            return _error(400, str(exc))
        if not isinstance(body, bytes | str) or not body:
            return _error(
                422,
                "empty body",
                [{"index": None, "field": "$", "rule": "json_invalid", "message": "empty body"}],
            )
        if len(body) > MAX_BATCH_BYTES:
            return _error(413, f"body is larger than {MAX_BATCH_BYTES} bytes (10 MB)")
        principal: ApiPrincipal = request.user
        try:
            result = services.events_ingest(tenant=principal.tenant, body=body)
        except EventBatchInvalid as exc:
            errors = [e.as_dict() for e in exc.errors]
            if any(e["rule"] == "batch_too_large" for e in errors):
                return _error(413, errors[0]["message"], errors)
            shown = errors[:1000]
            detail = f"{len(errors)} contract violation(s); nothing was stored"
            if len(errors) > len(shown):
                detail += f" (first {len(shown)} listed)"
            return _error(422, detail, shown)
        except services.ForeignAssets as exc:
            return _error(403, f"{exc}; nothing was stored")
        except DatabaseError as exc:
            # The events may be in the store already; resending them is safe (idempotent).
            logger.warning("ingest: SQL database busy or unreachable: %s", exc)
            return _error(503, "database busy or unreachable; retry the same request", **{"Retry-After": "2"})
        body_out = {"accepted": result.accepted, "assets": result.assets, "spooled": result.spooled}
        if result.spooled:
            body_out["detail"] = (
                "time-series store unreachable: events are spooled and will be replayed in order"
            )
            return Response(body_out, status=status.HTTP_202_ACCEPTED)
        return Response(body_out, status=status.HTTP_201_CREATED)


class AssetListView(APIView):
    required_scope = TokenScope.READ
    required_write_scope = TokenScope.ADMIN

    @extend_schema(responses=AssetSerializer(many=True), summary="List the tenant's assets")
    def get(self, request: Request) -> Response:
        assets = selectors.asset_list(tenant=request.user.tenant)
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
            asset = services.asset_create(tenant=request.user.tenant, data=ser.validated_data)
        except DjangoValidationError as exc:
            return _error(400, "invalid asset; nothing was stored", _validation_errors(exc))
        return Response(AssetSerializer(asset).data, status=status.HTTP_201_CREATED)


def _asset_or_404(request: Request, asset_id: str) -> Asset:
    asset = selectors.asset_get(tenant=request.user.tenant, asset_id=asset_id)
    if asset is None:
        # Another tenant's asset is reported exactly like a missing one: no existence leak.
        raise NotFound(f"no asset {asset_id!r} in this tenant")
    return asset


class AssetDetailView(APIView):
    required_scope = TokenScope.READ
    required_write_scope = TokenScope.ADMIN

    @extend_schema(responses={200: AssetSerializer, 404: ERROR_RESPONSE}, summary="One asset")
    def get(self, request: Request, asset_id: str) -> Response:
        return Response(AssetSerializer(_asset_or_404(request, asset_id)).data)

    @extend_schema(
        request=AssetPatchSerializer,
        responses={200: AssetSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def patch(self, request: Request, asset_id: str) -> Response:
        asset = _asset_or_404(request, asset_id)
        ser = AssetPatchSerializer(asset, data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        try:
            asset = services.asset_update(asset=asset, data=ser.validated_data)
        except DjangoValidationError as exc:
            return _error(400, "invalid asset; nothing was changed", _validation_errors(exc))
        return Response(AssetSerializer(asset).data)


class AssetSignalsView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        parameters=[SignalsQuerySerializer],
        responses={
            200: OpenApiResponse(description="series"),
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
        summary="Signals of one asset, raw or downsampled (UTC)",
    )
    def get(self, request: Request, asset_id: str) -> Response:
        asset = _asset_or_404(request, asset_id)
        query = SignalsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            data = selectors.signals_read(asset=asset, **query.validated_data)
        except selectors.RangeTooLarge as exc:
            return _error(400, str(exc), [{"field": "resolution", "message": str(exc)}])
        except TimeSeriesUnavailable as exc:
            return _error(503, f"time-series store unreachable: {exc}", **{"Retry-After": "30"})
        return Response(data)


class AssetLatestView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        parameters=[OpenApiParameter("asset_id", str, OpenApiParameter.PATH)],
        responses={
            200: OpenApiResponse(description="newest event"),
            404: ERROR_RESPONSE,
            503: ERROR_RESPONSE,
        },
        summary="The newest event of one asset",
    )
    def get(self, request: Request, asset_id: str) -> Response:
        asset = _asset_or_404(request, asset_id)
        try:
            data = selectors.signals_latest(asset=asset)
        except TimeSeriesUnavailable as exc:
            return _error(503, f"time-series store unreachable: {exc}", **{"Retry-After": "30"})
        if data is None:
            return _error(404, f"asset {asset_id!r} has no events yet")
        return Response(data)


class ServiceHealthView(APIView):
    """Liveness of the web process and reachability of its time-series store."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        responses=inline_serializer(
            "ServiceHealth",
            {
                "status": serializers.CharField(),
                "timeseries": serializers.CharField(),
                "detail": serializers.CharField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        store = get_store()
        try:
            version = store.ping()
        except TimeSeriesUnavailable as exc:
            return Response(
                {"status": "degraded", "timeseries": store.backend, "detail": str(exc)}, status=503
            )
        return Response({"status": "ok", "timeseries": store.backend, "detail": version})
