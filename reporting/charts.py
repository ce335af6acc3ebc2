"""Small-multiple charts of the PDF, drawn with reportlab.graphics: vector, so axis labels and values
stay text. Health (0-100), vibration against the ISO 10816-3 zones, daily energy."""

from __future__ import annotations

from datetime import datetime

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors

W, H = 240, 110
PLOT = (34, 22, 196, 68)  # x, y, width, height of the plot area
ZONE_COLOURS = (
    colors.HexColor("#d8f0d8"),
    colors.HexColor("#fff4c2"),
    colors.HexColor("#ffd9b3"),
    colors.HexColor("#f7c5c5"),
)


def _frame(title: str) -> Drawing:
    d = Drawing(W, H)
    d.add(String(PLOT[0], H - 12, title, fontName="Helvetica-Bold", fontSize=7))
    return d


def _empty(d: Drawing, what: str) -> Drawing:
    x, y, w, h = PLOT
    d.add(Rect(x, y, w, h, strokeColor=colors.lightgrey, fillColor=None))
    d.add(String(x + w / 2, y + h / 2, f"no {what} in this period", fontSize=7, textAnchor="middle"))
    return d


def _days(start: datetime, t: datetime) -> float:
    return (t - start).total_seconds() / 86400.0


def _line(
    series: list[tuple[datetime, float]], start: datetime, end: datetime, y_min: float, y_max: float
) -> LinePlot:
    x, y, w, h = PLOT
    lp = LinePlot()
    lp.x, lp.y, lp.width, lp.height = x, y, w, h
    lp.data = [[(_days(start, t), v) for t, v in series]]
    lp.lines[0].strokeColor = colors.HexColor("#1f3a5f")
    lp.lines[0].strokeWidth = 0.8
    lp.xValueAxis.valueMin = 0
    lp.xValueAxis.valueMax = max(_days(start, end), 1e-6)
    lp.xValueAxis.labels.fontSize = 6
    lp.xValueAxis.labelTextFormat = "%.0f"
    lp.yValueAxis.valueMin = y_min
    lp.yValueAxis.valueMax = y_max
    lp.yValueAxis.labels.fontSize = 6
    return lp


def health_chart(series: list[tuple[datetime, float]], start: datetime, end: datetime) -> Drawing:
    d = _frame("Health (0-100) by day of the period")
    if not series:
        return _empty(d, "health points")
    d.add(_line(series, start, end, 0, 100))
    return d


def vibration_chart(
    series: list[tuple[datetime, float]], start: datetime, end: datetime, zones: tuple[float, float, float]
) -> Drawing:
    ab, bc, cd = zones
    d = _frame(f"Vibration mm/s; ISO zones A/B {ab:.2f}, B/C {bc:.2f}, C/D {cd:.2f}")
    if not series:
        return _empty(d, "vibration readings")
    top = max(cd * 1.25, max(v for _, v in series) * 1.1)
    x, y, w, h = PLOT
    edges = [0.0, ab, bc, cd, top]
    for i, colour in enumerate(ZONE_COLOURS):
        lo, hi = edges[i], edges[i + 1]
        d.add(Rect(x, y + h * lo / top, w, h * (hi - lo) / top, fillColor=colour, strokeColor=None))
        d.add(String(x + w - 2, y + h * (lo + hi) / 2 / top - 2, "ABCD"[i], fontSize=6, textAnchor="end"))
    d.add(_line(series, start, end, 0, top))
    return d


def energy_chart(days: list[tuple[str, float]]) -> Drawing:
    d = _frame("Energy kWh per site-local day")
    if not days:
        return _empty(d, "energy data")
    x, y, w, h = PLOT
    bc = VerticalBarChart()
    bc.x, bc.y, bc.width, bc.height = x, y, w, h
    bc.data = [[v for _, v in days]]
    bc.bars[0].fillColor = colors.HexColor("#4a7ab0")
    bc.bars[0].strokeColor = None
    bc.valueAxis.valueMin = 0
    bc.valueAxis.labels.fontSize = 6
    step = max(1, len(days) // 8)
    bc.categoryAxis.categoryNames = [label[5:] if i % step == 0 else "" for i, (label, _) in enumerate(days)]
    bc.categoryAxis.labels.fontSize = 5
    bc.categoryAxis.labels.angle = 0
    d.add(bc)
    return d
