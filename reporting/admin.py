"""Stored reports in the admin: read-only, for support (the API creates them)."""

from django.contrib import admin

from .models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "tenant",
        "scope",
        "scope_id",
        "period_start",
        "period_end",
        "format",
        "status",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "format", "scope", "tenant")
    readonly_fields = [f.name for f in Report._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
