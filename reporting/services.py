"""Writes of the reporting app: request a report, build it, read its file, expire old ones.

A report is a stored file (docs/CONTRACTS.md §16.4). Small requests are built inside the request so
the API can answer with the file; larger ones are built by `report_build_task` after the row commits.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.energy.calendar import on_block_grid
from ingestion.models import Asset, Tenant
from ingestion.selectors import asset_get, site_get

from .models import Report, ReportFormat, ReportScope, ReportStatus

log = logging.getLogger(__name__)

MAX_PERIOD = timedelta(days=366)
CONTENT_TYPES: dict[str, str] = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ReportInvalid(Exception):
    """A request that cannot be a report as asked (400 naming the field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ReportScopeNotFound(Exception):
    """No such asset or site in the caller's tenant (404, the same as another tenant's)."""


def _reports_dir() -> Path:
    return Path(settings.DATA_DIR) / "reports"


def scope_asset_count(*, tenant: Tenant, scope: str, scope_id: str) -> int:
    """How many active assets the report covers (decides whether it is built in the request)."""
    if scope == ReportScope.ASSET:
        return 1
    qs = Asset.objects.filter(tenant=tenant, active=True)
    if scope == ReportScope.SITE:
        qs = qs.filter(supply_site=scope_id)
    return qs.count()


def report_validate(
    *,
    tenant: Tenant,
    scope: str,
    scope_id: str | None,
    period_start: datetime,
    period_end: datetime,
    fmt: str,
) -> str:
    """Check a request; the normalised scope id. Raises ReportInvalid / ReportScopeNotFound."""
    if scope not in ReportScope.values:
        raise ReportInvalid("scope", f"scope must be one of {', '.join(ReportScope.values)}")
    if fmt not in ReportFormat.values:
        raise ReportInvalid("format", f"format must be one of {', '.join(ReportFormat.values)}")
    for name, value in (("start", period_start), ("end", period_end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ReportInvalid(name, f"{name} must carry a time zone (RFC 3339, e.g. 2025-01-01T00:00:00Z)")
    for name, value in (("start", period_start), ("end", period_end)):
        if not on_block_grid(value):
            raise ReportInvalid(
                name, f"{name} must be on a whole half-hour (energy is kept in 30-minute blocks)"
            )
    if period_end <= period_start:
        raise ReportInvalid("end", "end must be after start (the period is [start, end))")
    if period_end - period_start > MAX_PERIOD:
        raise ReportInvalid("end", "the period is longer than 366 days")
    scope_id = (scope_id or "").strip()
    if scope == ReportScope.FLEET:
        return ""
    if not scope_id:
        raise ReportInvalid(
            "id", f"id is required for scope {scope} (the {'asset id' if scope == 'asset' else 'site code'})"
        )
    if scope == ReportScope.ASSET and asset_get(tenant=tenant, asset_id=scope_id) is None:
        raise ReportScopeNotFound(f"no asset {scope_id!r} in this tenant")
    if scope == ReportScope.SITE and site_get(tenant=tenant, code=scope_id) is None:
        raise ReportScopeNotFound(f"no site {scope_id!r} in this tenant")
    return scope_id


def report_is_small(*, report: Report) -> bool:
    """Whether the report is built inside the request: assets x days within the configured size."""
    days = (report.period_end - report.period_start).total_seconds() / 86400
    assets = scope_asset_count(tenant=report.tenant, scope=report.scope, scope_id=report.scope_id)
    return max(assets, 1) * days <= settings.REPORTS_SYNC_MAX_ASSET_DAYS


def report_request(
    *,
    tenant: Tenant,
    scope: str,
    scope_id: str | None,
    period_start: datetime,
    period_end: datetime,
    fmt: str,
    requested_by: str | None = None,
) -> Report:
    """Validate and store a report request; build it now when small, else enqueue its build.

    The returned report is `ready` (or `failed`) when it was small, `queued` otherwise.
    """
    scope_id = report_validate(
        tenant=tenant,
        scope=scope,
        scope_id=scope_id,
        period_start=period_start,
        period_end=period_end,
        fmt=fmt,
    )
    report = Report.objects.create(
        tenant=tenant,
        scope=scope,
        scope_id=scope_id,
        period_start=period_start,
        period_end=period_end,
        format=fmt,
        status=ReportStatus.QUEUED,
        expires_at=timezone.now() + timedelta(days=settings.REPORTS_EXPIRE_DAYS),
        requested_by=(requested_by or "")[:150],
    )
    if report_is_small(report=report):
        return report_build(report_id=report.pk)
    from .tasks import report_build_task

    report_id = str(report.pk)
    transaction.on_commit(lambda: report_build_task.delay(report_id))
    return report


def report_filename(*, report: Report) -> str:
    """`pdm-report-{tenant}-{start:%Y%m%dT%H%MZ}-{end:%Y%m%dT%H%MZ}.{fmt}` (§16.3), tenant slugged."""
    tenant = re.sub(r"[^A-Za-z0-9]+", "-", report.tenant.name).strip("-").lower() or "tenant"
    start = report.period_start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    end = report.period_end.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return f"pdm-report-{tenant}-{start}-{end}.{report.format}"


def report_build(*, report_id: uuid.UUID | str) -> Report:
    """Render the report and store its file; mark it ready, or failed with the error.

    Idempotent: a report that is ready with its file in place is returned as it is.
    """
    from .render import report_render

    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("tenant").get(pk=report_id)
        if (
            report.status == ReportStatus.READY
            and report.file
            and (Path(settings.DATA_DIR) / report.file).exists()
        ):
            return report
        report.status = ReportStatus.RUNNING
        report.save(update_fields=["status"])
    try:
        content = report_render(report=report)
    except Exception as exc:  # a failed build is recorded, never raised into a worker loop
        log.exception("report %s failed", report.pk)
        report.status = ReportStatus.FAILED
        report.error = f"{type(exc).__name__}: {exc}"[:2000]
        report.save(update_fields=["status", "error"])
        return report
    relative = Path("reports") / str(report.tenant_id) / f"{report.pk}.{report.format}"
    path = Path(settings.DATA_DIR) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(content)
    partial.replace(path)
    report.file = str(relative)
    report.size_bytes = len(content)
    report.status = ReportStatus.READY
    report.error = ""
    report.save(update_fields=["file", "size_bytes", "status", "error"])
    return report


def report_content(*, report: Report) -> bytes:
    """The stored file of a ready report (FileNotFoundError when it has none)."""
    if report.status != ReportStatus.READY or not report.file:
        raise FileNotFoundError(f"report {report.pk} is {report.status}, not ready")
    return (Path(settings.DATA_DIR) / report.file).read_bytes()


def reports_expire(*, now: datetime | None = None) -> int:
    """Delete every report past its `expires_at` with its file; how many were deleted."""
    now = now or timezone.now()
    expired = list(Report.objects.filter(expires_at__lte=now))
    for report in expired:
        if report.file:
            (Path(settings.DATA_DIR) / report.file).unlink(missing_ok=True)
        report.delete()
    return len(expired)
