"""Shapes of the assessment API (docs/CONTRACTS.md §13, §15.3, §17) and its query validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from ingestion.serializers import RESOLUTION_PATTERN, QuerySerializer, StrictTypesMixin, query_window

from .models import (
    Alert,
    AlertCause,
    AlertCondition,
    AlertKind,
    AlertState,
    AlertTransition,
    NotificationAttempt,
    Resolution,
    Severity,
)


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise serializers.ValidationError({name: f"{name} must include a UTC offset or Z"})
    return value.astimezone(UTC)


class AwareDateTimeField(serializers.DateTimeField):
    """RFC 3339 with a zone; a naive time is refused (DRF would silently assume the server zone)."""

    default_error_messages = {"naive": "the time must include a UTC offset or Z (naive times are ambiguous)"}

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = parse_datetime(value.strip())
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


class FactorSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    unit = serializers.CharField()
    baseline_mean = serializers.FloatField(allow_null=True)
    baseline_std = serializers.FloatField(allow_null=True)
    deviation_sigma = serializers.FloatField(allow_null=True)
    deviation_pct = serializers.FloatField(allow_null=True)
    rule = serializers.CharField()
    limits = serializers.DictField()
    zone = serializers.CharField(allow_null=True)
    penalty = serializers.FloatField()
    share_of_drop = serializers.FloatField()


class OpenAlertSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    cause = serializers.CharField()
    severity = serializers.CharField()
    state = serializers.CharField()
    opened_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    guidance = serializers.DictField()


class AssetHealthSerializer(serializers.Serializer):
    asset_id = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["ok", "stale", "no_baseline", "no_data"],
        help_text="no_data: no assessment yet; stale: no recent events (evaluated now); "
        "no_baseline: assessed without an active baseline; ok otherwise",
    )
    evaluated_at = serializers.DateTimeField(help_text="request time at which `stale` was evaluated")
    as_of = serializers.DateTimeField(allow_null=True, help_text="event time of the newest data used")
    created_at = serializers.DateTimeField(allow_null=True, help_text="wall clock of the computation")
    newest_event_time = serializers.DateTimeField(allow_null=True)
    health_score = serializers.IntegerField(allow_null=True)
    risk_level = serializers.CharField(allow_null=True)
    risk_code = serializers.IntegerField(allow_null=True)
    overrides = serializers.ListField(child=serializers.CharField())
    rul_days = serializers.FloatField(allow_null=True)
    rul_interval = serializers.ListField(
        child=serializers.FloatField(), allow_null=True, help_text="[low, high]"
    )
    rul_reason = serializers.CharField(allow_null=True)
    rul_channel = serializers.CharField(allow_null=True)
    rul_capped = serializers.BooleanField()
    stale = serializers.BooleanField()
    stale_after_s = serializers.FloatField(allow_null=True)
    baseline_missing = serializers.BooleanField()
    baseline_version = serializers.IntegerField(allow_null=True)
    model_version = serializers.IntegerField(allow_null=True)
    anomaly_score = serializers.FloatField(allow_null=True)
    explanation = serializers.CharField()
    factors = FactorSerializer(many=True)
    open_alerts = OpenAlertSummarySerializer(many=True)
    contract_version = serializers.CharField()


class HealthHistoryQuerySerializer(QuerySerializer):
    start = AwareDateTimeField(required=False, help_text="RFC 3339; default end - 7 days")
    end = AwareDateTimeField(required=False, help_text="RFC 3339, exclusive; default now")
    resolution = serializers.RegexField(
        RESOLUTION_PATTERN,
        required=False,
        default="auto",
        help_text="raw, auto (at most 500 buckets) or a bucket like 10m, 1h, 1d",
    )
    points = serializers.IntegerField(
        required=False,
        min_value=10,
        max_value=10000,
        help_text="the chart's width in points: with resolution auto, raw points when the range "
        "holds at most this many, else the smallest bucket giving at most this many (min/max envelope)",
    )

    def validate(self, attrs: dict) -> dict:
        end = _aware(attrs["end"], "end") if "end" in attrs else None
        start = _aware(attrs["start"], "start") if "start" in attrs else None
        start, end = query_window(start=start, end=end, default_span=timedelta(days=7))
        attrs.update(start=start, end=end)
        return attrs


class HealthHistorySerializer(serializers.Serializer):
    asset_id = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    resolution = serializers.CharField()
    series = serializers.ListField(child=serializers.DictField())


class AlertTransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertTransition
        fields = ["action", "from_state", "to_state", "actor", "at", "event_time", "note"]


class NotificationAttemptSerializer(serializers.ModelSerializer):
    channel = serializers.SerializerMethodField()

    class Meta:
        model = NotificationAttempt
        fields = [
            "event",
            "channel",
            "delivery_id",
            "status",
            "attempts",
            "last_error",
            "last_status_code",
            "sent_at",
            "created_at",
        ]

    def get_channel(self, obj: NotificationAttempt) -> str:
        return f"{obj.channel.kind}:{obj.channel.target}"


class AlertConditionSerializer(serializers.ModelSerializer):
    """One condition of an equipment incident (docs/CONTRACTS.md §15.3)."""

    class Meta:
        model = AlertCondition
        fields = [
            "cause",
            "severity",
            "active",
            "first_seen_at",
            "last_seen_at",
            "value",
            "peak_value",
            "unit",
            "occurrences",
            "cleared_at",
        ]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    """The alert record of docs/CONTRACTS.md §15.3 (also the webhook body's ``alert``)."""

    asset_id = serializers.SerializerMethodField(help_text="null for a site supply alert (§15.6)")
    site = serializers.CharField(read_only=True)
    assessment_id = serializers.IntegerField(read_only=True, allow_null=True)
    factors = serializers.ListField(child=serializers.DictField(), read_only=True)
    guidance = serializers.DictField(read_only=True)
    resolution = serializers.ChoiceField(
        choices=Resolution.choices, read_only=True, allow_null=True, help_text="null while active"
    )
    conditions = AlertConditionSerializer(
        many=True, read_only=True, help_text="empty unless kind is equipment"
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "asset_id",
            "site",
            "kind",
            "cause",
            "severity",
            "peak_severity",
            "state",
            "reopen_count",
            "conditions",
            "opened_at",
            "last_seen_at",
            "created_at",
            "updated_at",
            "value",
            "peak_value",
            "unit",
            "occurrences",
            "assessment_id",
            "explanation",
            "factors",
            "guidance",
            "acknowledged_by",
            "acknowledged_at",
            "comment",
            "resolved_by",
            "resolved_at",
            "resolved_event_time",
            "note",
            "resolution",
            "auto_resolved",
            "escalated_at",
            "last_notified_at",
            "notification_count",
        ]
        read_only_fields = fields

    def get_asset_id(self, obj: Alert) -> str | None:
        return obj.asset.asset_id if obj.asset_id is not None else None  # type: ignore[union-attr]


class AlertDetailSerializer(AlertSerializer):
    transitions = AlertTransitionSerializer(many=True, read_only=True)
    notifications = NotificationAttemptSerializer(many=True, read_only=True, source="notification_attempts")

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "transitions", "notifications"]
        read_only_fields = fields


class AlertListQuerySerializer(QuerySerializer):
    state = serializers.MultipleChoiceField(
        choices=AlertState.choices, required=False, help_text="repeatable"
    )
    asset_id = serializers.CharField(required=False, max_length=64)
    kind = serializers.ChoiceField(choices=AlertKind.choices, required=False)
    cause = serializers.ChoiceField(
        choices=AlertCause.choices, required=False, help_text="the alert's cause or one of its conditions"
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    since = AwareDateTimeField(required=False, help_text="same as opened_after")
    opened_after = AwareDateTimeField(required=False, help_text="opened_at (event time) >= this")
    opened_before = AwareDateTimeField(required=False, help_text="opened_at (event time) < this")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=100)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=10**9, default=0)

    def validate(self, attrs: dict) -> dict:
        for name in ("since", "opened_after", "opened_before"):
            if name in attrs:
                attrs[name] = _aware(attrs[name], name)
        if "since" in attrs:
            after = attrs.pop("since")
            attrs["opened_after"] = max(after, attrs.get("opened_after", after))
        attrs["states"] = sorted(attrs.pop("state", []))
        return attrs


class AlertPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    results = AlertSerializer(many=True)


class AcknowledgeSerializer(StrictTypesMixin, serializers.Serializer):
    # The pattern states in the schema what CharField already refuses (a NUL character), so a
    # client generating from the schema never sends a comment the API must reject.
    comment = serializers.RegexField(
        r"^[^\x00]+$",  # + not *: a blank comment is the schema's other branch (oneOf)
        required=False,
        allow_blank=True,
        max_length=4000,
        default="",
        help_text="free text without NUL characters",
    )


class ResolveSerializer(StrictTypesMixin, serializers.Serializer):
    note = serializers.RegexField(
        r"^[^\x00]*\S[^\x00]*$",
        max_length=4000,
        help_text="what was found and done (required, not only blanks, no NUL characters)",
    )


class FleetAssetSerializer(serializers.Serializer):
    asset_id = serializers.CharField()
    name = serializers.CharField()
    asset_type = serializers.CharField()
    health_score = serializers.IntegerField(allow_null=True)
    risk_level = serializers.CharField(allow_null=True)
    risk_code = serializers.IntegerField(allow_null=True)
    rul_days = serializers.FloatField(allow_null=True)
    rul_interval = serializers.ListField(
        child=serializers.FloatField(), allow_null=True, help_text="[low, high] of the 80% interval"
    )
    rul_reason = serializers.CharField(allow_null=True)
    as_of = serializers.DateTimeField(allow_null=True)
    newest_event_time = serializers.DateTimeField(allow_null=True)
    stale = serializers.BooleanField()
    baseline_missing = serializers.BooleanField()
    open_alerts = serializers.IntegerField()


class FleetHealthSerializer(serializers.Serializer):
    evaluated_at = serializers.DateTimeField()
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="assets per risk level and no_data"
    )
    stale = serializers.IntegerField()
    assets = FleetAssetSerializer(many=True)
