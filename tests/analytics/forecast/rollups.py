"""Hourly energy rollups of a known load, written to the time-series store exactly as the
pipeline writes them (§18.3: the twenty fields, the packed field and the baseline version)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from analytics.energy.blocks import PACKED_FIELD, Blocks, hour_fields, hour_packed
from analytics.energy.calendar import block_of
from analytics.energy.services import ROLLUP_MEASUREMENT
from ingestion.timeseries import Point, get_store


def this_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def weekly_load(
    hours: int, end: datetime, base_kw: float = 40.0, seed: int = 0
) -> tuple[list[datetime], np.ndarray]:
    """``hours`` hourly loads ending at ``end`` (exclusive): a day shape (08-20 UTC busy), weekends
    at a third, plus 2 % noise. Returns (UTC hour starts, kW)."""
    rng = np.random.default_rng(seed)
    times = [end - timedelta(hours=hours - i) for i in range(hours)]
    shape = np.array([1.0 if 8 <= t.hour < 20 else 0.45 for t in times])
    weekday = np.array([0.33 if t.weekday() >= 5 else 1.0 for t in times])
    kw = base_kw * shape * weekday * (1 + 0.02 * rng.standard_normal(hours))
    return times, kw


def write_rollups(asset_id: str, times: list[datetime], kw: np.ndarray) -> int:
    """One rollup point per hour; a NaN hour is written as measured nowhere (covered_s 0)."""
    points = []
    for t, v in zip(times, kw, strict=True):
        blocks = Blocks.zeros(block_of(t), 2)
        if np.isfinite(v):
            for half in (0, 1):
                blocks.values["kwh"][half] = v / 2
                blocks.values["kvah"][half] = v / 2 / 0.9
                blocks.values["covered_s"][half] = 1800.0
                blocks.values["running_s"][half] = 1800.0
        fields: dict = hour_fields(blocks, 0)
        fields[PACKED_FIELD] = hour_packed(blocks, 0)
        fields["baseline_version"] = 0
        points.append(Point(ROLLUP_MEASUREMENT, asset_id, t, fields))
    return get_store().write(points)
