"""Reads of report schedules, always scoped by tenant (another tenant's schedule is not found)."""

from __future__ import annotations

from django.db.models import QuerySet

from ingestion.models import Tenant

from .models import ReportDelivery, ReportSchedule


def schedule_list(*, tenant: Tenant) -> QuerySet[ReportSchedule]:
    return ReportSchedule.objects.filter(tenant=tenant).select_related("tenant").order_by("id")


def schedule_get(*, tenant: Tenant, schedule_id: int) -> ReportSchedule | None:
    return schedule_list(tenant=tenant).filter(pk=schedule_id).first()


def delivery_list(*, schedule: ReportSchedule) -> QuerySet[ReportDelivery]:
    return schedule.deliveries.prefetch_related("reports").order_by("-period_start", "-id")
