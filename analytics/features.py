"""Past-only feature engineering for one asset's event stream (pure numpy/pandas, no Django).

Every feature value at event time ``t`` is a deterministic function of the rows with
timestamp ``<= t`` only (event time, never wall-clock time); ``FEATURE_SPECS`` documents
every output column.  What the columns are lives in :mod:`analytics.feature_catalogue`; the
canonical window sums that make recomputation bit-identical in :mod:`analytics.window_sums`;
the trend slopes in :mod:`analytics.trends`.  This module computes the table, one group of
columns per step, and is the public face of all of them (the names of ``__all__``).

Incremental use (the service layer)::

    hist = required_history(params)                         # 73 h
    rows = events with time >= emit_from - hist, plus the last event before that (if any)
    feats = compute_features(rows, context=ctx, history_start=emit_from - hist, emit_from=emit_from)

``history_start``: rows before it are not used for any window; only the last of them is
used, as the predecessor ``t_prev`` of the first row (``interval_s`` / energy).  With
``history_start=None`` every row is used and the first row is treated as the asset's first
event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics.feature_catalogue import (
    ABS_FLOORS,
    FEATURE_COLUMNS,
    FEATURE_SPECS,
    FLAG_COLUMNS,
    NS_PER_S,
    OPTIONAL_SIGNALS,
    REQUIRED_SIGNALS,
    ROLLING_SIGNALS,
    SIGNAL_UNITS,
    SPECTRAL_SIGNALS,
    WINDOWS,
    AssetContext,
    FeatureParams,
    FeatureSpec,
    required_history,
)
from analytics.running import running_mask
from analytics.trends import hourly_slope, theil_sen_slope
from analytics.window_sums import ROW_CHUNK, Blocks, prefix_sums, window_stats, window_sum

__all__ = [
    "ABS_FLOORS",
    "FEATURE_COLUMNS",
    "FEATURE_SPECS",
    "FLAG_COLUMNS",
    "OPTIONAL_SIGNALS",
    "REQUIRED_SIGNALS",
    "ROLLING_SIGNALS",
    "SIGNAL_UNITS",
    "SPECTRAL_SIGNALS",
    "WINDOWS",
    "AssetContext",
    "FeatureParams",
    "FeatureSpec",
    "compute_features",
    "required_history",
    "theil_sen_slope",
]


def compute_features(
    events: pd.DataFrame,
    *,
    context: AssetContext,
    history_start: Any = None,
    emit_from: Any = None,
    params: FeatureParams | None = None,
    baseline: Any = None,
) -> pd.DataFrame:
    """Compute the past-only feature table of one asset.

    ``events``: DataFrame indexed by a tz-aware (UTC) DatetimeIndex with unique timestamps
    (sorted here if needed) and at least the ``REQUIRED_SIGNALS`` columns; optional signals
    may be absent or NaN.  Returns one row per event with time ``>= emit_from`` (all rows
    when ``None``), in time order, with the columns ``FEATURE_COLUMNS``, all float64 (flags
    are 0.0 / 1.0, null is NaN).

    ``history_start``: rows before it are used only as the predecessor of the first row
    (the last of them); ``None`` uses all rows, the first being the asset's first event.
    For results identical to a full computation, supply at least
    :func:`required_history` before ``emit_from`` (see the module docstring).
    ``baseline``: optional BaselineStats-like object (``.mean_of(column)``) used for the
    ``temperature_rise_c`` fallback when ``context.baseline_temperature_c`` is None.
    Deterministic: the same input gives bit-identical output.
    """
    p = (params or FeatureParams()).for_asset(context)
    inp = _Input.of(events, history_start, emit_from)
    table = _Table(np.empty((len(FEATURE_COLUMNS), inp.n_out)))
    blocks = _rolling_statistics(table, inp, p)
    _spectral_means(table, inp, blocks)
    _supply_quality(table, inp, context, p)
    if inp.n:
        _energy_columns(table, inp, p, blocks)
        _operating_state(table, inp, context, p, blocks)
    _trends(table, inp, p)
    _temperature_rise(table, inp, context, baseline)
    frame = pd.DataFrame(
        table.values.T, index=inp.index[inp.first :], columns=list(FEATURE_COLUMNS), copy=False
    )
    frame.index.name = inp.index_name or "time"
    return frame


# --- the input, after validation and history trimming -------------------------------------------

#: the event columns the features read (required and optional)
_READ = (*ROLLING_SIGNALS, *SPECTRAL_SIGNALS, "ambient_temperature_c", "rpm")


@dataclass(frozen=True)
class _Input:
    """The rows the windows use, as float64 columns over sorted nanosecond times."""

    t: np.ndarray  # event times (ns since the epoch), strictly increasing
    raw: dict[str, np.ndarray]  # signal -> values (NaN where absent)
    first: int  # first emitted row (time >= emit_from)
    prev_t: int | None  # predecessor of the first row (before history_start)
    prev_p: float  # its power_kw
    index_name: Any

    @property
    def n(self) -> int:
        return int(self.t.size)

    @property
    def n_out(self) -> int:
        return self.n - self.first

    @property
    def index(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.t, tz="UTC").as_unit("ns")

    @classmethod
    def of(cls, events: pd.DataFrame, history_start: Any, emit_from: Any) -> _Input:
        if not isinstance(events, pd.DataFrame):
            raise TypeError("events must be a pandas DataFrame")
        missing = [c for c in REQUIRED_SIGNALS if c not in events.columns]
        if missing:
            raise ValueError(f"events is missing required columns: {missing}")
        t = _time_ns(events.index)
        if t.size > 1 and not np.all(t[1:] > t[:-1]):
            order = np.argsort(t, kind="stable")
            t = t[order]
            events = events.iloc[order]
            if np.any(t[1:] == t[:-1]):
                dup = pd.DatetimeIndex(t[1:][t[1:] == t[:-1]], tz="UTC")[:3]
                raise ValueError(
                    f"events has duplicate timestamps (e.g. {list(dup)}); one row per event time"
                )
        # predecessor handling: rows before history_start only provide t_prev of the first row
        prev_t: int | None = None
        prev_p = np.nan
        skip = 0
        if history_start is not None:
            skip = int(np.searchsorted(t, _ts_ns(history_start), side="left"))
            if skip:
                prev_t = int(t[skip - 1])
                prev_p = float(_column(events, "power_kw", t.size)[skip - 1])
        raw = {name: _column(events, name, t.size)[skip:] for name in _READ}
        t = t[skip:]
        first = 0 if emit_from is None else int(np.searchsorted(t, _ts_ns(emit_from), side="left"))
        return cls(t, raw, first, prev_t, prev_p, events.index.name)


def _column(events: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name in events.columns:
        series = events[name]
        if series.dtype != np.float64:
            series = pd.to_numeric(series, errors="coerce")
        values: np.ndarray = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return values
    return np.full(n, np.nan)


def _time_ns(index: pd.Index) -> np.ndarray:
    if not isinstance(index, pd.DatetimeIndex):
        raise TypeError("events must be indexed by a pandas DatetimeIndex (UTC)")
    if index.tz is None:
        raise ValueError("events index must be timezone-aware (UTC); got a naive DatetimeIndex")
    return np.asarray(index.tz_convert("UTC").as_unit("ns").asi8, dtype=np.int64)


def _ts_ns(value: Any) -> int:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(f"timestamps must be timezone-aware (UTC), got {value!r}")
    return int(ts.tz_convert("UTC").as_unit("ns").value)


@dataclass
class _Table:
    """The result: one homogeneous float64 block (columns, rows); flags are 0.0 / 1.0."""

    values: np.ndarray
    row_of: dict[str, int] = field(
        default_factory=lambda: {name: k for k, name in enumerate(FEATURE_COLUMNS)}
    )

    def put(self, name: str, values: np.ndarray | float) -> None:
        self.values[self.row_of[name]] = values

    def rows(self, names: Any) -> np.ndarray:
        return np.array([self.row_of[name] for name in names])


# --- one step per group of columns ------------------------------------------------------------------


def _width_ns(td: pd.Timedelta) -> int:
    return int(td / pd.Timedelta(1, "ns"))


def _rolling_statistics(table: _Table, inp: _Input, p: FeatureParams) -> dict[int, Blocks]:
    """§6.1-6.2: mean and std of every rolling signal per window, and the spike flags (from the
    window of the spike test without the row itself).  Returns the blocks built per width, which
    the later steps reuse."""
    n, first = inp.n, inp.first
    m = len(ROLLING_SIGNALS)
    x = np.stack([inp.raw[s] for s in ROLLING_SIGNALS]) if n else np.empty((m, 0))  # (m, n)
    spike_width = _width_ns(p.spike_window)
    widths = {w: _width_ns(td) for w, td in WINDOWS.items()}
    if spike_width not in widths.values():
        widths["__spike__"] = spike_width
    spike_rows = table.rows(f"{s}__spike" for s in ROLLING_SIGNALS)
    block_cache: dict[int, Blocks] = {}
    buf = np.empty((1 + 2 * m + int((~np.isfinite(x).all(axis=1)).sum()), n))
    for wname, width in widths.items():
        blocks = block_cache[width] = Blocks(inp.t, width)
        if wname in WINDOWS:
            mean_rows = table.rows(f"{s}__mean_{wname}" for s in ROLLING_SIGNALS)
            std_rows = table.rows(f"{s}__std_{wname}" for s in ROLLING_SIGNALS)
        if not inp.n_out:
            continue
        shift = blocks.first_finite(x)
        cum, cnt_map = prefix_sums(blocks, x, shift, buf)
        for lo in range(first, n, ROW_CHUNK):
            hi = min(lo + ROW_CHUNK, n)
            if width == spike_width:
                incl, (nprev, mprev, sprev) = window_stats(
                    blocks, cum, cnt_map, shift, lo, hi, with_exclusive=True
                )
                table.values[spike_rows, lo - first : hi - first] = _spikes(
                    x[:, lo:hi], nprev, mprev, sprev, p
                )
            else:
                incl = window_stats(blocks, cum, cnt_map, shift, lo, hi)
            if wname in WINDOWS:
                table.values[mean_rows, lo - first : hi - first] = incl[1]
                table.values[std_rows, lo - first : hi - first] = incl[2]
    return block_cache


def _spectral_means(table: _Table, inp: _Input, block_cache: dict[int, Blocks]) -> None:
    """Spectral band values: 15-min means only (all-null columns cost one fill)."""
    n, first = inp.n, inp.first
    spec_rows = table.rows(f"{s}__mean_15m" for s in SPECTRAL_SIGNALS)
    xs = np.stack([inp.raw[s] for s in SPECTRAL_SIGNALS]) if n else np.empty((len(SPECTRAL_SIGNALS), 0))
    present = np.isfinite(xs).any(axis=1)
    table.values[spec_rows[~present]] = np.nan
    if inp.n_out and present.any():
        xs = xs[present]
        width = _width_ns(WINDOWS["15m"])
        blocks = block_cache.get(width) or Blocks(inp.t, width)
        shift = blocks.first_finite(xs)
        cum, cnt_map = prefix_sums(blocks, xs, shift)
        for lo in range(first, n, ROW_CHUNK):
            hi = min(lo + ROW_CHUNK, n)
            table.values[spec_rows[present], lo - first : hi - first] = window_stats(
                blocks, cum, cnt_map, shift, lo, hi
            )[1]


def _supply_quality(table: _Table, inp: _Input, context: AssetContext, p: FeatureParams) -> None:
    """§6.3: instantaneous deviations and band flags against the asset's rating; load factor."""
    first = inp.first
    v = inp.raw["voltage_v"][first:]
    f = inp.raw["frequency_hz"][first:]
    pf = inp.raw["power_factor"][first:]
    dev = (v - context.rated_voltage_v) / context.rated_voltage_v * 100.0
    table.put("voltage_deviation_pct", dev)
    with np.errstate(invalid="ignore"):
        table.put("voltage_out_of_band", np.abs(dev) > p.voltage_band_pct)
        table.put("frequency_deviation_hz", f - context.nominal_frequency_hz)
        table.put(
            "frequency_out_of_band",
            (f < context.nominal_frequency_hz - p.frequency_band_low_hz)
            | (f > context.nominal_frequency_hz + p.frequency_band_high_hz),
        )
        table.put("low_pf", pf < p.low_pf_threshold)
    table.put("power_factor", pf)
    table.put("load_factor", inp.raw["power_kw"][first:] / context.rated_power_kw)


def _energy_columns(table: _Table, inp: _Input, p: FeatureParams, block_cache: dict[int, Blocks]) -> None:
    """§6.4: interval, trapezoidal energy, the gaps it skips, and its 24-h sum."""
    first = inp.first
    interval, energy, gap_s = _energy(inp.t, inp.raw["power_kw"], p, inp.prev_t, inp.prev_p)
    ew = _width_ns(p.energy_sum_window)
    eb = block_cache.get(ew) or Blocks(inp.t, ew)
    table.put("interval_s", interval[first:])
    table.put("energy_kwh", energy[first:])
    table.put("energy_gap_s", gap_s[first:])
    table.put("energy_kwh_24h", window_sum(eb, energy, first))


def _operating_state(
    table: _Table, inp: _Input, context: AssetContext, p: FeatureParams, block_cache: dict[int, Blocks]
) -> None:
    """§6.7: running now, and running through the whole settled window."""
    running = _running(inp.raw["current_a"], inp.raw["rpm"], context)
    sw = _width_ns(p.settled_window)
    sb = block_cache.get(sw) or Blocks(inp.t, sw)
    stopped_in_window = window_sum(sb, 1.0 - running, inp.first)
    table.put("running", running[inp.first :])
    with np.errstate(invalid="ignore"):
        table.put(
            "running_1h",
            np.where(np.isfinite(stopped_in_window), stopped_in_window == 0.0, np.nan),
        )


def _trends(table: _Table, inp: _Input, p: FeatureParams) -> None:
    """§6.5: Theil-Sen slopes of the hourly medians of the completed hours."""
    for name, signal in (
        ("vibration_rms_slope_mm_s_per_day", "vibration_rms_mm_s"),
        ("vibration_kurtosis_slope_per_day", "vibration_kurtosis"),
    ):
        table.put(name, hourly_slope(inp.t, inp.raw[signal], p, inp.first))


def _temperature_rise(table: _Table, inp: _Input, context: AssetContext, baseline: Any) -> None:
    """§6.6: over the event's ambient reading, else over the healthy mean temperature."""
    temp = inp.raw["temperature_c"][inp.first :]
    amb = inp.raw["ambient_temperature_c"][inp.first :]
    base_t = context.baseline_temperature_c
    if base_t is None and baseline is not None:
        base_t = _baseline_temperature(baseline)
    with np.errstate(invalid="ignore"):
        fallback = temp - base_t if base_t is not None and np.isfinite(base_t) else np.nan
        table.put("temperature_rise_c", np.where(np.isfinite(amb), temp - amb, fallback))


def _running(current: np.ndarray, rpm: np.ndarray, context: AssetContext) -> np.ndarray:
    """1.0 running / 0.0 not running (the rule of ``analytics.running``, shared with the RUL's
    running hours); NaN (unknown) without a rated current."""
    if context.rated_current_a is None:
        return np.full(current.shape, np.nan)
    return running_mask(current, context.rated_current_a, rpm, context.rated_rpm).astype(np.float64)


def _baseline_temperature(baseline: Any) -> float | None:
    getter = getattr(baseline, "mean_of", None)
    for name in (
        "temperature_c",
        "temperature_c__mean_24h",
        "temperature_c__mean_1h",
        "temperature_c__mean_15m",
    ):
        try:
            if getter is not None:
                val = getter(name)
            elif isinstance(baseline, Mapping):
                val = baseline[name]["mean"] if isinstance(baseline[name], Mapping) else baseline[name]
            else:
                return None
        except KeyError:
            continue
        if val is not None and np.isfinite(val):
            return float(val)
    return None


def _spikes(
    x: np.ndarray, nprev: np.ndarray, mprev: np.ndarray, sprev: np.ndarray, p: FeatureParams
) -> np.ndarray:
    """Spike flags (m, rows) from the previous-window stats (row itself excluded)."""
    abs_floor = np.array([float(p.spike_abs_floors.get(s, 0.0)) for s in ROLLING_SIGNALS])[:, None]
    with np.errstate(invalid="ignore"):
        floor = np.maximum(np.maximum(p.spike_min_floor, p.spike_rel_floor * np.abs(mprev)), abs_floor)
        scale = np.fmax(sprev, floor)
        flags: np.ndarray = (nprev >= p.spike_min_points) & (np.abs(x - mprev) > p.spike_k * scale)
        return flags


def _energy(
    t: np.ndarray, power: np.ndarray, p: FeatureParams, prev_t: int | None, prev_p: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """interval_s, energy_kwh, energy_gap_s per row (see FEATURE_SPECS)."""
    if prev_t is not None:
        te = np.concatenate([[prev_t], t])
        pe = np.concatenate([[prev_p], power])
    else:
        te, pe = t, power
    k0 = te.size - t.size  # 1 when a predecessor was supplied
    ne = te.size
    interval = np.full(ne, np.nan)
    energy = np.zeros(ne)
    gap_s = np.zeros(ne)
    if ne >= 2:
        dt_s = np.diff(te) / NS_PER_S
        interval[1:] = dt_s
        min_gap = p.energy_min_max_gap.total_seconds()
        max_gap = np.full(ne - 1, min_gap)
        if p.median_interval_s is not None:
            max_gap = np.maximum(p.energy_gap_factor * float(p.median_interval_s), min_gap)
            max_gap = np.full(ne - 1, max_gap)
        else:
            # max_gap >= min_gap, so only intervals longer than that need their median
            w = int(p.energy_median_window / pd.Timedelta(1, "ns"))
            cand = np.flatnonzero(dt_s > min_gap)  # interval index i-1 for row i
            if cand.size:
                rows = cand + 1
                # intervals k (rows k-1 -> k) with t[k-1] > t[i] - W and k <= i
                kmin = np.searchsorted(te, te[rows] - w, side="right") + 1
                for j, (i, lo) in enumerate(zip(rows.tolist(), kmin.tolist(), strict=True)):
                    if lo <= i:
                        med = float(np.median(interval[lo : i + 1]))
                        max_gap[cand[j]] = max(p.energy_gap_factor * med, min_gap)
        is_gap = dt_s > max_gap
        trap = (pe[:-1] + pe[1:]) / 2.0 * (dt_s / 3600.0)
        energy[1:] = np.where(is_gap, 0.0, trap)
        gap_s[1:] = np.where(is_gap, dt_s, 0.0)
    return interval[k0:], energy[k0:], gap_s[k0:]
