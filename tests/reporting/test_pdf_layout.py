"""Layout of the PDF for a long fleet: a table of contents with the pages of every section, page
numbers "n of N", the header on every page, vector charts whose labels stay text; and the display
formats of §14.2 (pure)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from ingestion.models import Asset
from reporting.content import AssetSection, ReportData, fleet_totals
from reporting.numbers import change_pct, excel_format, fmt, rfc3339
from reporting.pdf import pdf_render

START = datetime(2025, 3, 1, tzinfo=UTC)
END = START + timedelta(days=7)


def _figures(kwh: float) -> dict:
    return {
        "energy_kwh": kwh,
        "apparent_energy_kvah": kwh / 0.9,
        "reactive_energy_kvarh": kwh / 2,
        "power_factor": 0.9,
        "max_demand_kva": 12.345,
        "load_factor": 0.5,
        "running_h": 100.0,
        "idle_running_h": 3.0,
        "idle_energy_kwh": 4.0,
        "co2_t": kwh * 0.000727,
        "degradation_loss_kwh": None,
        "healthy_model_h": 0.0,
        "coverage": {
            "period_h": 168.0,
            "assets": 12,
            "asset_hours": 2016.0,
            "covered_h": 2000.0,
            "gap_h": 16.0,
        },
        "cost": {
            "currency": "INR",
            "energy": 1000.0,
            "time_of_day": 50.0,
            "pf_adjustment": -12.5,
            "demand": 300.0,
            "fixed": 466.67,
            "total": 1804.17,
            "uncosted_kwh": 0.0,
        },
    }


def _section(i: int) -> AssetSection:
    asset = Asset(asset_id=f"M-{i:03d}", name=f"Motor {i}", asset_type="motor", supply_site="main")
    row = {
        "asset_id": asset.asset_id,
        "name": asset.name,
        "asset_type": "motor",
        "site": "main",
        "has_data": True,
        "energy_kwh": 100.0 + i,
        "energy_gap_h": 0.25,
        "pf_mean": 0.8765,
        "pf_min": 0.5,
        "hours_pf_below_limit": 1.25,
        "voltage_out_of_band_min": 12.0,
        "frequency_out_of_band_min": 3.0,
        "health_latest": 40 if i == 0 else 90,
        "health_min": 35 if i == 0 else 88,
        "health_mean": 60.4,
        "risk_level": "High" if i == 0 else "Low",
        "stale": False,
        "as_of": END - timedelta(minutes=15),
        "rul_days": 5.04 if i == 0 else None,
        "rul_low_days": 3.0 if i == 0 else None,
        "rul_high_days": 8.0 if i == 0 else None,
        "rul_reason": None if i == 0 else "no_degrading_trend",
        "alerts_raised": 2 if i == 0 else 0,
        "alerts_acknowledged": 1 if i == 0 else 0,
        "alerts_resolved": 0,
        "top_factors": [],
        "cost_inr": 150.0,
    }
    day = [(START + timedelta(hours=h), 90.0 - h / 10) for h in range(0, 168, 2)]
    return AssetSection(
        asset=asset,
        row=row,
        energy={"series": [{"label": f"2025-03-0{d + 1}", "energy_kwh": 14.0 + d} for d in range(7)]},
        health_series=day,
        vibration_series=[(t, 1.0 + k / 50) for k, (t, _) in enumerate(day)],
        zone_boundaries=(1.4, 2.8, 4.5),
        explanation="Risk is High because health is 40/100.",
    )


def _data(n: int) -> ReportData:
    sections = [_section(i) for i in range(n)]
    energy = {
        "bucket": "day",
        "timezone": "Asia/Kolkata",
        "totals": _figures(1234.56),
        "series": [
            {
                "label": f"2025-03-0{d + 1}",
                "start_local": f"2025-03-0{d + 1}T00:00:00+05:30",
                **_figures(176.0),
            }
            for d in range(7)
        ],
        "billing_months": [],
    }
    return ReportData(
        tenant="Acme",
        scope="fleet",
        scope_id="",
        start=START,
        end=END,
        generated_at=END + timedelta(hours=1),
        contract_version="1",
        assets=sections,
        fleet=fleet_totals([s.row for s in sections]),
        previous={
            "risk_counts": {"Low": n, "Medium": 0, "High": 0, "Critical": 0, "no_data": 0},
            "stale": 0,
            "alerts_raised": 1,
        },
        energy=energy,
        energy_previous={**energy, "totals": _figures(1000.0)},
        open_incidents={"high": 1},
    )


def test_a_long_fleet_gets_contents_with_pages_page_numbers_and_headers_on_every_page():
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf_render(_data(40)))).pages]
    n = len(pages)
    assert n >= 6
    for i, text in enumerate(pages, start=1):
        assert f"Page {i} of {n}" in text
        assert "Acme - Fleet report" in text and "2025-03-01T00:00:00Z to 2025-03-08T00:00:00Z" in text
    contents = pages[0] + pages[1]
    assert "Contents" in contents
    for title in (
        "Assets",
        "Energy and cost",
        "Assets at High or Critical risk",
        "M-000 - High",
        "Charts per asset",
    ):
        # pypdf gives each entry's dotted leader and page number before its title
        match = re.search(rf"(?m)^[ .]*(\d+)\n{re.escape(title)}$", contents)
        assert match, title
        page = int(match.group(1))
        assert title in pages[page - 1], (title, page)
    charts_page = re.search(r"(?m)^[ .]*(\d+)\nCharts per asset$", contents)
    assert charts_page
    charts = "\n".join(pages[int(charts_page.group(1)) - 1 :])
    assert "ISO zones A/B 1.40, B/C 2.80, C/D 4.50" in charts  # chart text stays text
    # every asset's three charts are drawn on the saved pages (the contents' layout pass draws none)
    assert charts.count("Vibration mm/s; ISO zones") == 40
    assert charts.count("Health (0-100) by day of the period") == 40
    assert "M-039 (Low)" in charts


def test_summary_shows_the_change_against_the_previous_period():
    text = PdfReader(io.BytesIO(pdf_render(_data(3)))).pages[0].extract_text()
    assert "Energy\n1234.6\n1000.0\n+23.5 %\nkWh" in text  # this, previous, change, unit
    assert "Alerts raised\n2\n1\n+1\nalerts" in text
    assert "Contents" not in text  # short fleets have no table of contents


def test_display_formats_follow_the_contract():
    assert fmt(0.87649, "pf") == "0.876"
    assert fmt(12.25, "kwh") == "12.2" and fmt(12.35001, "kwh") == "12.4"
    assert fmt(59.5, "health") == "60" and fmt(None, "kwh") == ""
    assert fmt(-0.04, "pct", signed=True) == "+0.0" and fmt(3, "pct", signed=True) == "+3.0"
    assert excel_format("pf") == "0.000" and excel_format("health") == "0"
    assert change_pct(110.0, 100.0) == 10.000000000000009 or abs(change_pct(110.0, 100.0) - 10) < 1e-12
    assert change_pct(1.0, 0.0) is None and change_pct(None, 1.0) is None
    assert rfc3339(datetime(2025, 1, 1, 5, 30, tzinfo=UTC)) == "2025-01-01T05:30:00Z"
    assert rfc3339(datetime(2025, 1, 1, 5, 30, 0, 5, tzinfo=UTC)) == "2025-01-01T05:30:00.000005Z"
