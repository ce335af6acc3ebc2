"""Thin views of the analytics API: the features of one asset as chart series (CONTRACTS §6, §17.2)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ingestion.api_errors import ERROR_RESPONSE, asset_or_404
from ingestion.models import TokenScope
from ingestion.selectors import series_read
from ingestion.serializers import SignalsQuerySerializer, fields_pattern

from .feature_catalogue import FEATURE_COLUMNS

#: what the dashboard charts when the caller names no field: the vibration level, its spread,
#: impulsiveness and trend, the temperature rise and the power factor at load
CHART_FEATURES: tuple[str, ...] = (
    "vibration_rms_mm_s__mean_15m",
    "vibration_rms_mm_s__std_1h",
    "vibration_kurtosis__mean_15m",
    "vibration_rms_slope_mm_s_per_day",
    "temperature_rise_c",
    "power_factor__mean_1h",
)


class FeaturesQuerySerializer(SignalsQuerySerializer):
    fields = serializers.RegexField(  # a query parameter named fields
        fields_pattern(FEATURE_COLUMNS),
        required=False,
        help_text="comma-separated feature names; default the charted features",
    )
    allowed_fields = FEATURE_COLUMNS
    default_fields = CHART_FEATURES


class AssetFeaturesView(APIView):
    required_scope = TokenScope.READ

    @extend_schema(
        parameters=[FeaturesQuerySerializer],
        responses={200: OpenApiResponse(description="series"), 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        operation_id="asset_features",
        summary="Features of one asset, raw or downsampled (UTC; point budget as for signals)",
    )
    def get(self, request: Request, asset_id: str) -> Response:
        asset = asset_or_404(request, asset_id)
        query = FeaturesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(series_read(measurement="features", asset=asset, **query.validated_data))
