"""Shapes of the reports API (docs/CONTRACTS.md §16.4)."""

from __future__ import annotations

from rest_framework import serializers

from ingestion.serializers import AwareDateTimeField, StrictTypesMixin

from .models import Report, ReportFormat, ReportScope


class ReportRequestSerializer(StrictTypesMixin, serializers.Serializer):
    """The body of POST /api/v1/reports: what to report on, the period and the file format."""

    scope = serializers.ChoiceField(choices=ReportScope.values, help_text="asset, site or fleet")
    id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="asset_id (scope=asset) or site code (scope=site)",
    )
    start = AwareDateTimeField(help_text="RFC 3339 with zone, on a whole half-hour")
    end = AwareDateTimeField(
        help_text="RFC 3339 with zone, exclusive, on a whole half-hour; at most 366 days after start"
    )
    format = serializers.ChoiceField(choices=ReportFormat.values, help_text="pdf or xlsx")


class ReportSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(read_only=True)
    start = serializers.DateTimeField(source="period_start")
    end = serializers.DateTimeField(source="period_end")
    filename = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "scope",
            "scope_id",
            "start",
            "end",
            "format",
            "status",
            "error",
            "size_bytes",
            "created_at",
            "expires_at",
            "requested_by",
            "filename",
            "status_url",
            "download_url",
        ]

    def get_filename(self, obj: Report) -> str:
        from .services import report_filename

        return report_filename(report=obj)

    def get_status_url(self, obj: Report) -> str:
        return f"/api/v1/reports/{obj.pk}"

    def get_download_url(self, obj: Report) -> str | None:
        return f"/api/v1/reports/{obj.pk}/download" if obj.status == "ready" else None
