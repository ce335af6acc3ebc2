"""Render a stored report request into its file: gather the content once, hand it to the format."""

from __future__ import annotations

from django.utils import timezone

from .content import report_data
from .forecast import forecast_for_report
from .models import Report, ReportFormat


def report_render(*, report: Report) -> bytes:
    """The PDF or Excel bytes of the report's scope and period."""
    data = report_data(
        tenant=report.tenant,
        scope=report.scope,
        scope_id=report.scope_id,
        start=report.period_start,
        end=report.period_end,
        charts=report.format == ReportFormat.PDF,
    )
    data.forecast = forecast_for_report(
        tenant=report.tenant, scope=report.scope, scope_id=report.scope_id, now=timezone.now()
    )
    if report.format == ReportFormat.PDF:
        from .pdf import pdf_render

        return pdf_render(data)
    from .xlsx import xlsx_render

    return xlsx_render(data)
