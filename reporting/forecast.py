"""The reports' load forecast section (PDF and Excel; CONTRACTS §16.3, §19.3).

The forecast is the one the API serves (`analytics.forecast.selectors.forecast_get`) for the
report's scope, over the 168 h after the newest measured hour at generation time: a report of
a closed period tells its reader what comes next. Kept apart from the other sections so the
formats only call `forecast_story` and `forecast_sheet`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Polygon, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Paragraph, Spacer, Table, TableStyle

from analytics.forecast.selectors import ScopeNotFound, forecast_get
from ingestion.models import Tenant

from .content import ReportData
from .numbers import rfc3339

REPORT_HORIZON_H = 168
_styles = getSampleStyleSheet()
H1 = ParagraphStyle("FcH1", parent=_styles["Heading1"], fontSize=14, leading=17)
BODY = ParagraphStyle("FcBody", parent=_styles["BodyText"], fontSize=8.5, leading=11)
BAND = colors.HexColor("#c9d9ec")
MEDIAN = colors.HexColor("#1f3a5f")
MEASURED = colors.HexColor("#6b7785")


def forecast_for_report(*, tenant: Tenant, scope: str, scope_id: str, now: datetime) -> dict[str, Any] | None:
    """The API's forecast of the report's scope (None when the scope no longer exists)."""
    try:
        return forecast_get(
            tenant=tenant,
            scope=scope,
            scope_id=scope_id or None,
            horizon_h=REPORT_HORIZON_H,
            now=now,
        )
    except ScopeNotFound:
        return None


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def version_sentence(fc: dict[str, Any]) -> str:
    """Which model made the forecast, on which window, and how well it did on its backtest."""
    m = fc["model"]
    text = (
        f"Model version {m['version']}, trained {rfc3339(m['created_at'])} on the hours "
        f"{rfc3339(m['training_start'])} to {rfc3339(m['training_end'])} (UTC)."
    )
    bt = (m.get("backtest") or {}).get("day_ahead") or {}
    if "mae_kw" in bt:
        text += (
            f" Backtest on its last {bt['days']} days, day-ahead: MAE {_num(bt['mae_kw'], 2)} kW, "
            f"{_num(bt['mae_vs_seasonal_naive'], 2)} x seasonal-naive, "
            f"{_num(bt['mae_vs_persistence'], 2)} x persistence; "
            f"{_num(100 * bt['interval_coverage'], 0)} % of hours inside the 80 % interval."
        )
    elif bt.get("reason"):
        text += f" No backtest: {bt['reason']}."
    return text


def daily_rows(fc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per UTC day of the forecast: energy (sum of the hourly medians, kWh) and the hourly peak
    of the median and of the interval's upper end (kW)."""
    days: dict[str, dict[str, Any]] = {}
    for p in fc["points"]:
        day = days.setdefault(
            p["time"].date().isoformat(), {"hours": 0, "energy_kwh": 0.0, "peak_kw": 0.0, "peak_high_kw": 0.0}
        )
        day["hours"] += 1
        day["energy_kwh"] += p["load_kw"]
        day["peak_kw"] = max(day["peak_kw"], p["load_kw"])
        day["peak_high_kw"] = max(day["peak_high_kw"], p["high_kw"])
    return [{"day": k, **v} for k, v in days.items()]


def forecast_chart(fc: dict[str, Any], width: float = 520, height: float = 150) -> Drawing:
    """Measured load before the origin, the median after it and the 80 % band (hours from the origin)."""
    d = Drawing(width, height)
    x0, y0, w, h = 40, 22, width - 50, height - 40
    d.add(
        String(
            x0,
            height - 12,
            "Load kW: measured (grey), forecast median (blue), 80 % interval (band)",
            fontName="Helvetica-Bold",
            fontSize=7,
        )
    )
    origin = fc["origin"]

    def hours(t: datetime) -> float:
        return (t - origin).total_seconds() / 3600.0

    measured = [(hours(p["time"]), p["load_kw"]) for p in fc["history"] if p["load_kw"] is not None]
    points = fc["points"]
    top = max([p["high_kw"] for p in points] + [v for _, v in measured] + [1e-9]) * 1.05
    lo_x = min([x for x, _ in measured] + [0.0])
    hi_x = hours(points[-1]["time"])

    def px(x: float) -> float:
        return x0 + w * (x - lo_x) / (hi_x - lo_x)

    def py(v: float) -> float:
        return y0 + h * v / top

    band = [(px(hours(p["time"])), py(p["high_kw"])) for p in points]
    band += [(px(hours(p["time"])), py(p["low_kw"])) for p in reversed(points)]
    d.add(Polygon([c for xy in band for c in xy], fillColor=BAND, strokeColor=None))
    lp = LinePlot()
    lp.x, lp.y, lp.width, lp.height = x0, y0, w, h
    median = [(hours(p["time"]), p["load_kw"]) for p in points]
    lp.data = [measured or [(0.0, 0.0)], median]
    lp.lines[0].strokeColor = MEASURED if measured else colors.transparent
    lp.lines[1].strokeColor = MEDIAN
    for i in (0, 1):
        lp.lines[i].strokeWidth = 0.8
    lp.xValueAxis.valueMin, lp.xValueAxis.valueMax = lo_x, hi_x
    lp.xValueAxis.labels.fontSize = 6
    lp.xValueAxis.labelTextFormat = "%+.0f h"
    lp.yValueAxis.valueMin, lp.yValueAxis.valueMax = 0, top
    lp.yValueAxis.labels.fontSize = 6
    d.add(lp)
    return d


def forecast_story(data: ReportData) -> list:
    """The PDF section: which model, how good, the chart and the day-by-day figures; or why not."""
    fc = data.forecast
    if fc is None:
        return []
    story: list = [CondPageBreak(90 * mm), Paragraph("Load forecast, next 7 days", H1)]
    if fc["status"] != "ok":
        story.append(Paragraph(f"No forecast: {escape(fc['reason'] or fc['status'])}", BODY))
        return story
    story.append(
        Paragraph(
            escape(
                f"Hourly load from the newest measured hour {rfc3339(fc['origin'])} (UTC), median and 80 % "
                f"interval (CONTRACTS §19). {version_sentence(fc)}"
            ),
            BODY,
        )
    )
    story += [Spacer(1, 4), forecast_chart(fc), Spacer(1, 4)]
    rows = [["Day (UTC)", "Hours", "Energy kWh (median)", "Peak kW (median)", "Peak kW (80 % upper)"]]
    for r in daily_rows(fc):
        rows.append(
            [r["day"], str(r["hours"]), _num(r["energy_kwh"]), _num(r["peak_kw"]), _num(r["peak_high_kw"])]
        )
    table = Table(rows, [30 * mm, 15 * mm, 35 * mm, 30 * mm, 35 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    return story


FORECAST_HEADERS = ("time_utc", "kind", "load_kw", "low_kw", "high_kw")


def forecast_sheet(wb: Workbook, data: ReportData) -> None:
    """The `forecast` sheet: the version and backtest lines, then one row per hour (measured
    hours before the origin, forecast hours after it) with full-precision numbers and a line chart."""
    fc = data.forecast
    if fc is None:
        return
    ws = wb.create_sheet("forecast")
    if fc["status"] != "ok":
        ws.append([f"No forecast: {fc['reason'] or fc['status']}"])
        return
    ws.append([version_sentence(fc)])
    ws.append([f"origin (newest measured hour, UTC): {rfc3339(fc['origin'])}; interval 80 %; unit kW"])
    ws.append(list(FORECAST_HEADERS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for p in fc["history"]:
        ws.append([rfc3339(p["time"]), "measured", p["load_kw"], None, None])
    for p in fc["points"]:
        ws.append([rfc3339(p["time"]), "forecast", p["load_kw"], p["low_kw"], p["high_kw"]])
    ws.freeze_panes = "A4"
    ws.column_dimensions["A"].width = 22
    for col in "CDE":
        for (cell,) in ws.iter_rows(
            min_row=4, min_col="ABCDE".index(col) + 1, max_col="ABCDE".index(col) + 1
        ):
            cell.number_format = "0.00"
    chart = LineChart()
    chart.title = "Load kW: measured, forecast median and 80 % interval"
    chart.height, chart.width = 8, 24
    last = ws.max_row
    chart.add_data(Reference(ws, min_col=3, max_col=5, min_row=3, max_row=last), titles_from_data=True)
    ws.add_chart(chart, "G4")
