"""The PDF report (ReportLab, A4 landscape): summary, assets table, energy and cost, High/Critical
details and small-multiple charts, with a table of contents for long fleets, page numbers and a
header naming tenant, period and generation time. Numbers are formatted as §14.2 (reporting.numbers).
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from .charts import energy_chart, health_chart, vibration_chart
from .columns import ASSET_COLUMNS, BILLING_COLUMNS, COST_PARTS, COVERAGE, ENERGY_TOTALS, PDF_ASSET_KEYS
from .content import RISK_LEVELS, AssetSection, ReportData
from .forecast import forecast_story
from .numbers import FACTOR_UNITS, UNITS, change_pct, fmt, rfc3339
from .summary import NO_DATA_TEXT

TOC_MIN_ASSETS = 8  # a table of contents from this many assets on
PAGE = landscape(A4)
MARGIN = 14 * mm
RISK_COLOURS = {
    "Low": colors.HexColor("#d8f0d8"),
    "Medium": colors.HexColor("#fff4c2"),
    "High": colors.HexColor("#ffd9b3"),
    "Critical": colors.HexColor("#f7c5c5"),
}
_styles = getSampleStyleSheet()
H1 = ParagraphStyle("H1", parent=_styles["Heading1"], fontSize=15, spaceAfter=6)
H2 = ParagraphStyle("H2", parent=_styles["Heading2"], fontSize=12, spaceAfter=4)
BODY = ParagraphStyle("Body", parent=_styles["BodyText"], fontSize=8.5, leading=11)
SMALL = ParagraphStyle("Small", parent=BODY, fontSize=7, leading=9)
CELL = ParagraphStyle("Cell", parent=BODY, fontSize=7, leading=8.5)
GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 7),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3a5f")),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
)


class _NumberedCanvas(pdf_canvas.Canvas):
    """Defers pages so the footer can say "page n of N"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 7)
            self.drawRightString(PAGE[0] - MARGIN, 8 * mm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


class _Doc(BaseDocTemplate):
    def __init__(self, buf: io.BytesIO, data: ReportData) -> None:
        super().__init__(
            buf,
            pagesize=PAGE,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=20 * mm,
            bottomMargin=14 * mm,
            title=f"Report {data.tenant} {rfc3339(data.start)} to {rfc3339(data.end)}",
            author="pdm",
        )
        self.data = data
        # set while a pass lays the pages out for the table of contents without drawing the charts
        self.layout_only = False
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._header)])

    def _header(self, c: pdf_canvas.Canvas, doc: Any) -> None:
        d = self.data
        c.saveState()
        c.setFont("Helvetica-Bold", 8)
        c.drawString(MARGIN, PAGE[1] - 10 * mm, f"{d.tenant} - {_scope_label(d)}")
        c.setFont("Helvetica", 7)
        c.drawString(
            MARGIN,
            PAGE[1] - 14 * mm,
            f"Period {rfc3339(d.start)} to {rfc3339(d.end)} (UTC, end excluded) - generated {rfc3339(d.generated_at)}"
            f" - contract v{d.contract_version}",
        )
        c.setStrokeColor(colors.HexColor("#1f3a5f"))
        c.line(MARGIN, PAGE[1] - 16 * mm, PAGE[0] - MARGIN, PAGE[1] - 16 * mm)
        c.restoreState()

    def _allSatisfied(self) -> bool:
        """A pass made with ``layout_only`` is never the one saved: it only finds the page of each
        heading for the contents (charts take their place without being drawn, which is most of a
        pass's time), and the next pass draws everything on the pages it found."""
        if self.layout_only:
            self.layout_only = False
            return False
        return bool(super()._allSatisfied())

    def afterFlowable(self, flowable: Any) -> None:
        if isinstance(flowable, Paragraph) and flowable.style.name in ("H1", "H2"):
            level = 0 if flowable.style.name == "H1" else 1
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.notify("TOCEntry", (level, flowable.getPlainText(), self.page, key))


def _scope_label(d: ReportData) -> str:
    if d.scope == "fleet":
        return "Fleet report"
    return f"{'Asset' if d.scope == 'asset' else 'Site'} report: {d.scope_id}"


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text), style)


def _table(rows: list[list[Any]], widths: list[Any] | None = None, extra: list | None = None) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle(GRID)
    if extra:
        t.setStyle(TableStyle(extra))
    return t


def _change(value: float | None, previous: float | None) -> str:
    c = change_pct(value, previous)
    return "" if c is None else f"{fmt(c, 'pct', signed=True)} %"


def _summary(d: ReportData) -> list:
    tz = d.energy.get("timezone") or "UTC"
    series = d.energy.get("series") or []
    local = ""
    if tz != "UTC" and series:
        local = f" Site time ({tz}): the period starts {series[0].get('start_local')}."
    story: list = [
        Paragraph("Summary", H1),
        _p(
            f"{_scope_label(d)} of {d.tenant}, {len(d.assets)} asset(s), period {rfc3339(d.start)} to "
            f"{rfc3339(d.end)} (UTC).{local} The previous period of equal length starts "
            f"{rfc3339(d.start - (d.end - d.start))}."
        ),
        Spacer(1, 4),
    ]
    if not d.has_data:
        return [*story, _p(NO_DATA_TEXT, H2)]
    f, p = d.fleet, d.previous
    totals, prev = d.energy["totals"], d.energy_previous["totals"]
    cost, prev_cost = totals.get("cost") or {}, prev.get("cost") or {}
    rows: list[list[str]] = [["Measure", "This period", "Previous period", "Change", "Unit"]]
    for level in [*RISK_LEVELS, "no_data"]:
        label = "Assets without assessment" if level == "no_data" else f"Assets at risk {level}"
        n, m = f["risk_counts"][level], p["risk_counts"][level]
        rows.append([label, fmt(n, "count"), fmt(m, "count"), fmt(n - m, "count", signed=True), "assets"])
    rows.append(
        [
            "Stale assets",
            fmt(f["stale"], "count"),
            fmt(p["stale"], "count"),
            fmt(f["stale"] - p["stale"], "count", signed=True),
            "assets",
        ]
    )
    rows.append(
        [
            "Alerts raised",
            fmt(f["alerts_raised"], "count"),
            fmt(p["alerts_raised"], "count"),
            fmt(f["alerts_raised"] - p["alerts_raised"], "count", signed=True),
            "alerts",
        ]
    )
    for label, key, kind in (
        ("Energy", "energy_kwh", "kwh"),
        ("Power factor (energy-weighted)", "power_factor", "pf"),
        ("CO2", "co2_t", "t"),
    ):
        rows.append(
            [
                label,
                fmt(totals.get(key), kind),
                fmt(prev.get(key), kind),
                _change(totals.get(key), prev.get(key)),
                UNITS[kind],
            ]
        )
    rows.append(
        [
            "Cost",
            fmt(cost.get("total"), "inr"),
            fmt(prev_cost.get("total"), "inr"),
            _change(cost.get("total"), prev_cost.get("total")),
            "INR",
        ]
    )
    rows.append(["Health of the assets (min of latest)", fmt(f["health_min"], "health"), "", "", "/100"])
    rows.append(["Health of the assets (mean of latest)", fmt(f["health_mean"], "health"), "", "", "/100"])
    story.append(_table(rows, [80 * mm, 35 * mm, 35 * mm, 25 * mm, 20 * mm]))
    story.append(Spacer(1, 6))
    open_rows = [["Open incidents now", "Count"]] + [
        [sev, fmt(n, "count")] for sev, n in sorted(d.open_incidents.items())
    ]
    if len(open_rows) == 1:
        open_rows.append(["none", fmt(0, "count")])
    story.append(_table(open_rows, [60 * mm, 25 * mm]))
    return story


def _rul_text(row: dict[str, Any]) -> str:
    if row["rul_days"] is None:
        return f"- ({row['rul_reason'].replace('_', ' ')})" if row["rul_reason"] else ""
    low, high = row["rul_low_days"], row["rul_high_days"]
    interval = f" ({fmt(low, 'days')}-{fmt(high, 'days')})" if low is not None and high is not None else ""
    return f"{fmt(row['rul_days'], 'days')}{interval}"


def _assets(d: ReportData) -> list:
    cols = {c.key: c for c in ASSET_COLUMNS}
    header = [cols[k].short for k in PDF_ASSET_KEYS]
    rows: list[list[Any]] = [header]
    extra: list = []
    for i, s in enumerate(d.assets, start=1):
        r = s.row
        cells: list[Any] = []
        for k in PDF_ASSET_KEYS:
            if k == "asset_id":
                cells.append(Paragraph(f"<b>{escape(r['asset_id'])}</b><br/>{escape(r['name'] or '')}", CELL))
            elif k == "risk_level":
                cells.append(r["risk_level"] or "")
                if r["risk_level"] in RISK_COLOURS:
                    extra.append(("BACKGROUND", (1, i), (1, i), RISK_COLOURS[r["risk_level"]]))
            elif k == "rul_days":
                cells.append(Paragraph(escape(_rul_text(r)), CELL))
            else:
                cells.append(
                    fmt(r[k], cols[k].kind or "count") if r["has_data"] or k.startswith("alerts") else ""
                )
        rows.append(cells)
    widths = [34 * mm, 14 * mm, 11 * mm, 9 * mm, 9 * mm, 24 * mm] + [None] * (len(PDF_ASSET_KEYS) - 6)
    extra.append(("ALIGN", (2, 1), (-1, -1), "RIGHT"))
    return [
        PageBreak(),
        Paragraph("Assets", H1),
        _p(
            "Per active asset over the period (CONTRACTS §16.1). Health, risk and RUL are of the latest "
            "assessment in the period; RUL in days with its 80 % interval, or the reason it is not "
            "estimated; alerts opened, acknowledged and resolved in the period; PF below its limit in hours; "
            "voltage and frequency outside their bands in minutes; energy in kWh with the hours without data "
            "(Gap h); cost of the asset metered alone on its site's tariff. An empty cell means no data.",
            SMALL,
        ),
        Spacer(1, 3),
        _table(rows, widths, extra),
    ]


def _kv_rows(d: ReportData) -> list[list[str]]:
    totals, prev = d.energy["totals"], d.energy_previous["totals"]
    rows = [["Figure", "This period", "Previous period", "Change", "Unit"]]
    for label, key, kind in ENERGY_TOTALS:
        rows.append(
            [
                label,
                fmt(totals.get(key), kind),
                fmt(prev.get(key), kind),
                _change(totals.get(key), prev.get(key)),
                UNITS[kind],
            ]
        )
    for label, key, kind in COVERAGE:
        rows.append(
            [
                f"Coverage: {label}",
                fmt(totals["coverage"][key], kind),
                fmt(prev["coverage"][key], kind),
                "",
                UNITS[kind],
            ]
        )
    return rows


def _energy(d: ReportData) -> list:
    totals = d.energy["totals"]
    story: list = [PageBreak(), Paragraph("Energy and cost", H1)]
    story.append(
        _p(
            f"From the energy API (CONTRACTS §18) for the same scope and period; site-local buckets in "
            f"{d.energy.get('timezone')}; money in INR.",
            SMALL,
        )
    )
    if totals.get("energy_kwh") is None:
        story.append(_p("No energy data in this period: no figure is shown.", H2))
        return story
    story.append(_table(_kv_rows(d), [70 * mm, 30 * mm, 30 * mm, 22 * mm, 16 * mm]))
    cost = totals.get("cost")
    prev_cost = d.energy_previous["totals"].get("cost") or {}
    story.append(Spacer(1, 6))
    story.append(Paragraph("Cost by the site tariff", H2))
    if cost is None:
        story.append(_p("No tariff applies to this period, so no cost is computed."))
    else:
        rows = [["Charge", "This period", "Previous period", "Change", "Unit"]]
        for label, key in COST_PARTS:
            rows.append(
                [
                    label,
                    fmt(cost.get(key), "inr"),
                    fmt(prev_cost.get(key), "inr"),
                    _change(cost.get(key), prev_cost.get(key)),
                    "INR",
                ]
            )
        rows.append(
            [
                "Energy before the first tariff version (not costed)",
                fmt(cost.get("uncosted_kwh"), "kwh"),
                "",
                "",
                "kWh",
            ]
        )
        story.append(_table(rows, [70 * mm, 30 * mm, 30 * mm, 22 * mm, 16 * mm]))
    months = d.energy.get("billing_months") or []
    if months:
        story.append(Spacer(1, 6))
        story.append(Paragraph("Billing months and the power-factor penalty or incentive", H2))
        rows = [[c.short for c in BILLING_COLUMNS]]
        for m in months:
            rows.append(
                [
                    Paragraph(escape(_text(m.get(c.key))), CELL)
                    if c.kind is None
                    else fmt(m.get(c.key), c.kind)
                    for c in BILLING_COLUMNS
                ]
            )
        widths = [None] * len(BILLING_COLUMNS)
        widths[BILLING_COLUMNS.index(next(c for c in BILLING_COLUMNS if c.key == "pf_slabs"))] = 60 * mm
        story.append(_table(rows, widths))
    days = [
        (b["label"], b["energy_kwh"]) for b in d.energy.get("series") or [] if b.get("energy_kwh") is not None
    ]
    if days:
        story.append(Spacer(1, 6))
        story.append(
            KeepTogether(
                [Paragraph(f"Energy per {d.energy['bucket']}", H2), _scaled(energy_chart(days), 1.4)]
            )
        )
    return story


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _scaled(drawing: Any, k: float) -> Any:
    drawing.scale(k, k)
    drawing.width, drawing.height = drawing.width * k, drawing.height * k
    return drawing


def _factor_rows(s: AssetSection) -> list[list[str]]:
    rows = [["Factor", "Value", "Unit", "Penalty (points)", "Share of drop"]]
    for f in s.factors:
        kind = FACTOR_UNITS.get(f.get("unit") or "", "pf")
        share = f.get("share_of_drop")
        rows.append(
            [
                f["name"],
                fmt(f.get("value"), kind),
                f.get("unit") or "",
                fmt(f.get("penalty"), "h"),
                "" if share is None else f"{fmt(share * 100, 'pct')} %",
            ]
        )
    return rows


def _details(d: ReportData) -> list:
    chosen = [s for s in d.assets if s.row["risk_level"] in ("High", "Critical")]
    if not chosen:
        return []
    story: list = [PageBreak(), Paragraph("Assets at High or Critical risk", H1)]
    for s in sorted(chosen, key=lambda s: (s.row["risk_level"] != "Critical", s.row["asset_id"])):
        r = s.row
        story.append(CondPageBreak(60 * mm))
        story.append(Paragraph(f"{escape(r['asset_id'])} - {escape(r['risk_level'])}", H2))
        story.append(_p(f"Latest assessment in the period: {rfc3339(r['as_of'])}.", SMALL))
        for line in s.explanation.splitlines():
            story.append(_p(line))
        if len(s.factors):
            story.append(Spacer(1, 3))
            story.append(_table(_factor_rows(s), [30 * mm, 22 * mm, 14 * mm, 26 * mm, 24 * mm]))
        for g in s.guidance:
            story.append(Spacer(1, 3))
            story.append(
                _p(
                    f"Guidance ({g['cause']} alert; likely mode: {g.get('likely_mode') or 'not determined'}):",
                    BODY,
                )
            )
            for passage in g["passages"]:
                story.append(
                    _p(
                        f"\u2022 {passage.get('excerpt', '').lstrip('- ')} [{passage.get('citation', '')}]",
                        SMALL,
                    )
                )
            actions = g.get("actions") or {}
            if actions.get("text"):
                story.append(_p(f"Actions [{actions.get('citation', '')}]: {actions['text']}", SMALL))
        if s.incidents:
            story.append(Spacer(1, 3))
            rows: list[list[Any]] = [
                ["Event time (UTC)", "Recorded (UTC)", "Alert", "Event", "State", "By", "Note"]
            ]
            for inc in s.incidents:
                for t in inc["transitions"]:
                    rows.append(
                        [
                            rfc3339(t["event_time"]),
                            rfc3339(t["at"]),
                            f"{inc['cause']} ({inc['severity']})",
                            t["action"],
                            t["to_state"],
                            t["actor"],
                            Paragraph(escape(t["note"] or ""), CELL),
                        ]
                    )
            story.append(_p("Incident timeline", BODY))
            story.append(_table(rows, [34 * mm, 40 * mm, 44 * mm, 24 * mm, 22 * mm, 26 * mm, 70 * mm]))
    return story


class _Chart(Flowable):
    """A small-multiple chart that takes its size on every pass and is drawn only on a pass that is
    not ``layout_only`` (see `_Doc._allSatisfied`)."""

    def __init__(self, drawing: Drawing, doc: _Doc) -> None:
        super().__init__()
        self.drawing, self.doc = drawing, doc
        self.width, self.height = drawing.width, drawing.height

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        if not self.doc.layout_only:
            self.drawing.drawOn(self.canv, 0, 0)


def _charts(d: ReportData, doc: _Doc) -> list:
    if not d.has_data:
        return []
    story: list = [PageBreak(), Paragraph("Charts per asset", H1)]
    story.append(
        _p(
            "Health and vibration (15-minute or coarser means) over the days of the period, vibration on the "
            "ISO 10816-3 zones of the asset, and energy per site-local day from the energy API.",
            SMALL,
        )
    )
    for s in d.assets:
        days = [
            (b["label"], b["energy_kwh"])
            for b in (s.energy or {}).get("series") or []
            if b.get("energy_kwh") is not None
        ]
        row = [
            _Chart(health_chart(s.health_series, d.start, d.end), doc),
            _Chart(vibration_chart(s.vibration_series, d.start, d.end, s.zone_boundaries), doc),
            _Chart(energy_chart(days), doc),
        ]
        title = f"{s.row['asset_id']} ({s.row['risk_level'] or 'no assessment'})"
        t = Table([[Paragraph(f"<b>{escape(title)}</b>", CELL), "", ""], row], hAlign="LEFT")
        t.setStyle(
            TableStyle(
                [
                    ("SPAN", (0, 0), (-1, 0)),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        story.append(KeepTogether([t]))
    return story


def pdf_render(data: ReportData) -> bytes:
    buf = io.BytesIO()
    doc = _Doc(buf, data)
    story: list = [*_summary(data)]
    if len(data.assets) >= TOC_MIN_ASSETS:
        toc = TableOfContents()
        toc.levelStyles = [
            ParagraphStyle("TOC1", fontSize=9, leading=11, leftIndent=10),
            ParagraphStyle("TOC2", fontSize=8, leading=10, leftIndent=24),
        ]
        story += [Spacer(1, 8), Paragraph("<b>Contents</b>", BODY), toc]
        doc.layout_only = True  # the contents need a second pass anyway: the first one draws no chart
    story += _assets(data) + _energy(data) + forecast_story(data) + _details(data) + _charts(data, doc)
    doc.multiBuild(story, canvasmaker=_NumberedCanvas)
    return buf.getvalue()
