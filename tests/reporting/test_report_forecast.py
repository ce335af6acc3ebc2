"""The reports' load forecast section: the PDF and the Excel file carry the forecast the API
serves for the report's scope, with its model version and backtest, or the refusal reason."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from analytics.forecast import tasks
from ingestion.models import Site
from reporting.models import Report
from reporting.render import report_render
from tests.analytics.forecast.rollups import this_hour, weekly_load, write_rollups
from tests.factories import AssetFactory, TenantFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _report(tenant, fmt: str, scope_id: str) -> Report:
    end = this_hour()
    return Report(
        tenant=tenant,
        scope="asset",
        scope_id=scope_id,
        period_start=end - timedelta(days=7),
        period_end=end,
        format=fmt,
        expires_at=end + timedelta(days=1),
    )


def _pdf_text(data: bytes) -> str:
    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages
    )


def test_a_trained_scope_gets_the_forecast_section_in_pdf_and_excel(influx_settings):
    tenant = TenantFactory(name="plant")
    Site.objects.create(tenant=tenant, code="main", name="Main", timezone="UTC")
    AssetFactory(tenant=tenant, asset_id="MTR-1", supply_site="main", asset_type="meter")
    times, kw = weekly_load(42 * 24, this_hour())
    write_rollups("MTR-1", times, kw)
    tasks.forecast_train_task(tenant.pk, "asset", "MTR-1")

    text = _pdf_text(report_render(report=_report(tenant, "pdf", "MTR-1")))
    assert "Load forecast, next 7 days" in text
    assert "Model version 1" in text and "Backtest on its last 14 days" in text

    wb = load_workbook(io.BytesIO(report_render(report=_report(tenant, "xlsx", "MTR-1"))))
    ws = wb["forecast"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert [r[1] for r in rows].count("measured") == 168 and [r[1] for r in rows].count("forecast") == 168
    measured_last = [r for r in rows if r[1] == "measured"][-1]
    assert measured_last[2] == pytest.approx(kw[-1], rel=1e-9)
    assert all(r[3] <= r[2] <= r[4] for r in rows if r[1] == "forecast")
    assert ws["A1"].value.startswith("Model version 1")


def test_a_refused_scope_says_why_in_the_report(influx_settings):
    tenant = TenantFactory(name="young")
    AssetFactory(tenant=tenant, asset_id="NEW-1", supply_site="main")
    times, kw = weekly_load(5 * 24, this_hour())
    write_rollups("NEW-1", times, kw)
    tasks.forecast_train_task(tenant.pk, "asset", "NEW-1")

    text = _pdf_text(report_render(report=_report(tenant, "pdf", "NEW-1")))
    assert "No forecast: 120 h of history" in text
    wb = load_workbook(io.BytesIO(report_render(report=_report(tenant, "xlsx", "NEW-1"))))
    assert wb["forecast"]["A1"].value.startswith("No forecast: 120 h of history")
