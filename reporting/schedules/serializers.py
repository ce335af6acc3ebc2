"""Shapes of the report-schedule API (docs/CONTRACTS.md §16.5)."""

from __future__ import annotations

from datetime import time
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ingestion.serializers import StrictTypesMixin

from .models import ReportDelivery, ReportSchedule
from .periods import PeriodRule
from .rules import SCOPES, schedule_problems, schedule_timezone

DEFAULTS: dict[str, Any] = {
    "name": "",
    "scope_id": "",
    "formats": "both",
    "enabled": True,
    "run_at": time(6, 0),
    "cron": "",
}


def _one_of(values: list[str], **kwargs: Any) -> serializers.CharField:
    """A text field the OpenAPI document declares as an enum; the value is checked with the
    schedule's other values (rules.schedule_problems), which names the field and the rule."""
    field_cls = extend_schema_field({"type": "string", "enum": values})(
        type("OneOfField", (serializers.CharField,), {})
    )
    return field_cls(**kwargs)


EDITABLE = ("name", "scope", "scope_id", "period_rule", "formats", "recipients", "enabled", "run_at", "cron")


class DeliverySerializer(serializers.ModelSerializer):
    reports = serializers.SerializerMethodField(help_text="the reports built for this period")

    class Meta:
        model = ReportDelivery
        fields = [
            "id",
            "period_start",
            "period_end",
            "timezone",
            "status",
            "attempts",
            "next_attempt_at",
            "error",
            "recipients",
            "reports",
            "created_at",
            "sent_at",
        ]

    def get_reports(self, obj: ReportDelivery) -> list[dict[str, Any]]:
        return [
            {"id": str(r.pk), "format": r.format, "status": r.status, "size_bytes": r.size_bytes}
            for r in sorted(obj.reports.all(), key=lambda r: r.format)
        ]


class ScheduleSerializer(serializers.ModelSerializer):
    run_at = extend_schema_field(
        {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "local HH:MM"}
    )(type("HourMinuteField", (serializers.TimeField,), {}))(format="%H:%M")
    timezone = serializers.SerializerMethodField(help_text="IANA zone of the periods and the run time")
    last_delivery = serializers.SerializerMethodField()

    class Meta:
        model = ReportSchedule
        fields = ["id", *EDITABLE, "timezone", "created_by", "created_at", "updated_at", "last_delivery"]

    def get_timezone(self, obj: ReportSchedule) -> str:
        return schedule_timezone(tenant=obj.tenant, scope=obj.scope, scope_id=obj.scope_id)

    def get_last_delivery(self, obj: ReportSchedule) -> dict[str, Any] | None:
        last = obj.deliveries.order_by("-period_start", "-id").first()
        return DeliverySerializer(last).data if last else None


class ScheduleWriteSerializer(StrictTypesMixin, serializers.Serializer):
    """The body of POST (all required but name, enabled, run_at, cron) and PATCH (any subset).
    Every rule is checked together with the schedule's other values (rules.schedule_problems)."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    scope = _one_of(list(SCOPES), max_length=8, help_text=" | ".join(SCOPES))
    scope_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="asset id, site code, or empty for fleet"
    )
    period_rule = _one_of([str(r) for r in PeriodRule], max_length=16, help_text=" | ".join(PeriodRule))
    formats = _one_of(
        ["pdf", "xlsx", "both"], max_length=8, required=False, help_text="pdf | xlsx | both (default both)"
    )
    recipients = extend_schema_field(
        {"type": "array", "items": {"type": "string", "format": "email"}, "minItems": 1, "maxItems": 50}
    )(type("RecipientsField", (serializers.ListField,), {}))(
        child=serializers.JSONField(), help_text="1 to 50 e-mail addresses"
    )
    enabled = serializers.BooleanField(required=False)
    run_at = serializers.TimeField(required=False, help_text="local HH:MM (default 06:00)")
    cron = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="optional 5-field cron, local time"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance: ReportSchedule | None = self.instance
        merged: dict[str, Any] = {
            name: attrs[name]
            if name in attrs
            else getattr(instance, name)
            if instance
            else DEFAULTS.get(name)
            for name in EDITABLE
        }
        problems = schedule_problems(
            tenant=self.context["tenant"],
            scope=str(merged["scope"]),
            scope_id=str(merged["scope_id"]),
            period_rule=str(merged["period_rule"]),
            formats=str(merged["formats"]),
            recipients=merged["recipients"],
            cron=str(merged["cron"]),
        )
        if problems:
            raise serializers.ValidationError(problems)
        return merged
