"""Thin view of the forecast API: parse, call one selector, render (CONTRACTS §19.2)."""

from __future__ import annotations

from datetime import UTC, datetime

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ingestion.api_errors import ERROR_RESPONSE, error_response
from ingestion.auth import request_tenant
from ingestion.models import TokenScope

from . import selectors
from .serializers import ForecastQuerySerializer, ForecastSerializer


class ForecastView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        parameters=[ForecastQuerySerializer],
        responses={200: ForecastSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE, 503: ERROR_RESPONSE},
        operation_id="forecast_retrieve",
        summary="Hourly load forecast with its 80 % interval and model version, or why there is none",
    )
    def get(self, request: Request) -> Response:
        query = ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        try:
            data = selectors.forecast_get(
                tenant=request_tenant(request),
                scope=params["scope"],
                scope_id=params.get("id"),
                horizon_h=params["horizon_h"],
                now=datetime.now(UTC),
            )
        except selectors.ScopeNotFound as exc:
            return error_response(404, str(exc))
        return Response(ForecastSerializer(data).data)
