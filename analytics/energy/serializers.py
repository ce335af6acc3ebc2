"""Shapes of the energy API (docs/CONTRACTS.md §18.9): the query, the summary and tariffs."""

from __future__ import annotations

from datetime import timedelta

from rest_framework import serializers

from ingestion.schemas import MIN_TIMESTAMP
from ingestion.serializers import MAX_QUERY_TIME, AwareDateTimeField, QuerySerializer

from .calendar import BUCKETS, on_block_grid
from .models import TARIFF_FIELDS, Tariff
from .selectors import SCOPES

MAX_PERIOD = timedelta(days=367)


class EnergyQuerySerializer(QuerySerializer):
    scope = serializers.ChoiceField(choices=SCOPES, help_text="asset, site or fleet")
    id = serializers.CharField(
        required=False, max_length=64, help_text="asset_id (scope=asset) or site code (scope=site)"
    )
    start = AwareDateTimeField(help_text="RFC 3339 with zone, on a whole half-hour (UTC)")
    end = AwareDateTimeField(
        help_text="RFC 3339 with zone, exclusive, on a whole half-hour; at most 367 days after start"
    )
    bucket = serializers.ChoiceField(
        choices=BUCKETS, default="day", help_text="series bucket in site-local time (default day)"
    )

    def validate(self, attrs: dict) -> dict:
        start, end = attrs["start"], attrs["end"]
        for name in ("start", "end"):
            if not on_block_grid(attrs[name]):
                raise serializers.ValidationError(
                    {name: f"{name} must be on a whole half-hour (energy is kept in 30-minute blocks)"}
                )
        if start < MIN_TIMESTAMP:
            raise serializers.ValidationError(
                {"start": f"start must be at or after {MIN_TIMESTAMP.isoformat()}"}
            )
        if end > MAX_QUERY_TIME:
            raise serializers.ValidationError(
                {"end": f"end must be at or before {MAX_QUERY_TIME.isoformat()}"}
            )
        if start >= end:
            raise serializers.ValidationError({"end": "end must be after start"})
        if end - start > MAX_PERIOD:
            raise serializers.ValidationError({"end": "the period may span at most 367 days"})
        if attrs["scope"] != "fleet" and not attrs.get("id"):
            raise serializers.ValidationError({"id": f"id is required for scope={attrs['scope']}"})
        return attrs


class EnergyTodayQuerySerializer(QuerySerializer):
    site = serializers.CharField(
        required=False, max_length=64, help_text="a site code: only its assets (default: the fleet)"
    )


class EnergyTodayAssetSerializer(serializers.Serializer):
    asset_id = serializers.CharField()
    site = serializers.CharField()
    timezone = serializers.CharField(help_text="the site's time zone, whose midnight starts the day")
    start = serializers.DateTimeField(help_text="the block holding the site's local midnight (UTC)")
    end = serializers.DateTimeField(help_text="exclusive: the end of the half-hour holding evaluated_at")
    energy_kwh = serializers.FloatField(
        allow_null=True, help_text="energy of [start, end); null when no block of it has data"
    )
    covered_h = serializers.FloatField(help_text="hours of [start, end) with data")


class EnergyTodaySerializer(serializers.Serializer):
    evaluated_at = serializers.DateTimeField()
    site = serializers.CharField(allow_null=True)
    assets = EnergyTodayAssetSerializer(many=True)


class CoverageSerializer(serializers.Serializer):
    period_h = serializers.FloatField()
    assets = serializers.IntegerField()
    asset_hours = serializers.FloatField()
    covered_h = serializers.FloatField()
    gap_h = serializers.FloatField(help_text="asset-hours without data: never filled")


class CostSerializer(serializers.Serializer):
    currency = serializers.CharField()
    energy = serializers.FloatField(allow_null=True)
    time_of_day = serializers.FloatField(allow_null=True)
    pf_adjustment = serializers.FloatField(
        allow_null=True, help_text="positive: penalty; negative: incentive"
    )
    demand = serializers.FloatField()
    fixed = serializers.FloatField(allow_null=True, help_text="null for an asset: the site connection's")
    total = serializers.FloatField()
    uncosted_kwh = serializers.FloatField(help_text="energy in blocks before the first tariff version")


class EnergyFiguresSerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    energy_kwh = serializers.FloatField(allow_null=True)
    apparent_energy_kvah = serializers.FloatField(allow_null=True)
    reactive_energy_kvarh = serializers.FloatField(allow_null=True)
    power_factor = serializers.FloatField(allow_null=True, help_text="energy-weighted: kWh / kVAh")
    max_demand_kva = serializers.FloatField(allow_null=True, help_text="highest 30-minute average kVA")
    max_demand_at = AwareDateTimeField(allow_null=True, help_text="start of that 30-minute block")
    load_factor = serializers.FloatField(allow_null=True)
    running_h = serializers.FloatField(allow_null=True)
    idle_running_h = serializers.FloatField(allow_null=True)
    idle_energy_kwh = serializers.FloatField(allow_null=True)
    co2_t = serializers.FloatField(allow_null=True)
    degradation_loss_kwh = serializers.FloatField(allow_null=True)
    healthy_model_kwh = serializers.FloatField(allow_null=True)
    measured_model_kwh = serializers.FloatField(allow_null=True)
    healthy_model_h = serializers.FloatField()
    coverage = CoverageSerializer()
    cost = CostSerializer(allow_null=True)


class EnergyBucketSerializer(EnergyFiguresSerializer):
    # A declared field named `label`: DRF's metaclass takes it out of the class attributes, so
    # it never shadows Field.label (a str); the stubs see only the class body.
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="site-local: 2025-01-15 17:00, 2025-01-15, 2025-01-15 A, 2025-01"
    )
    start_local = serializers.CharField(help_text="bucket start in site time, RFC 3339 with offset")


class BillingMonthSerializer(serializers.Serializer):
    site = serializers.CharField()
    month = serializers.CharField()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    share_in_period = serializers.FloatField()
    tariff_effective_from = serializers.CharField(allow_null=True)
    billing_basis = serializers.CharField(allow_null=True)
    energy_kwh = serializers.FloatField()
    apparent_energy_kvah = serializers.FloatField()
    power_factor = serializers.FloatField(allow_null=True)
    pf_billed = serializers.FloatField(allow_null=True)
    pf_adjustment_pct = serializers.FloatField(allow_null=True)
    pf_slabs = serializers.ListField(child=serializers.CharField())
    max_demand_kva = serializers.FloatField(allow_null=True)
    max_demand_at = AwareDateTimeField(allow_null=True)
    billing_demand_kva = serializers.FloatField(allow_null=True)
    demand_charge = serializers.FloatField(allow_null=True)
    fixed_charge = serializers.FloatField(allow_null=True)


class EnergySummarySerializer(serializers.Serializer):
    scope = serializers.CharField()
    id = serializers.CharField(allow_null=True)
    asset_id = serializers.CharField(required=False)
    site = serializers.CharField(required=False)
    assets = serializers.ListField(child=serializers.CharField(), required=False)
    sites = serializers.ListField(child=serializers.CharField(), required=False)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    bucket = serializers.CharField()
    timezone = serializers.CharField()
    currency = serializers.CharField()
    totals = EnergyFiguresSerializer()
    series = EnergyBucketSerializer(many=True)
    billing_months = BillingMonthSerializer(many=True)


class TariffVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tariff
        fields = [*TARIFF_FIELDS, "updated_at"]


class SiteTariffSerializer(serializers.Serializer):
    site = serializers.CharField()
    timezone = serializers.CharField()
    currency = serializers.CharField()
    versions = TariffVersionSerializer(many=True)


class TariffPutSerializer(serializers.Serializer):
    """Documentation of the PUT body; the versions are validated by the tariff rules."""

    versions = serializers.ListField(
        child=serializers.DictField(), help_text="every version of the site's tariff (replaces them)"
    )


class SiteSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    timezone = serializers.CharField()
    grid_factor_t_per_mwh = serializers.FloatField()
    contract_demand_kva = serializers.FloatField(allow_null=True)
    idle_below_load_pct = serializers.FloatField()
    shifts = serializers.ListField(child=serializers.DictField())
    weekly_off_days = serializers.ListField(child=serializers.CharField())
    configured = serializers.BooleanField(help_text="false: only assets name it; defaults apply")
