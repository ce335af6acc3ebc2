"""Reads and writes of the energy rollups in the time-series store (docs/CONTRACTS.md §18.3).

Hourly rollups (measurement ``energy``) are what the pipeline integrates events into; daily
rollups (measurement ``energy_daily``) are computed from the stored hours of each site-local
day, so a year by day reads 365 points instead of 8 760. Summaries read daily rollups where a
bucket is a whole day or month and every hourly point of the range is accounted for by them;
everything else reads the hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from ingestion.timeseries import Point, get_store
from ingestion.timeseries.base import FieldValue

from .blocks import PACKED_FIELD, ROLLUP_FIELDS, Blocks, blocks_from_hours, blocks_from_packed
from .calendar import block_start
from .days import DAY_FIELD, DayForm, day_form, day_packed, days_from_packed

ROLLUP_MEASUREMENT = "energy"
DAILY_MEASUREMENT = "energy_daily"
#: an aggregation bucket longer than any stored range (epoch-aligned: at most two buckets)
_ONE_BUCKET = timedelta(days=100_000)
_US_PER_HOUR = 3_600_000_000
_US_PER_BLOCK = 1_800_000_000


def _hour_span(first: int, end: int) -> tuple[datetime, datetime]:
    """The whole UTC hours holding blocks [first, end)."""
    return block_start(first - first % 2), block_start(end + end % 2)


def _hourly_count(asset_id: str, start: datetime, stop: datetime) -> int:
    """Hourly rollup points with time in [start, stop) (every point carries
    ``baseline_version``)."""
    counted = get_store().aggregate(
        measurement=ROLLUP_MEASUREMENT,
        asset_id=asset_id,
        start=start,
        end=stop,
        every=_ONE_BUCKET,
        fields=["baseline_version"],
    )
    return sum(int(b.values["baseline_version"]["count"] or 0) for b in counted)


def rollup_blocks(*, asset_id: str, first: int, end: int) -> Blocks:
    """Per-block quantities of one asset over blocks [first, end), from its hourly rollups.

    Reads the packed field as one column (one field per hour instead of twenty, and no Point
    objects, §18.3). Every rollup point carries ``baseline_version``; when fewer points carry
    the packed field (rollups written before it existed), the twenty fields are read instead.
    Both paths give the same floats."""
    start, stop = _hour_span(first, end)
    times, texts = get_store().read_column(
        measurement=ROLLUP_MEASUREMENT, asset_id=asset_id, start=start, end=stop, field=PACKED_FIELD
    )
    if _hourly_count(asset_id, start, stop) != len(times):
        return rollup_blocks_unpacked(asset_id=asset_id, first=first, end=end)
    return blocks_from_packed(first, end - first, [t // _US_PER_HOUR for t in times], texts)


def rollup_blocks_unpacked(*, asset_id: str, first: int, end: int) -> Blocks:
    """The same as ``rollup_blocks`` from the twenty numeric fields (the slow path)."""
    start, stop = _hour_span(first, end)
    points = get_store().read(
        measurement=ROLLUP_MEASUREMENT, asset_id=asset_id, start=start, end=stop, fields=list(ROLLUP_FIELDS)
    )
    hours = [(int(p.time.timestamp()) // 3600, p.fields) for p in points]
    return blocks_from_hours(first, end - first, hours)


def rollup_days(*, asset_id: str, edges: np.ndarray) -> DayForm:
    """One asset's site-local days ``edges`` (block numbers of local midnights, then the end)
    from its daily rollups.

    The daily points must account for every hourly point whose time lies in the range (each
    records how many it was computed from) and start on the days' first blocks; otherwise
    (hours written without their days, or days of another time zone) the days are computed
    from the hourly rollups. Both give the same figures (sums of the same floats)."""
    first, end = int(edges[0]), int(edges[-1])
    start, stop = block_start(first), block_start(end)
    times, texts = get_store().read_column(
        measurement=DAILY_MEASUREMENT, asset_id=asset_id, start=start, end=stop, field=DAY_FIELD
    )
    try:
        days, hours = days_from_packed(edges, [t // _US_PER_BLOCK for t in times], texts)
    except ValueError:
        days, hours = None, -1
    if days is None or hours != _hourly_count(asset_id, start, stop):
        return day_form(rollup_blocks(asset_id=asset_id, first=first, end=end), edges)
    return days


def daily_points(*, asset_id: str, edges: np.ndarray) -> list[Point]:
    """The daily rollup points of the days ``edges``, computed from the stored hourly rollups.

    A day gets a point when any hourly point covers one of its blocks (with a zone offset of
    a half-hour, the hour holding a local midnight covers the end of one day and the start of
    the next); ``hours`` counts the hourly points whose time lies in the day."""
    first, end = int(edges[0]), int(edges[-1])
    blocks = rollup_blocks(asset_id=asset_id, first=first, end=end)
    start, stop = _hour_span(first, end)
    times, _ = get_store().read_column(
        measurement=ROLLUP_MEASUREMENT, asset_id=asset_id, start=start, end=stop, field="baseline_version"
    )
    hour_blocks = np.array(times, dtype=np.int64) // _US_PER_BLOCK
    n_days = len(edges) - 1

    def day_of(b: np.ndarray) -> np.ndarray:
        return np.searchsorted(edges, b, side="right") - 1

    by_time = day_of(hour_blocks)
    inside = (by_time >= 0) & (by_time < n_days)
    per_day = np.bincount(by_time[inside], minlength=n_days)
    touched = np.zeros(n_days, dtype=bool)
    for half in (0, 1):
        d = day_of(hour_blocks + half)
        touched[d[(d >= 0) & (d < n_days)]] = True
    points = []
    for i in np.flatnonzero(touched).tolist():
        lo, hi = int(edges[i]), int(edges[i + 1])
        fields: dict[str, FieldValue] = {DAY_FIELD: day_packed(blocks, lo, hi, int(per_day[i]))}
        points.append(Point(DAILY_MEASUREMENT, asset_id, block_start(lo), fields))
    return points
