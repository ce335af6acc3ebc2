"""Admin of report schedules and their deliveries.

Saving a schedule here goes through `services.schedule_save`, so its beat PeriodicTask (also
editable under "Periodic tasks") follows; the form runs the model's clean(), which names the field
and rule of a bad value. Deliveries are read-only: they record what was sent.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import ReportDelivery, ReportSchedule

DELIVERY_FIELDS: Any = ["period_start", "period_end", "timezone", "status", "attempts", "error", "sent_at"]


class DeliveryInline(admin.TabularInline):
    model = ReportDelivery
    extra = 0
    can_delete = False
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "tenant", "scope", "scope_id", "period_rule", "formats", "enabled", "run_at"]
    list_filter = ["tenant", "enabled", "period_rule", "scope"]
    search_fields = ["name", "scope_id"]
    fields = [
        "tenant",
        "name",
        "scope",
        "scope_id",
        "period_rule",
        "formats",
        "recipients",
        "enabled",
        "run_at",
        "cron",
        "periodic_task",
        "created_by",
    ]
    readonly_fields = ["periodic_task", "created_by"]
    inlines = [DeliveryInline]

    def save_model(self, request: HttpRequest, obj: ReportSchedule, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user.get_username()
        services.schedule_save(schedule=obj)

    def delete_model(self, request: HttpRequest, obj: ReportSchedule) -> None:
        services.schedule_delete(schedule=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ReportSchedule]) -> None:
        for schedule in queryset:
            services.schedule_delete(schedule=schedule)


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(admin.ModelAdmin):
    list_display = ["schedule", "period_start", "period_end", "status", "attempts", "sent_at"]
    list_filter = ["status", "schedule__tenant"]
    readonly_fields = [
        "schedule",
        "period_start",
        "period_end",
        "timezone",
        "reports",
        "recipients",
        "status",
        "attempts",
        "next_attempt_at",
        "error",
        "created_at",
        "sent_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
