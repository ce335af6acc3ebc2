"""Shapes of the report-schedule API (docs/CONTRACTS.md §16.5)."""

from __future__ import annotations

from datetime import time
from typing import Any

from rest_framework import serializers

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
    run_at = serializers.TimeField(format="%H:%M")
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


class ScheduleWriteSerializer(serializers.Serializer):
    """The body of POST (all required but name, enabled, run_at, cron) and PATCH (any subset).
    Every rule is checked together with the schedule's other values (rules.schedule_problems)."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    scope = serializers.CharField(max_length=8, help_text=" | ".join(SCOPES))
    scope_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="asset id, site code, or empty for fleet"
    )
    period_rule = serializers.CharField(max_length=16, help_text=" | ".join(PeriodRule))
    formats = serializers.CharField(
        max_length=8, required=False, help_text="pdf | xlsx | both (default both)"
    )
    recipients = serializers.ListField(child=serializers.JSONField(), help_text="e-mail addresses")
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
