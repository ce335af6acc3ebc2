"""The stored points an assessment run reads (docs/CONTRACTS.md §9.1, §12): the features, scores and
events around its grid, read once per run, and the staleness limit that follows from the events.

A run reads everything it needs up front, in a handful of store queries, and then evaluates its
grid points from memory: one query per grid point would make a backfill of months cost a round trip
per ten minutes of event time.
"""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
from datetime import datetime, timedelta
from typing import Any

from analytics.selectors import ActiveBaseline
from ingestion.timeseries import Point, TimeSeriesStore

from .clock import EARLIEST, HOUR, US

STALE_WINDOW = timedelta(hours=24)  # median interval window of §12

EVENT_FIELDS = [
    "temperature_c",
    "voltage_v",
    "frequency_hz",
    "power_factor",
    "current_a",
    "vibration_rms_mm_s",
    "vibration_kurtosis",
    "rpm",
    "ambient_temperature_c",
]
FEATURE_FIELDS = [
    "vibration_rms_mm_s__mean_15m",
    "current_a__mean_15m",
    "current_a__mean_1h",
    "voltage_v__mean_15m",
    "frequency_hz__mean_15m",
    "power_factor__mean_15m",
    "temperature_c__mean_15m",
    "vibration_kurtosis__mean_15m",
    "vibration_rms_slope_mm_s_per_day",
    "vibration_kurtosis_slope_per_day",
    "vibration_1x_mm_s__mean_15m",
    "vibration_2x_mm_s__mean_15m",
    "envelope_bpfo_g__mean_15m",
    "envelope_bpfi_g__mean_15m",
    "temperature_rise_c",
    "load_factor",
    "baseline_version",
    "running",
    "running_1h",
]
SCORE_FIELDS = ["anomaly_score", "model_version", "n_imputed"]


def num(x: Any) -> float | None:
    """A stored field as a finite float; None for missing, non-numeric and non-finite values."""
    if x is None or isinstance(x, bool) or isinstance(x, str):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def flag(x: Any) -> bool | None:
    """A stored 0/1 flag as a bool; None when missing."""
    value = num(x)
    return None if value is None else value == 1.0


class Series:
    """Points of one measurement in time order, with at-or-before and exact lookups."""

    def __init__(self, points: list[Point]) -> None:
        points = sorted(points, key=lambda p: p.time)
        self.times = [p.time for p in points]
        self.fields = [p.fields for p in points]

    def index_at_or_before(self, t: datetime) -> int | None:
        i = bisect.bisect_right(self.times, t) - 1
        return i if i >= 0 else None

    def at(self, t: datetime) -> dict[str, Any] | None:
        i = bisect.bisect_left(self.times, t)
        return self.fields[i] if i < len(self.times) and self.times[i] == t else None


class GridSeries:
    """The ``features``, ``scores`` and ``events`` of one asset around a run's grid."""

    def __init__(self, *, store: TimeSeriesStore, asset_id: str, stale_base_s: float) -> None:
        self.store = store
        self.asset_id = asset_id
        self.stale_base_s = stale_base_s
        self.features = self.scores = self.events = Series([])
        self._stale_after_cache: dict[datetime, float] = {}

    def newest_before(self, measurement: str, t: datetime) -> Point | None:
        pts = self.store.read(
            measurement=measurement,
            asset_id=self.asset_id,
            start=EARLIEST,
            end=t,
            limit=1,
            descending=True,
        )
        return pts[0] if pts else None

    def load(self, grid: list[datetime]) -> None:
        first, last = grid[0], grid[-1]
        end = last + US
        aid = self.asset_id
        anchor_f = self.newest_before("features", first + US)
        anchor_e = self.newest_before("events", first + US)
        f_from = anchor_f.time if anchor_f is not None else first
        # 24 h of staleness/PF history (§12, §15.1) plus the hour that tells a start from steady running
        e_from = (anchor_e.time if anchor_e is not None else first) - STALE_WINDOW - HOUR
        self.features = Series(
            self.store.read(
                measurement="features", asset_id=aid, start=f_from, end=end, fields=FEATURE_FIELDS
            )
        )
        scores = self.store.read(
            measurement="scores", asset_id=aid, start=f_from, end=end, fields=SCORE_FIELDS
        )
        # the newest score before the range: an as_of where the machine is not running steadily
        # (no score of its own, docs/CONTRACTS.md §6.7) carries the last running score (§9.1)
        anchor_s = self.newest_before("scores", f_from)
        self.scores = Series(([anchor_s] if anchor_s is not None else []) + scores)
        self.events = Series(
            self.store.read(measurement="events", asset_id=aid, start=e_from, end=end, fields=EVENT_FIELDS)
        )

    def stale_after_s(self, newest_index: int) -> float:
        """§12: the larger of the configured limit and 3 x the median event interval of the 24 h up
        to the newest event (a slow sensor is not stale between its own readings)."""
        newest = self.events.times[newest_index]
        cached = self._stale_after_cache.get(newest)
        if cached is not None:
            return cached
        lo = bisect.bisect_right(self.events.times, newest - STALE_WINDOW)
        window = self.events.times[lo : newest_index + 1]
        value = self.stale_base_s
        if len(window) >= 3:
            gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(window)]
            value = max(value, 3.0 * statistics.median(gaps))
        self._stale_after_cache[newest] = value
        return value

    def score_for(self, t: datetime, b: ActiveBaseline | None) -> tuple[dict[str, Any], datetime]:
        """The score used at ``as_of`` t and its time (§9.1): the score at t; when the machine is
        not running steadily at t (no score there, §6.7), the newest earlier score of the active
        model, i.e. the condition of the machine as it last ran. ``({}, t)`` when there is none."""
        exact = self.scores.at(t)
        if exact is not None or b is None:
            return exact or {}, t
        i = self.scores.index_at_or_before(t)
        if i is None or self.scores.times[i] < b.window_end:
            return {}, t
        fields = self.scores.fields[i]
        if num(fields.get("model_version")) != b.version:
            return {}, t
        return fields, self.scores.times[i]
