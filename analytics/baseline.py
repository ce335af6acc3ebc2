"""Healthy-baseline statistics and z-normalisation (pure numpy/pandas, no Django).

``baseline_fit`` summarises the feature table of a healthy window per column (mean,
sample std, percentiles, count of finite values).  ``BaselineStats.normalise`` turns
feature values into z-scores ``z = (x - mean) / max(std, floor)`` with
``floor = max(1e-6, 0.01 * |mean|, absolute floor of the column's signal)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analytics.feature_catalogue import ABS_FLOORS as FEATURE_ABS_FLOORS

__all__ = [
    "ABS_FLOORS",
    "DEFAULT_MIN_EVENTS",
    "BaselineError",
    "BaselineStats",
    "ColumnStats",
    "abs_floor_for",
    "baseline_fit",
]

DEFAULT_MIN_EVENTS = 500
STATS_VERSION = 1
REL_FLOOR = 0.01
MIN_FLOOR = 1e-6

#: absolute std floors; a feature column uses the entry of its exact name, else of its
#: signal prefix (the part before ``__``), else 0.  The signal entries are the contract's
#: noise floors (docs/CONTRACTS.md §6.2); the rest are added for the other features.
ABS_FLOORS: Mapping[str, float] = MappingProxyType(
    {
        **FEATURE_ABS_FLOORS,
        "energy_kwh": 1e-4,
        "energy_kwh_24h": 0.01,
        "vibration_rms_slope_mm_s_per_day": 0.01,
        "vibration_kurtosis_slope_per_day": 0.02,
    }
)


def abs_floor_for(column: str, floors: Mapping[str, float] = ABS_FLOORS) -> float:
    """Absolute std floor of a feature column (exact name, then ``<signal>__...`` prefix)."""
    if column in floors:
        return float(floors[column])
    prefix = column.split("__", 1)[0]
    return float(floors.get(prefix, 0.0))


class BaselineError(ValueError):
    """The baseline window cannot produce usable statistics."""


def _json_float(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _from_json_float(value: Any) -> float:
    return float("nan") if value is None else float(value)


@dataclass(frozen=True)
class ColumnStats:
    mean: float
    std: float
    p01: float
    p05: float
    p50: float
    p95: float
    p99: float
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": _json_float(self.mean),
            "std": _json_float(self.std),
            "p01": _json_float(self.p01),
            "p05": _json_float(self.p05),
            "p50": _json_float(self.p50),
            "p95": _json_float(self.p95),
            "p99": _json_float(self.p99),
            "count": int(self.count),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnStats:
        return cls(
            mean=_from_json_float(data["mean"]),
            std=_from_json_float(data["std"]),
            p01=_from_json_float(data["p01"]),
            p05=_from_json_float(data["p05"]),
            p50=_from_json_float(data["p50"]),
            p95=_from_json_float(data["p95"]),
            p99=_from_json_float(data["p99"]),
            count=int(data["count"]),
        )


@dataclass(frozen=True)
class BaselineStats:
    """Per-column healthy statistics of a baseline window (JSON-serialisable)."""

    columns: Mapping[str, ColumnStats]
    n_rows: int
    window_start: pd.Timestamp | None = None
    window_end: pd.Timestamp | None = None
    floors: Mapping[str, float] = field(default_factory=dict)
    version: int = STATS_VERSION

    # -- access -----------------------------------------------------------------------------
    def __contains__(self, column: object) -> bool:
        return column in self.columns

    def stats(self, column: str) -> ColumnStats:
        try:
            return self.columns[column]
        except KeyError:
            raise KeyError(f"baseline has no statistics for column {column!r}") from None

    def mean_of(self, column: str) -> float:
        return self.stats(column).mean

    def floor_of(self, column: str) -> float:
        """Normalisation floor max(1e-6, 0.01*|mean|, absolute floor) of a column."""
        st = self.stats(column)
        absf = self.floors[column] if column in self.floors else abs_floor_for(column)
        mean = st.mean if math.isfinite(st.mean) else 0.0
        return max(MIN_FLOOR, REL_FLOOR * abs(mean), absf)

    def scale_of(self, column: str) -> float:
        st = self.stats(column)
        std = st.std if math.isfinite(st.std) else 0.0
        return max(std, self.floor_of(column))

    # -- normalisation ----------------------------------------------------------------------
    def normalise(self, frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """z-scores ``(x - mean) / max(std, floor)`` of the given (default: all baseline) columns."""
        cols = list(self.columns) if columns is None else list(columns)
        out = {}
        for c in cols:
            st = self.stats(c)
            x = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            out[c] = (x - st.mean) / self.scale_of(c)
        return pd.DataFrame(out, index=frame.index, columns=cols)

    def normalise_array(self, x: np.ndarray, columns: list[str]) -> np.ndarray:
        """Same as :meth:`normalise` on an (n, len(columns)) array."""
        mean = np.array([self.stats(c).mean for c in columns])
        scale = np.array([self.scale_of(c) for c in columns])
        z: np.ndarray = (np.asarray(x, dtype=np.float64) - mean) / scale
        return z

    # -- serialisation ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "n_rows": int(self.n_rows),
            "window_start": None if self.window_start is None else self.window_start.isoformat(),
            "window_end": None if self.window_end is None else self.window_end.isoformat(),
            "floors": {k: float(v) for k, v in self.floors.items()},
            "columns": {k: v.to_dict() for k, v in self.columns.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BaselineStats:
        ws, we = data.get("window_start"), data.get("window_end")
        return cls(
            columns={k: ColumnStats.from_dict(v) for k, v in data["columns"].items()},
            n_rows=int(data["n_rows"]),
            window_start=None if ws is None else pd.Timestamp(ws),
            window_end=None if we is None else pd.Timestamp(we),
            floors={k: float(v) for k, v in data.get("floors", {}).items()},
            version=int(data.get("version", STATS_VERSION)),
        )


def _fmt_time(value: Any) -> str:
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    text: str = ts.isoformat()
    return text + "Z"


def baseline_fit(
    features: pd.DataFrame,
    *,
    columns: Iterable[str] | None = None,
    min_events: int = DEFAULT_MIN_EVENTS,
    floors: Mapping[str, float] | None = None,
    window: tuple[Any, Any] | None = None,
    skip_empty: bool = False,
) -> BaselineStats:
    """Fit per-column healthy statistics on a baseline window of the feature table.

    Statistics ignore NaN/inf values: mean, sample std (ddof=1, NaN with a single finite
    value), numpy linear-interpolation percentiles 1/5/50/95/99 and the finite count.
    Raises :class:`BaselineError` when the window has fewer than ``min_events`` rows (the
    message names the count and, when ``window=(start, end)`` is given, the window) or a
    column is missing or has no finite value.  ``skip_empty=True`` leaves columns with
    fewer than 2 finite values out instead (docs/CONTRACTS.md §7.2).
    """
    cols = list(features.columns) if columns is None else list(columns)
    n_rows = len(features)
    if n_rows < min_events:
        where = "baseline window"
        if window is not None:
            where = f"baseline window [{_fmt_time(window[0])}, {_fmt_time(window[1])})"
        raise BaselineError(f"{where} holds {n_rows} events; at least {min_events} are required")
    missing = [c for c in cols if c not in features.columns]
    if missing and not skip_empty:
        raise BaselineError(f"baseline columns missing from the feature table: {missing}")
    stats: dict[str, ColumnStats] = {}
    for c in cols:
        if c not in features.columns:
            continue
        col = features[c]
        if col.dtype != np.float64:
            col = pd.to_numeric(col, errors="coerce")
        x = col.to_numpy(dtype=np.float64, na_value=np.nan)
        x = x[np.isfinite(x)]
        if skip_empty and x.size < 2:
            continue
        if x.size == 0:
            raise BaselineError(f"baseline column {c!r} has no finite values in {n_rows} events")
        p01, p05, p50, p95, p99 = np.percentile(x, [1, 5, 50, 95, 99])
        stats[c] = ColumnStats(
            mean=float(np.mean(x)),
            std=float(np.std(x, ddof=1)) if x.size >= 2 else float("nan"),
            p01=float(p01),
            p05=float(p05),
            p50=float(p50),
            p95=float(p95),
            p99=float(p99),
            count=int(x.size),
        )
    start = end = None
    if window is not None:
        start, end = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    elif isinstance(features.index, pd.DatetimeIndex) and n_rows:
        start, end = features.index.min(), features.index.max()
    return BaselineStats(
        columns=stats,
        n_rows=n_rows,
        window_start=start,
        window_end=end,
        floors={} if floors is None else {k: float(v) for k, v in floors.items() if k in stats},
    )
