"""Shapes of GET /api/v1/forecast (docs/CONTRACTS.md §19.2)."""

from __future__ import annotations

from rest_framework import serializers

from ingestion.serializers import QuerySerializer

from .models import ForecastScope, ForecastStatus

FORECAST_STATUSES = ("ok", "refused", "not_trained", "no_recent_load")


class ForecastQuerySerializer(QuerySerializer):
    scope = serializers.ChoiceField(
        choices=ForecastScope.values, help_text="asset (a meter is an asset), site or fleet"
    )
    id = serializers.CharField(
        required=False, max_length=64, help_text="asset_id (scope=asset) or site code (scope=site)"
    )
    horizon = serializers.ChoiceField(
        choices=("24h", "168h"), default="24h", help_text="hours forecast after the origin (default 24h)"
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["scope"] != ForecastScope.FLEET and not attrs.get("id"):
            raise serializers.ValidationError({"id": f"id is required for scope={attrs['scope']}"})
        if attrs["scope"] == ForecastScope.FLEET and attrs.get("id"):
            raise serializers.ValidationError({"id": "scope=fleet takes no id"})
        attrs["horizon_h"] = int(attrs["horizon"].removesuffix("h"))
        return attrs


class RefusalSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=("history_too_short", "history_too_sparse"))
    reason = serializers.CharField()


class DayAheadBacktestSerializer(serializers.Serializer):
    days = serializers.IntegerField(required=False, help_text="held-back days forecast")
    hours = serializers.IntegerField(required=False, help_text="hours scored")
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    mae_kw = serializers.FloatField(required=False)
    seasonal_naive_mae_kw = serializers.FloatField(required=False)
    persistence_mae_kw = serializers.FloatField(required=False)
    mae_vs_seasonal_naive = serializers.FloatField(required=False, allow_null=True)
    mae_vs_persistence = serializers.FloatField(required=False, allow_null=True)
    interval_coverage = serializers.FloatField(required=False)
    refused = serializers.CharField(required=False, help_text="why there are no figures (a §19 rule)")
    reason = serializers.CharField(required=False)


class BacktestSerializer(serializers.Serializer):
    day_ahead = DayAheadBacktestSerializer(required=False)


class ForecastVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ForecastStatus.values)
    created_at = serializers.DateTimeField()
    history_start = serializers.DateTimeField(allow_null=True)
    training_start = serializers.DateTimeField(allow_null=True)
    training_end = serializers.DateTimeField()
    covered_hours = serializers.IntegerField()
    timezone = serializers.CharField()
    features = serializers.ListField(child=serializers.CharField())
    samples = serializers.IntegerField()
    backtest = BacktestSerializer()
    refusal = RefusalSerializer(allow_null=True)


class MeasuredHourSerializer(serializers.Serializer):
    time = serializers.DateTimeField(help_text="UTC start of the hour")
    load_kw = serializers.FloatField(allow_null=True, help_text="measured mean kW; null: not measured")


class ForecastHourSerializer(serializers.Serializer):
    time = serializers.DateTimeField(help_text="UTC start of the hour")
    load_kw = serializers.FloatField(help_text="median")
    low_kw = serializers.FloatField(help_text="lower end of the 80 % interval")
    high_kw = serializers.FloatField(help_text="upper end of the 80 % interval")


class ForecastSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=ForecastScope.values)
    id = serializers.CharField(allow_null=True)
    assets = serializers.ListField(child=serializers.CharField(), help_text="the assets summed")
    horizon_h = serializers.IntegerField()
    timezone = serializers.CharField(help_text="zone of the calendar features")
    unit = serializers.CharField()
    interval = serializers.FloatField(help_text="share of hours the interval is meant to hold")
    status = serializers.ChoiceField(choices=FORECAST_STATUSES)
    reason = serializers.CharField(allow_null=True, help_text="why there are no points (status not ok)")
    model = ForecastVersionSerializer(allow_null=True, help_text="the newest version of the scope")
    origin = serializers.DateTimeField(allow_null=True, help_text="the newest measured hour (UTC start)")
    history = MeasuredHourSerializer(
        many=True, help_text="measured load of the horizon_h hours up to the origin"
    )
    points = ForecastHourSerializer(many=True)
