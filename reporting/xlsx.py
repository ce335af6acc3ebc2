"""The Excel report (openpyxl): full-precision numbers with the display decimals of §14.2 as number
formats, units in the headers, frozen header rows, autofilters and native charts (§16.3).

Sheets: `assets` (§16.1), `fleet` (§16.2 with the previous period and the energy totals and cost),
`factors` (top factors of each asset's latest assessment), `energy` (the energy API's buckets),
`billing` (billing months with the PF penalty or incentive), `incidents`, `meta`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .columns import (
    ASSET_COLUMNS,
    BILLING_COLUMNS,
    COST_PARTS,
    COVERAGE,
    ENERGY_COLUMNS,
    ENERGY_TOTALS,
    Column,
)
from .content import RISK_LEVELS, ReportData
from .forecast import forecast_sheet
from .numbers import change_pct, excel_format, rfc3339
from .summary import NO_DATA_TEXT, energy_rows

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")


def _cell_value(value: Any) -> Any:
    if hasattr(value, "tzinfo"):
        return rfc3339(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return value


def _table(ws: Worksheet, columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> None:
    """A header row (frozen, filtered) and one row per dict, numbers with their formats."""
    ws.append([c.header for c in columns])
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append([_cell_value(row.get(c.key)) for c in columns])
    for i, c in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(10, min(40, len(c.header) + 2))
        if c.kind is not None:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = excel_format(c.kind)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(rows) + 1)}"


def _assets(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet("assets")
    _table(ws, ASSET_COLUMNS, [s.row for s in data.assets])
    n = len(data.assets)
    if n:
        chart = BarChart()
        chart.title = "Latest health per asset"
        chart.y_axis.title = "health (0-100)"
        col = next(i for i, c in enumerate(ASSET_COLUMNS, start=1) if c.key == "health_latest")
        chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=n + 1), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
        chart.width, chart.height = 24, 9
        ws.add_chart(chart, f"A{n + 4}")


def _fleet(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet("fleet")
    f, p = data.fleet, data.previous
    totals = data.energy["totals"]
    prev = data.energy_previous["totals"]
    cost, prev_cost = totals.get("cost") or {}, prev.get("cost") or {}
    rows: list[dict[str, Any]] = [
        {"metric": "assets", "unit": "count", "value": f["assets"], "kind": "count"},
        *(
            {
                "metric": f"risk_{level.lower()}",
                "unit": "count",
                "value": f["risk_counts"][level],
                "previous": p["risk_counts"][level],
                "kind": "count",
            }
            for level in [*RISK_LEVELS, "no_data"]
        ),
        {"metric": "stale", "unit": "count", "value": f["stale"], "previous": p["stale"], "kind": "count"},
        {
            "metric": "alerts_raised",
            "unit": "count",
            "value": f["alerts_raised"],
            "previous": p["alerts_raised"],
            "kind": "count",
        },
        {
            "metric": "alerts_acknowledged",
            "unit": "count",
            "value": f["alerts_acknowledged"],
            "kind": "count",
        },
        {"metric": "alerts_resolved", "unit": "count", "value": f["alerts_resolved"], "kind": "count"},
        *(
            {"metric": f"open_incidents_{sev}", "unit": "count", "value": n, "kind": "count"}
            for sev, n in sorted(data.open_incidents.items())
        ),
        {"metric": "health_min", "unit": "", "value": f["health_min"], "kind": "health"},
        {"metric": "health_mean", "unit": "", "value": f["health_mean"], "kind": "health"},
        {"metric": "energy_kwh (features)", "unit": "kWh", "value": f["energy_kwh"], "kind": "kwh"},
        {"metric": "energy_gap_h", "unit": "h", "value": f["energy_gap_h"], "kind": "h"},
    ]
    for label, key, kind in ENERGY_TOTALS:
        rows.append(
            {"metric": key, "label": label, "value": totals.get(key), "previous": prev.get(key), "kind": kind}
        )
    for label, key, kind in COVERAGE:
        rows.append(
            {"metric": f"coverage_{key}", "label": label, "value": totals["coverage"][key], "kind": kind}
        )
    for label, key in COST_PARTS:
        rows.append(
            {
                "metric": f"cost_{key}",
                "label": label,
                "value": cost.get(key),
                "previous": prev_cost.get(key),
                "kind": "inr",
            }
        )
    ws.append(["metric", "label", "value", "previous", "change_pct (%)", "unit"])
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    from .numbers import UNITS

    for r in rows:
        value, previous = r.get("value"), r.get("previous")
        change = change_pct(value, previous) if "previous" in r else None
        ws.append(
            [r["metric"], r.get("label", ""), value, previous, change, r.get("unit") or UNITS[r["kind"]]]
        )
        ws.cell(ws.max_row, 3).number_format = excel_format(r["kind"])
        ws.cell(ws.max_row, 4).number_format = excel_format(r["kind"])
        ws.cell(ws.max_row, 5).number_format = "+0.0;-0.0;0.0"
    for letter, width in zip("ABCDEF", (28, 36, 16, 16, 14, 8), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:F{len(rows) + 1}"


def _factors(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet("factors")
    rows = []
    for s in data.assets:
        for rank, fct in enumerate(s.row["top_factors"], start=1):
            share = fct["share"]
            rows.append(
                {
                    "asset_id": s.row["asset_id"],
                    "rank": rank,
                    "name": fct["name"],
                    "value": fct["value"],
                    "unit": fct["unit"],
                    "share_pct": None if share is None else share * 100.0,
                }
            )
    cols = [
        Column("asset_id", "asset_id", "", None),
        Column("rank", "rank", "", "count"),
        Column("name", "name", "", None),
        Column("value", "value (unit column)", "", None),
        Column("unit", "unit", "", None),
        Column("share_pct", "share_pct (% of the drop)", "", "pct"),
    ]
    _table(ws, cols, rows)


def _energy(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet("energy")
    rows = energy_rows(data.energy)
    _table(ws, ENERGY_COLUMNS, rows)
    if rows:
        chart = BarChart()
        chart.title = f"Energy per {data.energy['bucket']} ({data.energy['timezone']})"
        chart.y_axis.title = "kWh"
        col = next(i for i, c in enumerate(ENERGY_COLUMNS, start=1) if c.key == "energy_kwh")
        chart.add_data(Reference(ws, min_col=col, min_row=1, max_row=len(rows) + 1), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(rows) + 1))
        chart.width, chart.height = 24, 9
        ws.add_chart(chart, f"A{len(rows) + 4}")


def _billing(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet("billing")
    _table(ws, BILLING_COLUMNS, data.energy.get("billing_months") or [])


def _incidents(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet("incidents")
    rows = []
    for s in data.assets:
        for inc in s.incidents:
            for t in inc["transitions"] or [{}]:
                rows.append(
                    {
                        "asset_id": s.row["asset_id"],
                        "alert_id": inc["id"],
                        "cause": inc["cause"],
                        "severity": inc["severity"],
                        "state": inc["state"],
                        "opened_at": inc["opened_at"],
                        "acknowledged_at": inc["acknowledged_at"],
                        "resolved_at": inc["resolved_at"],
                        "transition_at": t.get("at"),
                        "transition_event_time": t.get("event_time"),
                        "action": t.get("action"),
                        "to_state": t.get("to_state"),
                        "actor": t.get("actor"),
                        "note": t.get("note"),
                    }
                )
    keys = [
        ("asset_id", "asset_id"),
        ("alert_id", "alert_id"),
        ("cause", "cause"),
        ("severity", "severity"),
        ("state", "state (now)"),
        ("opened_at", "opened_at (UTC, event time)"),
        ("acknowledged_at", "acknowledged_at (UTC)"),
        ("resolved_at", "resolved_at (UTC)"),
        ("transition_at", "transition_at (UTC, recorded)"),
        ("transition_event_time", "transition_event_time (UTC)"),
        ("action", "action"),
        ("to_state", "to_state"),
        ("actor", "actor"),
        ("note", "note"),
    ]
    _table(ws, [Column(k, h, "", None) for k, h in keys], rows)


def _meta(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet("meta")
    rows = [
        ("tenant", data.tenant),
        ("scope", data.scope),
        ("id", data.scope_id),
        ("period_start", rfc3339(data.start)),
        ("period_end", rfc3339(data.end)),
        ("previous_period_start", rfc3339(data.start - (data.end - data.start))),
        ("generated_at", rfc3339(data.generated_at)),
        ("contract_version", data.contract_version),
        ("site_time_zone", data.energy.get("timezone")),
        ("currency", "INR"),
        ("has_data", "yes" if data.has_data else "no"),
        ("note", "" if data.has_data else NO_DATA_TEXT),
    ]
    ws.append(["key", "value"])
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for key, value in rows:
        ws.append([key, value])
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 60
    ws.freeze_panes = "A2"


def xlsx_render(data: ReportData) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _assets(wb, data)
    _fleet(wb, data)
    _factors(wb, data)
    _energy(wb, data)
    _billing(wb, data)
    forecast_sheet(wb, data)
    _incidents(wb, data)
    _meta(wb, data)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
