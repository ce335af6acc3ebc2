"""Shared shaping of the content for both formats: the no-data sentence and the energy rows."""

from __future__ import annotations

from typing import Any

from .numbers import rfc3339

NO_DATA_TEXT = (
    "No data in this period: no asset of this report has feature or health points between its start "
    "and end, so no figure is shown (an empty value means not measured, never zero)."
)


def energy_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The energy API's buckets as table rows (cost total flattened), buckets without data left out."""
    rows = []
    for b in summary.get("series") or []:
        if b.get("energy_kwh") is None and not (b.get("coverage") or {}).get("covered_h"):
            continue
        rows.append(
            {
                **b,
                "start": rfc3339(b["start"]),
                "start_local": b.get("start_local") or "",
                "cost_total": (b.get("cost") or {}).get("total"),
            }
        )
    return rows
