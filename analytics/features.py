"""Past-only feature engineering for one asset's event stream (pure numpy/pandas, no Django).

Every feature value at event time ``t`` is a deterministic function of the rows with
timestamp ``<= t`` only (event time, never wall-clock time); ``FEATURE_SPECS`` documents
every output column.

Canonical window sums.  A window ``(t - W, t]`` is split at the epoch-aligned block
boundary ``floor(t / W) * W`` into the tail of the previous block (rows ``> t - W``) and
the head of the current block (rows ``<= t``); each part is accumulated sequentially from
its own block start.  The floating-point result therefore depends only on the data in the
two blocks, never on where the input frame starts: recomputation is bit-identical and an
incremental computation equals the computation over the whole series.

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
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analytics.running import running_mask
from pdm_project import contract

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

NS_PER_S = 1_000_000_000
NS_PER_HOUR = 3600 * NS_PER_S

#: the inputs: the contract's readings (pdm_project.contract) with the derived power signals;
#: power_kw is required, the other derived signals are optional like the optional readings
REQUIRED_SIGNALS: tuple[str, ...] = (*contract.REQUIRED_SIGNALS, "power_kw")
OPTIONAL_SIGNALS: tuple[str, ...] = (
    *contract.OPTIONAL_SIGNALS,
    *(s for s in contract.DERIVED_SIGNALS if s not in REQUIRED_SIGNALS),
)
#: spectral band values (optional): only their 15-min mean is kept, for the guidance's symptom
#: words relative to the healthy baseline (docs/CONTRACTS.md section 15.5)
SPECTRAL_SIGNALS: tuple[str, ...] = contract.SPECTRAL_SIGNALS
ROLLING_SIGNALS: tuple[str, ...] = (
    "voltage_v",
    "current_a",
    "power_factor",
    "frequency_hz",
    "temperature_c",
    "vibration_rms_mm_s",
    "vibration_kurtosis",
    "power_kw",
)
SIGNAL_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "voltage_v": "V",
        "current_a": "A",
        "power_factor": "1",
        "frequency_hz": "Hz",
        "temperature_c": "degC",
        "vibration_rms_mm_s": "mm/s",
        "vibration_kurtosis": "1",
        "power_kw": "kW",
        "vibration_1x_mm_s": "mm/s",
        "vibration_2x_mm_s": "mm/s",
        "envelope_bpfo_g": "g",
        "envelope_bpfi_g": "g",
    }
)
#: name suffix -> window length; windows are (t - W, t] (left-open, right-closed)
WINDOWS: Mapping[str, pd.Timedelta] = MappingProxyType(
    {"15m": pd.Timedelta(minutes=15), "1h": pd.Timedelta(hours=1), "24h": pd.Timedelta(hours=24)}
)
#: absolute noise floors (docs/CONTRACTS.md §6.2): spike test and baseline normalisation
ABS_FLOORS: Mapping[str, float] = MappingProxyType(
    {
        "voltage_v": 1.0,
        "current_a": 0.1,
        "power_factor": 0.01,
        "frequency_hz": 0.02,
        "frequency_deviation_hz": 0.02,
        "temperature_c": 0.5,
        "temperature_rise_c": 0.5,
        "vibration_rms_mm_s": 0.1,
        "vibration_kurtosis": 0.2,
        "power_kw": 0.1,
        "voltage_deviation_pct": 0.1,
        "load_factor": 0.01,
    }
)


_15MIN = pd.Timedelta(minutes=15)
_1H = pd.Timedelta(hours=1)
_24H = pd.Timedelta(hours=24)
_72H = pd.Timedelta(hours=72)


@dataclass(frozen=True)
class AssetContext:
    """Static asset data the features need (plus the per-asset overrides of §3.3)."""

    rated_voltage_v: float
    rated_power_kw: float
    nominal_frequency_hz: float = 50.0
    #: healthy mean temperature, used for ``temperature_rise_c`` when no ambient reading
    baseline_temperature_c: float | None = None
    #: per-asset overrides; None keeps FeatureParams' value
    voltage_band_pct: float | None = None
    power_factor_limit: float | None = None
    #: nameplate current and speed, for the operating state (``running``); without a rated
    #: current the state is unknown (null) and every row counts as scorable
    rated_current_a: float | None = None
    rated_rpm: float | None = None

    def __post_init__(self) -> None:
        if not (np.isfinite(self.rated_voltage_v) and self.rated_voltage_v > 0):
            raise ValueError(f"rated_voltage_v must be > 0, got {self.rated_voltage_v!r}")
        if not (np.isfinite(self.rated_power_kw) and self.rated_power_kw > 0):
            raise ValueError(f"rated_power_kw must be > 0, got {self.rated_power_kw!r}")
        for name in ("rated_current_a", "rated_rpm"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be > 0 when given, got {value!r}")


@dataclass(frozen=True)
class FeatureParams:
    """Tunable feature parameters (defaults are the contract values)."""

    spike_k: float = 4.0
    spike_window: pd.Timedelta = _1H
    spike_min_points: int = 10
    spike_rel_floor: float = 0.01
    spike_min_floor: float = 1e-9
    spike_abs_floors: Mapping[str, float] = field(default_factory=lambda: dict(ABS_FLOORS))
    voltage_band_pct: float = 6.0
    #: out of band when f < nominal - low or f > nominal + high (49.90 / 50.05 at 50 Hz)
    frequency_band_low_hz: float = 0.10
    frequency_band_high_hz: float = 0.05
    low_pf_threshold: float = 0.90
    #: running_1h: every event in (t - this, t] is running (the longest model input window)
    settled_window: pd.Timedelta = _1H
    #: max_gap = max(energy_gap_factor * median interval, energy_min_max_gap)
    energy_gap_factor: float = 3.0
    energy_min_max_gap: pd.Timedelta = _15MIN
    #: the median interval is taken over the intervals with both ends in (t - this, t]
    energy_median_window: pd.Timedelta = _24H
    #: fixed median interval (seconds); when set it replaces the rolling past-only median
    median_interval_s: float | None = None
    energy_sum_window: pd.Timedelta = _24H
    slope_window: pd.Timedelta = _72H
    slope_min_hours: int = 12
    history_margin: pd.Timedelta = _1H

    def __post_init__(self) -> None:
        if self.slope_window % pd.Timedelta(hours=1) != pd.Timedelta(0):
            raise ValueError("slope_window must be a whole number of hours")
        if self.spike_min_points < 2:
            raise ValueError("spike_min_points must be >= 2")

    def for_asset(self, context: AssetContext) -> FeatureParams:
        """These parameters with the asset's overrides applied."""
        changes: dict[str, Any] = {}
        if context.voltage_band_pct is not None:
            changes["voltage_band_pct"] = float(context.voltage_band_pct)
        if context.power_factor_limit is not None:
            changes["low_pf_threshold"] = float(context.power_factor_limit)
        return replace(self, **changes) if changes else self


@dataclass(frozen=True)
class FeatureSpec:
    """Traceability metadata for one output column."""

    name: str
    formula: str
    sources: tuple[str, ...]
    window: str
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "formula": self.formula,
            "sources": list(self.sources),
            "window": self.window,
            "unit": self.unit,
        }


def _build_specs() -> dict[str, FeatureSpec]:
    specs: dict[str, FeatureSpec] = {}

    def add(name: str, formula: str, sources: tuple[str, ...], window: str, unit: str) -> None:
        specs[name] = FeatureSpec(name, formula, sources, window, unit)

    for sig in ROLLING_SIGNALS:
        unit = SIGNAL_UNITS[sig]
        for w in WINDOWS:
            add(
                f"{sig}__mean_{w}",
                f"arithmetic mean of the present values of {sig} over (t-{w}, t]; null if none",
                (sig,),
                f"(t-{w}, t]",
                unit,
            )
            add(
                f"{sig}__std_{w}",
                f"sample standard deviation (ddof=1) of the present values of {sig} over (t-{w}, t]; "
                "null if fewer than 2",
                (sig,),
                f"(t-{w}, t]",
                unit,
            )
    for sig in SPECTRAL_SIGNALS:
        add(
            f"{sig}__mean_15m",
            f"arithmetic mean of the present values of {sig} over (t-15m, t]; null if none",
            (sig,),
            "(t-15m, t]",
            SIGNAL_UNITS[sig],
        )
    for sig in ROLLING_SIGNALS:
        add(
            f"{sig}__spike",
            f"1 if |{sig}_t - m| > k * max(sd, max(1e-9, 0.01*|m|, abs_floor)) with m, sd = mean, sample "
            f"std of the present values of {sig} over (t-1h, t) (t itself excluded), k = 4, abs_floor = "
            f"{ABS_FLOORS[sig]} {SIGNAL_UNITS[sig]}; 0 when fewer than 10 previous values or {sig}_t absent",
            (sig,),
            "(t-1h, t)",
            "flag",
        )
    add(
        "voltage_deviation_pct",
        "(voltage_v - rated_voltage_v) / rated_voltage_v * 100",
        ("voltage_v", "asset.rated_voltage_v"),
        "instant",
        "%",
    )
    add(
        "voltage_out_of_band",
        "1 if |voltage_deviation_pct| > voltage_band_pct (default 6.0, per-asset override) else 0; 0 if absent",
        ("voltage_v", "asset.rated_voltage_v"),
        "instant",
        "flag",
    )
    add(
        "frequency_deviation_hz",
        "frequency_hz - 50.0 (nominal_frequency_hz)",
        ("frequency_hz", "asset.nominal_frequency_hz"),
        "instant",
        "Hz",
    )
    add(
        "frequency_out_of_band",
        "1 if frequency_hz < 49.90 or frequency_hz > 50.05 (nominal -0.10 / +0.05; edges in band) else 0; "
        "0 if absent",
        ("frequency_hz", "asset.nominal_frequency_hz"),
        "instant",
        "flag",
    )
    add("power_factor", "the event's power_factor, as is", ("power_factor",), "instant", "1")
    add(
        "low_pf",
        "1 if power_factor < power_factor_limit (default 0.90, per-asset override) else 0; 0 if absent",
        ("power_factor",),
        "instant",
        "flag",
    )
    add("load_factor", "power_kw / rated_power_kw", ("power_kw", "asset.rated_power_kw"), "instant", "1")
    add(
        "interval_s",
        "t - t_prev in seconds, t_prev = the asset's previous event (any age); null for the "
        "asset's first event",
        ("time",),
        "(t_prev, t]",
        "s",
    )
    add(
        "energy_kwh",
        "(power_kw(t_prev) + power_kw(t)) / 2 * interval_s / 3600 when interval_s <= max_gap_s, else 0; 0 for "
        "the first event; max_gap_s = max(3 * median_interval_s, 900) with median_interval_s = median of the "
        "intervals whose both ends lie in (t-24h, t] (max_gap_s = 900 when there is none); null if a power "
        "value is absent",
        ("power_kw", "time"),
        "(t_prev, t]",
        "kWh",
    )
    add(
        "energy_gap_s",
        "interval_s when interval_s > max_gap_s (energy not integrated), else 0",
        ("time",),
        "(t_prev, t]",
        "s",
    )
    add(
        "energy_kwh_24h",
        "sum of the non-null energy_kwh over events with time in (t-24h, t]; null if none",
        ("power_kw", "time"),
        "(t-24h, t]",
        "kWh",
    )
    for name, sig, unit in (
        ("vibration_rms_slope_mm_s_per_day", "vibration_rms_mm_s", "mm/s/day"),
        ("vibration_kurtosis_slope_per_day", "vibration_kurtosis", "1/day"),
    ):
        add(
            name,
            f"Theil-Sen slope (median of pairwise slopes) against time in days of the hourly medians of {sig} "
            "over the completed UTC clock hours inside (t-72h, t]: the 71 whole hours [H-71h, H) before t's "
            "hour H (t's own partial hour is not used, so the value is constant within an hour); null if fewer "
            "than 12 non-empty hours",
            (sig,),
            "completed hours in (t-72h, t]",
            unit,
        )
    add(
        "running",
        "1 if current_a >= 0.10 * rated_current_a and (rpm absent or rpm >= 0.10 * rated_rpm) else 0; "
        "null when the asset's rated current is unknown",
        ("current_a", "rpm", "asset.rated_current_a", "asset.rated_rpm"),
        "instant",
        "flag",
    )
    add(
        "running_1h",
        "1 if every event with time in (t-1h, t] is running, else 0 (the machine has run through the "
        "longest anomaly-model window: such rows are scored); null when running is null",
        ("current_a", "rpm", "asset.rated_current_a", "asset.rated_rpm"),
        "(t-1h, t]",
        "flag",
    )
    add(
        "temperature_rise_c",
        "temperature_c - ambient_temperature_c when the event has ambient; else temperature_c - baseline mean "
        "of temperature_c (AssetContext.baseline_temperature_c or the baseline's temperature_c stats); null "
        "when neither exists",
        ("temperature_c", "ambient_temperature_c", "baseline.temperature_c"),
        "instant",
        "degC",
    )
    return specs


#: every output column -> FeatureSpec (formula text, source signals, window, unit)
FEATURE_SPECS: Mapping[str, FeatureSpec] = MappingProxyType(_build_specs())
#: output column order of :func:`compute_features`
FEATURE_COLUMNS: tuple[str, ...] = tuple(FEATURE_SPECS)
#: 0/1 flag columns (stored as float64 0.0 / 1.0 like every other column)
FLAG_COLUMNS: tuple[str, ...] = tuple(n for n, s in FEATURE_SPECS.items() if s.unit == "flag")


def required_history(params: FeatureParams | None = None) -> timedelta:
    """History that must precede the first emitted row for exact incremental results.

    The two-block window decomposition needs ``2 * W`` of the longest window (48 h), the
    trend ``slope_window`` (72 h), the 24 h energy sum its rows' median windows (48 h);
    plus ``history_margin`` (1 h): 73 h by default.  The caller also passes the last event
    before that (the predecessor of the first row, see the module docstring).
    """
    p = params or FeatureParams()
    longest = max(
        2 * max(WINDOWS.values()),
        2 * p.spike_window,
        2 * p.settled_window,
        p.slope_window,
        p.energy_sum_window + p.energy_median_window,
    )
    return (longest + p.history_margin).to_pytimedelta()


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------


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


_ROW_CHUNK = 8192


@dataclass(frozen=True)
class _Rows:
    """Per-row window bounds of a row chunk (see :meth:`_Blocks.rows`)."""

    seg: np.ndarray  # block of the row
    prev_seg: np.ndarray  # the block before it (0 for the first)
    row_seg_start: np.ndarray  # first row of the row's block
    row_prev_seg_start: np.ndarray  # first row of the block before
    left_lo: np.ndarray  # first row of the previous block inside (t - W, t]
    has_left: np.ndarray  # the window reaches into the previous block
    prev_last: np.ndarray  # last row of the previous block (its total)
    before_idx: np.ndarray  # last row before left_lo (its prefix is subtracted)
    before_mask: np.ndarray  # 1.0 when that prefix lies in the previous block
    has_left_f: np.ndarray
    excl_idx: np.ndarray | None = None  # the row before (the window without the row itself)
    excl_mask: np.ndarray | None = None  # 1.0 unless the row starts its block


class _Blocks:
    """Epoch-aligned blocks of width W over sorted times, plus the two-part window bounds.

    For row i (time t in block k = floor(t/W)), the window (t-W, t] is the union of the
    rows of block k-1 with time > t-W (``left``: rows [left_lo, seg_start)) and the rows of
    block k up to i (``right``: rows [seg_start, i]).
    """

    def __init__(self, t: np.ndarray, width_ns: int) -> None:
        n = t.size
        self.t = t
        self.width_ns = width_ns
        codes = np.floor_divide(t, width_ns)
        change = np.empty(n, dtype=bool)
        change[:1] = True
        np.not_equal(codes[1:], codes[:-1], out=change[1:])
        self.n = n
        self.seg_starts = np.flatnonzero(change)
        self.n_seg = self.seg_starts.size
        self.seg_ends = np.append(self.seg_starts[1:], n)
        self.seg_lengths = self.seg_ends - self.seg_starts
        seg_codes = codes[self.seg_starts]
        self.prev_present = np.zeros(self.n_seg, dtype=bool)
        self.prev_present[1:] = seg_codes[1:] == seg_codes[:-1] + 1
        self.prev_start_seg = np.zeros(self.n_seg, dtype=np.int64)
        self.prev_start_seg[1:] = self.seg_starts[:-1]
        # the only full-length index arrays (int32 is enough for one asset's frame)
        self.seg_id = (np.cumsum(change, dtype=np.int32) - 1) if n < 2**31 else np.cumsum(change) - 1
        self.first_in_window = np.searchsorted(t, t - width_ns, side="right").astype(self.seg_id.dtype)

    def rows(self, lo: int, hi: int, exclusive: bool = False) -> _Rows:
        """Window bounds of rows [lo, hi).  Computed per row chunk: a dozen full-length index
        arrays for every window width cost more in page faults than in arithmetic."""
        seg = self.seg_id[lo:hi]
        row_seg_start = self.seg_starts[seg]
        row_prev_seg_start = self.prev_start_seg[seg]
        j = self.first_in_window[lo:hi]  # first row with time > t - W
        left_lo = np.where(self.prev_present[seg], j, row_seg_start)
        has_left = left_lo < row_seg_start
        return _Rows(
            seg=seg,
            prev_seg=np.maximum(seg - 1, 0),
            row_seg_start=row_seg_start,
            row_prev_seg_start=row_prev_seg_start,
            left_lo=left_lo,
            has_left=has_left,
            prev_last=np.maximum(row_seg_start - 1, 0),
            before_idx=np.maximum(left_lo - 1, 0),
            before_mask=(left_lo > row_prev_seg_start).astype(np.float64),
            has_left_f=has_left.astype(np.float64),
            **(self._exclusive(lo, hi, row_seg_start) if exclusive else {}),
        )

    @staticmethod
    def _exclusive(lo: int, hi: int, row_seg_start: np.ndarray) -> dict[str, np.ndarray]:
        idx = np.arange(lo, hi)
        return {"excl_idx": np.maximum(idx - 1, 0), "excl_mask": (idx != row_seg_start).astype(np.float64)}

    def segmented_cumsum(self, vals: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Inclusive cumsum along axis 1 restarted at every block start (in place when out is vals).

        Each block is accumulated sequentially from its own first row, so the result only
        depends on the block's data.  Consecutive blocks of equal length are processed in
        one reshaped call.
        """
        c = vals.shape[0]
        if out is None:
            out = np.empty_like(vals)
        lengths = self.seg_ends - self.seg_starts
        run_change = np.empty(self.n_seg, dtype=bool)
        run_change[:1] = True
        np.not_equal(lengths[1:], lengths[:-1], out=run_change[1:])
        run_starts = np.flatnonzero(run_change)
        run_ends = np.append(run_starts[1:], self.n_seg)
        for a, b in zip(run_starts.tolist(), run_ends.tolist(), strict=True):
            length = int(lengths[a])
            lo = int(self.seg_starts[a])
            hi = lo + (b - a) * length
            src = vals[:, lo:hi].reshape(c, b - a, length)
            dst = out[:, lo:hi].reshape(c, b - a, length)
            if np.shares_memory(dst, out):
                np.cumsum(src, axis=2, out=dst)
            else:  # reshape had to copy (cannot happen for 2-D row slices, kept for safety)
                out[:, lo:hi] = np.cumsum(src, axis=2).reshape(c, hi - lo)
        return out

    def first_finite(self, x: np.ndarray) -> np.ndarray:
        """Per block and channel: the first finite value of the block (0 if none); x is (m, n)."""
        n = x.shape[1]
        c = x[:, self.seg_starts]
        bad_ch = np.flatnonzero(~np.isfinite(c).all(axis=1))
        for ch in bad_ch:  # slow path only for channels with a non-finite block start
            row = x[ch]
            pos = np.where(np.isfinite(row), np.arange(n), n)
            first = np.minimum.reduceat(pos, self.seg_starts)
            rp = np.append(row, 0.0)
            c[ch] = rp[first]
        return np.where(np.isfinite(c), c, 0.0)  # (m, n_seg)


def _prefix_sums(
    blocks: _Blocks, x: np.ndarray, shift_seg: np.ndarray, buf: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-block inclusive prefix sums, stacked as [counts (g rows), x - shift (m), (x - shift)^2 (m)].

    Channels without missing values share one count row; ``cnt_map[ch]`` is the count row
    of channel ``ch``.  Returns (cum, cnt_map).
    """
    m, n = x.shape
    finite = np.isfinite(x)
    complete = finite.all(axis=1)
    gaps = np.flatnonzero(~complete)
    g = len(gaps) + (1 if complete.any() else 0)
    cnt_map = np.zeros(m, dtype=np.intp)
    cnt_map[gaps] = np.arange(len(gaps)) + (1 if complete.any() else 0)
    if buf is None or buf.shape[0] < g + 2 * m:
        buf = np.empty((g + 2 * m, n))
    cum = buf[: g + 2 * m]
    v, q = cum[g : g + m], cum[g + m :]
    for lo in range(0, n, _ROW_CHUNK):  # chunked: no full-size temporaries
        hi = min(lo + _ROW_CHUNK, n)
        np.subtract(x[:, lo:hi], np.take(shift_seg, blocks.seg_id[lo:hi], axis=1), out=v[:, lo:hi])
    v[~finite] = 0.0
    np.multiply(v, v, out=q)
    if complete.any():
        cum[0] = 1.0
    cum[1 if complete.any() else 0 : g] = finite[gaps]
    return blocks.segmented_cumsum(cum, out=cum), cnt_map


def _left_part(rows: _Rows, cum: np.ndarray) -> np.ndarray:
    """Sums over the previous block's rows inside the window, for a row chunk: (C, rows)."""
    left = np.take(cum, rows.prev_last, axis=1)  # previous block total
    before = np.take(cum, rows.before_idx, axis=1)  # its prefix before left_lo
    before *= rows.before_mask
    left -= before
    left *= rows.has_left_f
    return left


def _combine_stats(
    left: np.ndarray, right: np.ndarray, cl: np.ndarray, cr: np.ndarray, cnt_map: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, sample std) of left + right parts, each given as stacked [counts, s, q]
    sums of values shifted by ``cl`` / ``cr`` (see _prefix_sums).  The right shift is only
    used when the right part is non-empty (it is then a value at or before the row)."""
    m = cnt_map.size
    g = left.shape[0] - 2 * m
    nl, sl, ql = np.take(left, cnt_map, axis=0), left[g : g + m], left[g + m :]
    nr, sr, qr = np.take(right, cnt_map, axis=0), right[g : g + m], right[g + m :]
    use_r = nr > 0
    ref = np.where(use_r, cr, cl)
    d = np.where(use_r, cl - cr, 0.0)
    nn = nl + nr
    s = nl * d
    s += sl
    s += sr
    q = 2.0 * d
    q *= sl
    d *= d
    d *= nl
    q += d
    q += ql
    q += qr
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = 1.0 / nn
        mean = s * inv
        mean += ref
        s *= s
        s *= inv
        q -= s
        np.maximum(q, 0.0, out=q)
        nn1 = nn - 1.0
        q /= nn1
        std = np.sqrt(q, out=q)
    mean[nn == 0] = np.nan
    std[nn < 2] = np.nan
    return nn, mean, std


def _window_stats(
    blocks: _Blocks,
    cum: np.ndarray,
    cnt_map: np.ndarray,
    shift_seg: np.ndarray,
    lo: int,
    hi: int,
    with_exclusive: bool = False,
) -> tuple:
    """(count, mean, std) over (t - W, t] for rows [lo, hi), and optionally the same over
    (t - W, t) without the row itself (previous-window statistics for the spike test)."""
    rows = blocks.rows(lo, hi, exclusive=with_exclusive)
    left = _left_part(rows, cum)
    cr = np.take(shift_seg, rows.seg, axis=1)
    cl = np.take(shift_seg, rows.prev_seg, axis=1)
    incl = _combine_stats(left, cum[:, lo:hi], cl, cr, cnt_map)
    if not with_exclusive:
        return incl
    right_x = np.take(cum, rows.excl_idx, axis=1)
    right_x *= rows.excl_mask
    return incl, _combine_stats(left, right_x, cl, cr, cnt_map)


def _window_sum(blocks: _Blocks, x: np.ndarray, first: int = 0) -> np.ndarray:
    """Sum of the finite values of a 1-D series over (t - W, t] for the rows [first:]; NaN when
    the window has none."""
    finite = np.isfinite(x)
    cum = blocks.segmented_cumsum(np.stack([finite.astype(np.float64), np.where(finite, x, 0.0)]))
    out = np.empty(x.size - first)
    for lo in range(first, x.size, _ROW_CHUNK):
        hi = min(lo + _ROW_CHUNK, x.size)
        rows = blocks.rows(lo, hi)
        tot_prev = cum[:, rows.prev_last]
        before = cum[:, rows.before_idx]
        before[:, rows.left_lo <= rows.row_prev_seg_start] = 0.0
        left = tot_prev - before
        left[:, ~rows.has_left] = 0.0
        cnt = left[0] + cum[0, lo:hi]
        out[lo - first : hi - first] = np.where(cnt > 0, left[1] + cum[1, lo:hi], np.nan)
    return out


def theil_sen_slope(y: np.ndarray, x: np.ndarray | None = None, min_points: int = 2) -> np.ndarray:
    """Row-wise Theil-Sen slope of ``y`` (shape (r, k), NaN = missing) against ``x`` (shape (k,)).

    The slope is the median of (y_b - y_a)/(x_b - x_a) over all pairs a < b where both
    are finite; NaN for rows with fewer than ``min_points`` finite values.
    """
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    k = y.shape[1]
    x = np.arange(k, dtype=np.float64) if x is None else np.asarray(x, dtype=np.float64)
    a, b = np.triu_indices(k, 1)
    dx = x[b] - x[a]
    out = np.full(y.shape[0], np.nan)
    valid_pts = np.isfinite(y).sum(axis=1)
    ok = valid_pts >= max(min_points, 2)
    rows = np.flatnonzero(ok)
    # about 2 MB per temporary: larger ones are fresh (page-faulted) memory on every chunk
    chunk = max(1, 262_144 // max(a.size, 1))
    full = valid_pts == k
    for lo in range(0, rows.size, chunk):
        r = rows[lo : lo + chunk]
        yy = y[r]
        slopes = (yy[:, b] - yy[:, a]) / dx
        out[r] = _row_median(slopes, full[r])
    return out


def _row_median(v: np.ndarray, complete: np.ndarray) -> np.ndarray:
    """Median of the finite entries of every row (rows flagged complete have no NaN)."""
    res = np.full(v.shape[0], np.nan)
    width = v.shape[1]
    if complete.any():
        kth = sorted({(width - 1) // 2, width // 2})
        part = np.partition(v[complete], kth, axis=1)
        res[complete] = (part[:, (width - 1) // 2] + part[:, width // 2]) / 2.0
    rest = ~complete
    if rest.any():
        srt = np.sort(v[rest], axis=1)  # NaN sorts last
        m = np.isfinite(srt).sum(axis=1)
        s_lo = np.take_along_axis(srt, ((m - 1) // 2)[:, None], axis=1)[:, 0]
        s_hi = np.take_along_axis(srt, (m // 2)[:, None], axis=1)[:, 0]
        res[rest] = np.where(m > 0, (s_lo + s_hi) / 2.0, np.nan)
    return res


def _hourly_slope(t: np.ndarray, x: np.ndarray, params: FeatureParams, first: int = 0) -> np.ndarray:
    """Theil-Sen slope (per day) of hourly medians of the completed hours in (t-72h, t],
    for the events [first:]."""
    n_out = t.size - first
    out = np.full(n_out, np.nan)
    if n_out <= 0 or not np.isfinite(x).any():
        return out
    hours = np.floor_divide(t, NS_PER_HOUR)
    win = int(params.slope_window / pd.Timedelta(hours=1)) - 1  # whole hours inside (t-72h, t]
    if win < 2:
        return out
    med = pd.Series(x).groupby(hours, sort=True).median()  # NaNs skipped; all-NaN hour -> NaN
    h0 = int(hours[0]) - win
    dense = np.full(int(hours[-1]) - h0 + 1, np.nan)
    dense[med.index.to_numpy(dtype=np.int64) - h0] = med.to_numpy(dtype=np.float64)
    uniq, inv = np.unique(hours[first:], return_inverse=True)
    # window of hours [H - win, H - 1] for each distinct event hour H
    pos = (uniq - h0)[:, None] - win + np.arange(win)[None, :]
    y = dense[pos]
    x_days = np.arange(win, dtype=np.float64) / 24.0
    slopes = theil_sen_slope(y, x_days, min_points=params.slope_min_hours)
    return slopes[inv]


# ----------------------------------------------------------------------------------------
# main entry point
# ----------------------------------------------------------------------------------------


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
            raise ValueError(f"events has duplicate timestamps (e.g. {list(dup)}); one row per event time")

    def col(name: str) -> np.ndarray:
        if name in events.columns:
            series = events[name]
            if series.dtype != np.float64:
                series = pd.to_numeric(series, errors="coerce")
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.full(t.size, np.nan)

    # predecessor handling: rows before history_start only provide t_prev of the first row
    prev_t: int | None = None
    prev_p = np.nan
    skip = 0
    if history_start is not None:
        skip = int(np.searchsorted(t, _ts_ns(history_start), side="left"))
        if skip:
            prev_t = int(t[skip - 1])
            prev_p = float(col("power_kw")[skip - 1])
    raw = {
        name: col(name)[skip:]
        for name in (*ROLLING_SIGNALS, *SPECTRAL_SIGNALS, "ambient_temperature_c", "rpm")
    }
    t = t[skip:]
    n = t.size
    index = pd.DatetimeIndex(t, tz="UTC").as_unit("ns")
    first = 0 if emit_from is None else int(np.searchsorted(t, _ts_ns(emit_from), side="left"))
    n_out = n - first
    # the result: one homogeneous float64 block (cols, rows); flags are 0.0 / 1.0
    table = np.empty((len(FEATURE_COLUMNS), n_out))
    row_of = {name: k for k, name in enumerate(FEATURE_COLUMNS)}

    def put(name: str, values: np.ndarray | float) -> None:
        table[row_of[name]] = values

    # --- rolling mean / std and spike flags --------------------------------------------
    m = len(ROLLING_SIGNALS)
    x = np.stack([raw[s] for s in ROLLING_SIGNALS]) if n else np.empty((m, 0))  # (m, n)
    spike_width = int(p.spike_window / pd.Timedelta(1, "ns"))
    widths = {w: int(td / pd.Timedelta(1, "ns")) for w, td in WINDOWS.items()}
    if spike_width not in widths.values():
        widths["__spike__"] = spike_width
    spike_rows = np.array([row_of[f"{s}__spike"] for s in ROLLING_SIGNALS])
    block_cache: dict[int, _Blocks] = {}
    buf = np.empty((1 + 2 * m + int((~np.isfinite(x).all(axis=1)).sum()), n))
    for wname, width in widths.items():
        blocks = block_cache[width] = _Blocks(t, width)
        if wname in WINDOWS:
            mean_rows = np.array([row_of[f"{s}__mean_{wname}"] for s in ROLLING_SIGNALS])
            std_rows = np.array([row_of[f"{s}__std_{wname}"] for s in ROLLING_SIGNALS])
        if not n_out:
            continue
        shift = blocks.first_finite(x)
        cum, cnt_map = _prefix_sums(blocks, x, shift, buf)
        for lo in range(first, n, _ROW_CHUNK):
            hi = min(lo + _ROW_CHUNK, n)
            if width == spike_width:
                incl, prev = _window_stats(blocks, cum, cnt_map, shift, lo, hi, with_exclusive=True)
                table[spike_rows, lo - first : hi - first] = _spikes(x[:, lo:hi], *prev, p)
            else:
                incl = _window_stats(blocks, cum, cnt_map, shift, lo, hi)
            if wname in WINDOWS:
                table[mean_rows, lo - first : hi - first] = incl[1]
                table[std_rows, lo - first : hi - first] = incl[2]

    # --- spectral band values: 15-min means only (all-null columns cost one fill) ----------------
    spec_rows = np.array([row_of[f"{s}__mean_15m"] for s in SPECTRAL_SIGNALS])
    xs = np.stack([raw[s] for s in SPECTRAL_SIGNALS]) if n else np.empty((len(SPECTRAL_SIGNALS), 0))
    present = np.isfinite(xs).any(axis=1)
    table[spec_rows[~present]] = np.nan
    if n_out and present.any():
        xs = xs[present]
        blocks = block_cache.get(widths["15m"]) or _Blocks(t, widths["15m"])
        shift = blocks.first_finite(xs)
        cum, cnt_map = _prefix_sums(blocks, xs, shift)
        for lo in range(first, n, _ROW_CHUNK):
            hi = min(lo + _ROW_CHUNK, n)
            table[spec_rows[present], lo - first : hi - first] = _window_stats(
                blocks, cum, cnt_map, shift, lo, hi
            )[1]

    v = raw["voltage_v"][first:]
    f = raw["frequency_hz"][first:]
    pf = raw["power_factor"][first:]
    dev = (v - context.rated_voltage_v) / context.rated_voltage_v * 100.0
    put("voltage_deviation_pct", dev)
    with np.errstate(invalid="ignore"):
        put("voltage_out_of_band", np.abs(dev) > p.voltage_band_pct)
        put("frequency_deviation_hz", f - context.nominal_frequency_hz)
        put(
            "frequency_out_of_band",
            (f < context.nominal_frequency_hz - p.frequency_band_low_hz)
            | (f > context.nominal_frequency_hz + p.frequency_band_high_hz),
        )
        put("low_pf", pf < p.low_pf_threshold)
    put("power_factor", pf)
    put("load_factor", raw["power_kw"][first:] / context.rated_power_kw)

    # --- energy ----------------------------------------------------------------------------
    if n:
        interval, energy, gap_s = _energy(t, raw["power_kw"], p, prev_t, prev_p)
        ew = int(p.energy_sum_window / pd.Timedelta(1, "ns"))
        eb = block_cache.get(ew) or _Blocks(t, ew)
        put("interval_s", interval[first:])
        put("energy_kwh", energy[first:])
        put("energy_gap_s", gap_s[first:])
        put("energy_kwh_24h", _window_sum(eb, energy, first))

    # --- operating state ---------------------------------------------------------------------
    if n:
        running = _running(raw["current_a"], raw["rpm"], context)
        sw = int(p.settled_window / pd.Timedelta(1, "ns"))
        sb = block_cache.get(sw) or _Blocks(t, sw)
        stopped_in_window = _window_sum(sb, 1.0 - running, first)
        put("running", running[first:])
        with np.errstate(invalid="ignore"):
            put(
                "running_1h",
                np.where(np.isfinite(stopped_in_window), stopped_in_window == 0.0, np.nan),
            )

    # --- trends ----------------------------------------------------------------------------
    put("vibration_rms_slope_mm_s_per_day", _hourly_slope(t, raw["vibration_rms_mm_s"], p, first))
    put("vibration_kurtosis_slope_per_day", _hourly_slope(t, raw["vibration_kurtosis"], p, first))

    # --- temperature rise --------------------------------------------------------------------
    temp = raw["temperature_c"][first:]
    amb = raw["ambient_temperature_c"][first:]
    base_t = context.baseline_temperature_c
    if base_t is None and baseline is not None:
        base_t = _baseline_temperature(baseline)
    with np.errstate(invalid="ignore"):
        fallback = temp - base_t if base_t is not None and np.isfinite(base_t) else np.nan
        put("temperature_rise_c", np.where(np.isfinite(amb), temp - amb, fallback))

    frame = pd.DataFrame(table.T, index=index[first:], columns=list(FEATURE_COLUMNS), copy=False)
    frame.index.name = events.index.name or "time"
    return frame


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
        return (nprev >= p.spike_min_points) & (np.abs(x - mprev) > p.spike_k * scale)


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
