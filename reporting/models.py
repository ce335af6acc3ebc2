"""Stored reports (docs/CONTRACTS.md §16): one row per requested file, its status and where the file is."""

from __future__ import annotations

import uuid

from django.db import models

from ingestion.models import Tenant


class ReportScope(models.TextChoices):
    ASSET = "asset", "asset"
    SITE = "site", "site"
    FLEET = "fleet", "fleet"


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    READY = "ready", "ready"
    FAILED = "failed", "failed"


class Report(models.Model):
    """A report of one tenant over `[period_start, period_end)` (UTC) for an asset, a site or the fleet.

    The file lives under `PDM_DATA_DIR/reports/` (`file` is relative to PDM_DATA_DIR) until `expires_at`,
    when the cleanup service deletes file and row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="reports")
    scope = models.CharField(max_length=8, choices=ReportScope.choices)
    scope_id = models.CharField(max_length=64, blank=True, default="")  # asset id, site code, "" for fleet
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    format = models.CharField(max_length=8, choices=ReportFormat.choices)
    status = models.CharField(max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    error = models.TextField(blank=True, default="")
    file = models.CharField(max_length=255, blank=True, default="")
    size_bytes = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    requested_by = models.CharField(max_length=150, blank=True, default="")  # principal label

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"]), models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.scope}:{self.scope_id or '-'} {self.format} {self.status}"


# Report schedules live in their subpackage; importing them here registers them with the app.
from .schedules.models import ReportDelivery, ReportSchedule  # noqa: E402, F401
