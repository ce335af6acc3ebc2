"""Remaining useful life (RUL) from a degrading trend: pure math, no Django.

Vibration channel (``estimate_rul``), on hourly medians of vibration RMS:

1. Drop non-finite points, sort by time.  Times are ``datetime64`` or float days.
2. ``threshold_exceeded`` (RUL 0): the latest robust level, the median of the last
   ``last_points`` (3) points, is already >= threshold.  Checked first: it is an observation, not
   an extrapolation.  With hourly medians this means "at or above the threshold in two of the last
   three hours", so one bad hour does not set RUL 0 (and, through ``rul_2d``, risk Critical);
   docs/CONTRACTS.md §11.2 uses this default.
3. ``insufficient_history`` (null): fewer than 12 points or a span under 24 h.
4. Degradation segment: within the last ``window_days`` (14) days, the points after the last one
   whose centred 5-point rolling median is still <= ``healthy_upper`` (default
   healthy_level + 10 % of (threshold - healthy_level)), skipping 2 more points (those entered
   that median).  If that trailing excursion is shorter than 12 points or 24 h, the whole window
   is used instead (never less than the last 12 points and 24 h).
5. Exponential model v(t) = v_h + b exp(c t): Theil-Sen of log(v - v_h) on t over the segment
   points with v - v_h > eps (eps = 0.5 (healthy_upper - v_h), at least 1e-9), with the 80 %
   confidence interval of the slope (``scipy.stats.theilslopes(alpha=0.8)``).  It is used when
   it has >= 12 usable points, its slope's lower bound is > 0, its log-space R^2 >= 0.5, its
   median absolute residual in value space is at most 1.25x that of the linear model, and the
   segment accelerates (linear Theil-Sen slope of the later time-half exceeds the earlier one's,
   one-sided z-test at 1 % with standard errors from the 80 % intervals).
6. Otherwise linear Theil-Sen on v (same 80 % interval); a slope whose lower bound is <= 0 gives
   ``no_degrading_trend`` (null), and so does an immaterial one: fitted rise over the segment
   (slope x span) below the robust residual scale (1.4826 MAD), which keeps the ~10 % of pure-noise
   series whose one-sided 80 % bound excludes 0 from producing a number.
7. Extrapolate each line to the threshold: RUL = t_cross - now.  The line passes through the pivot
   (median t, median(y - slope (t - median t))).  The interval uses the upper / lower slope bounds
   through the pivot shifted by +/- z_0.9 x its standard error (1.2533 x 1.4826 MAD(residual) /
   sqrt(n)); low_days comes from the steeper slope.  All three are clipped to >= 0 and limited to
   365 days; ``capped=True`` when any of them was limited.

Health channel (``estimate_rul_health``): linear Theil-Sen of the health index (decreasing) down to
``floor`` (default 40, the High/Critical cut-off) over the last 14 days; ``threshold_exceeded``
when the latest robust level is < floor (H < 40 is Critical); same rules otherwise.

``combine_rul``: the smallest available estimate wins (ties: lower high_days, then channel name),
keeping its interval, method and channel; with none available, the first applicable null reason
of no_baseline, insufficient_history, no_degrading_trend, no_data (docs/CONTRACTS.md §11.3).
No number is ever invented.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

REASON_INSUFFICIENT_HISTORY = "insufficient_history"
REASON_NO_DEGRADING_TREND = "no_degrading_trend"
REASON_THRESHOLD_EXCEEDED = "threshold_exceeded"
REASON_NO_DATA = "no_data"
REASON_NO_BASELINE = "no_baseline"  # for callers without an active baseline (never produced here)

METHOD_EXPONENTIAL = "exponential"
METHOD_LINEAR = "linear"

INTERVAL_LEVEL = 0.8  # two-sided confidence level of the slope interval
MIN_POINTS = 12
MIN_SPAN_DAYS = 1.0
CAP_DAYS = 365.0
WINDOW_DAYS = 14.0
LAST_LEVEL_POINTS = 3
_ROLL = 5  # rolling-median length for the degradation onset

# Null reasons in the order combine_rul reports them (first applicable), as docs/CONTRACTS.md §11.3.
_NULL_REASON_PRIORITY = (
    REASON_NO_BASELINE,
    REASON_INSUFFICIENT_HISTORY,
    REASON_NO_DEGRADING_TREND,
    REASON_NO_DATA,
)


@dataclass(frozen=True)
class RulResult:
    rul_days: float | None
    low_days: float | None
    high_days: float | None
    reason: str | None  # None for an ordinary estimate
    method: str | None  # "exponential" | "linear" | None
    capped: bool = False  # any of rul/low/high was limited to the cap
    channel: str = "vibration"  # "vibration" | "health"
    n_points: int = 0  # points used by the fit (or available, for nulls)

    @property
    def available(self) -> bool:
        return self.rul_days is not None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["interval_level"] = INTERVAL_LEVEL
        return d


def _null(reason: str, channel: str, n: int = 0) -> RulResult:
    return RulResult(None, None, None, reason, None, False, channel, n)


def _to_days(times: Any, now: Any) -> tuple[np.ndarray, float | None]:
    """Convert times (datetime64 or float days) and ``now`` to float days on a common origin."""
    t = np.asarray(times)
    if np.issubdtype(t.dtype, np.datetime64) or t.dtype == object:
        t = t.astype("datetime64[ns]")
        origin = t.min() if t.size else np.datetime64(0, "ns")
        days = (t - origin).astype("timedelta64[ns]").astype(np.float64) / 86_400e9
        if now is None:
            return days, None
        now_ns = (
            np.datetime64(now, "ns") if not isinstance(now, np.datetime64) else now.astype("datetime64[ns]")
        )
        return days, float((now_ns - origin).astype("timedelta64[ns]").astype(np.float64) / 86_400e9)
    days = t.astype(np.float64)
    return days, (None if now is None else float(now))


def _clean(times: Any, values: Any, now: Any) -> tuple[np.ndarray, np.ndarray, float]:
    t, now_d = _to_days(times, now)
    v = np.asarray(values, dtype=np.float64)
    if t.shape != v.shape:
        raise ValueError("times and values must have the same shape")
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    if now_d is None:
        now_d = float(t[-1]) if t.size else 0.0
    return t, v, now_d


@dataclass(frozen=True)
class _Line:
    slope: float
    low: float  # slope bounds (80 % interval)
    high: float
    x_pivot: float
    y_pivot: float
    y_pivot_se: float  # z_0.9 x standard error of the pivot level
    sigma: float  # robust residual scale, 1.4826 x median |residual|

    def cross(self, y: float, slope: float, dy: float = 0.0) -> float:
        """Time at which the line of ``slope`` through (x_pivot, y_pivot + dy) reaches y."""
        return self.x_pivot + (y - self.y_pivot - dy) / slope

    def crossings(self, y: float) -> tuple[float, float, float]:
        """(estimate, earliest, latest): the interval combines the slope bounds with the
        uncertainty of the pivot level (earliest: steeper slope through a higher pivot)."""
        return (
            self.cross(y, self.slope),
            self.cross(y, self.high, +self.y_pivot_se),
            self.cross(y, self.low, -self.y_pivot_se),
        )


_Z80 = float(stats.norm.ppf(0.5 + INTERVAL_LEVEL / 2))
_Z_ACCEL = float(stats.norm.ppf(0.99))


def _theil_sen(x: np.ndarray, y: np.ndarray) -> _Line:
    res = stats.theilslopes(y, x, alpha=INTERVAL_LEVEL)  # symmetric: 0.8 -> 80 % interval
    slope, low, high = float(res[0]), float(res[2]), float(res[3])
    # 'joint' intercept: median(y - slope x) averages the noise over every point (the median
    # of y alone is dominated by the few points near the middle rank of a steep trend).
    xp = float(np.median(x))
    yp = float(np.median(y - slope * (x - xp)))
    resid = y - (yp + slope * (x - xp))
    sigma = 1.4826 * float(np.median(np.abs(resid)))
    # standard error of a median ~ 1.2533 sigma / sqrt(n)
    se = _Z80 * 1.2533 * sigma / math.sqrt(max(1, x.size))
    return _Line(slope, low, high, xp, yp, se, sigma)


def _rolling_median(v: np.ndarray, k: int = 5) -> np.ndarray:
    half = k // 2
    out = np.empty_like(v)
    for i in range(v.size):
        out[i] = np.median(v[max(0, i - half) : i + half + 1])
    return out


def _segment(t: np.ndarray, v: np.ndarray, healthy_upper: float, window_days: float) -> np.ndarray:
    """Boolean mask of the degradation segment (see module docstring, step 4)."""
    n = t.size
    start = int(np.searchsorted(t, t[-1] - window_days, side="left"))
    med = _rolling_median(v[start:], _ROLL)
    below = np.nonzero(med <= healthy_upper)[0]
    # +half: skip the points that entered the last below-band median (selection bias toward a dip)
    onset = start + (int(below[-1]) + 1 + _ROLL // 2 if below.size else 0)
    if n - onset < MIN_POINTS or t[-1] - t[min(onset, n - 1)] < MIN_SPAN_DAYS:
        # no established excursion above the healthy band: use the whole window, but never less
        # than the last MIN_POINTS points / 24 h
        by_span = int(np.searchsorted(t, t[-1] - MIN_SPAN_DAYS, side="right")) - 1
        onset = max(0, min(start, by_span, n - MIN_POINTS))
    mask = np.zeros(n, dtype=bool)
    mask[onset:] = True
    return mask


def _finish(
    t_cross: float,
    t_low: float,
    t_high: float,
    now: float,
    method: str,
    channel: str,
    n: int,
    cap_days: float,
) -> RulResult:
    rul = max(0.0, t_cross - now)
    low = max(0.0, min(t_low, t_high) - now)
    high = max(0.0, max(t_low, t_high) - now)
    low, high = min(low, rul), max(high, rul)
    capped = high > cap_days
    return RulResult(
        rul_days=min(rul, cap_days),
        low_days=min(low, cap_days),
        high_days=min(high, cap_days),
        reason=None,
        method=method,
        capped=capped,
        channel=channel,
        n_points=n,
    )


def _linear_rul(
    t: np.ndarray, y: np.ndarray, threshold: float, now: float, channel: str, cap_days: float
) -> RulResult:
    """Increasing y toward threshold; linear Theil-Sen."""
    line = _theil_sen(t, y)
    if not (line.low > 0 and line.slope > 0):
        return _null(REASON_NO_DEGRADING_TREND, channel, t.size)
    # materiality: the fitted rise over the segment must reach the residual noise level
    if line.slope * float(np.ptp(t)) < line.sigma:
        return _null(REASON_NO_DEGRADING_TREND, channel, t.size)
    return _finish(
        *line.crossings(threshold),
        now,
        METHOD_LINEAR,
        channel,
        t.size,
        cap_days,
    )


def _accelerating(t: np.ndarray, v: np.ndarray) -> bool:
    """Significant acceleration: linear Theil-Sen slopes of the two time-halves, the later one
    larger with z = (k2 - k1) / sqrt(se1^2 + se2^2) > 2.33 (one-sided 1 %), se from the 80 %
    interval half-width / 1.2816."""
    mid = float(np.median(t))
    first, second = t <= mid, t > mid
    if first.sum() < MIN_POINTS // 2 or second.sum() < MIN_POINTS // 2:
        return False
    a, b = _theil_sen(t[first], v[first]), _theil_sen(t[second], v[second])
    se1, se2 = (a.high - a.low) / (2 * _Z80), (b.high - b.low) / (2 * _Z80)
    den = math.hypot(se1, se2)
    if den == 0:
        return b.slope > a.slope
    return (b.slope - a.slope) / den > _Z_ACCEL


def _mad_abs(r: np.ndarray) -> float:
    return float(np.median(np.abs(r)))


def _preflight(
    t: np.ndarray, v: np.ndarray, threshold: float, channel: str, increasing: bool, last_points: int
) -> RulResult | None:
    if t.size == 0:
        return _null(REASON_INSUFFICIENT_HISTORY, channel, 0)
    if t.size >= last_points:
        level = float(np.median(v[-last_points:]))
        if (level >= threshold) if increasing else (level < threshold):
            return RulResult(0.0, 0.0, 0.0, REASON_THRESHOLD_EXCEEDED, None, False, channel, t.size)
    if t.size < MIN_POINTS or (t[-1] - t[0]) < MIN_SPAN_DAYS:
        return _null(REASON_INSUFFICIENT_HISTORY, channel, t.size)
    return None


def estimate_rul(
    times: Any,
    values: Any,
    *,
    healthy_level: float,
    threshold: float,
    now: Any = None,
    healthy_upper: float | None = None,
    window_days: float = WINDOW_DAYS,
    cap_days: float = CAP_DAYS,
    last_points: int = LAST_LEVEL_POINTS,
) -> RulResult:
    """RUL of the vibration channel (hourly medians of RMS, mm/s) to ``threshold``.

    ``healthy_level``: baseline p50; ``threshold``: zone C/D boundary; ``healthy_upper``: upper
    healthy level (baseline p95), default healthy_level + 0.1 (threshold - healthy_level);
    ``now``: reference time (same kind as ``times``), default the last sample.
    """
    if not threshold > healthy_level:
        raise ValueError("threshold must be above the healthy level")
    channel = "vibration"
    t, v, now_d = _clean(times, values, now)
    early = _preflight(t, v, threshold, channel, True, max(1, last_points))
    if early is not None:
        return early
    if healthy_upper is None or not healthy_upper > healthy_level:
        healthy_upper = healthy_level + 0.1 * (threshold - healthy_level)
    mask = _segment(t, v, healthy_upper, window_days)
    ts, vs = t[mask], v[mask]

    linear_line = _theil_sen(ts, vs)
    eps = max(0.5 * (healthy_upper - healthy_level), 1e-9)
    usable = (vs - healthy_level) > eps
    if int(usable.sum()) >= MIN_POINTS and np.ptp(ts[usable]) > 0:
        te, ye = ts[usable], np.log(vs[usable] - healthy_level)
        exp_line = _theil_sen(te, ye)
        if exp_line.low > 0 and exp_line.slope > 0:
            fitted_log = exp_line.y_pivot + exp_line.slope * (te - exp_line.x_pivot)
            ss_res = float(np.sum((ye - fitted_log) ** 2))
            ss_tot = float(np.sum((ye - ye.mean()) ** 2))
            r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0
            exp_pred = healthy_level + np.exp(exp_line.y_pivot + exp_line.slope * (ts - exp_line.x_pivot))
            lin_pred = linear_line.y_pivot + linear_line.slope * (ts - linear_line.x_pivot)
            exp_err, lin_err = _mad_abs(vs - exp_pred), _mad_abs(vs - lin_pred)
            if r2 >= 0.5 and exp_err <= 1.25 * lin_err + 1e-12 and _accelerating(ts, vs):
                y_thr = math.log(threshold - healthy_level)
                return _finish(
                    *exp_line.crossings(y_thr),
                    now_d,
                    METHOD_EXPONENTIAL,
                    channel,
                    te.size,
                    cap_days,
                )
    return _linear_rul(ts, vs, threshold, now_d, channel, cap_days)


def estimate_rul_health(
    times: Any,
    health_values: Any,
    floor: float = 40.0,
    *,
    now: Any = None,
    window_days: float = WINDOW_DAYS,
    cap_days: float = CAP_DAYS,
    last_points: int = LAST_LEVEL_POINTS,
) -> RulResult:
    """RUL of a health-index channel (0..100, decreasing when degrading) down to ``floor``."""
    channel = "health"
    t, h, now_d = _clean(times, health_values, now)
    early = _preflight(t, h, floor, channel, False, max(1, last_points))
    if early is not None:
        return early
    start = int(np.searchsorted(t, t[-1] - window_days, side="left"))
    start = min(start, max(0, t.size - MIN_POINTS))
    ts, bad = t[start:], 100.0 - h[start:]  # badness increases toward 100 - floor
    return _linear_rul(ts, bad, 100.0 - floor, now_d, channel, cap_days)


def combine_rul(results: Iterable[RulResult | None]) -> RulResult:
    """Minimum available estimate (ties: lower high_days, then channel name); else the first
    applicable null reason (no_baseline, insufficient_history, no_degrading_trend, no_data)."""
    rs: Sequence[RulResult] = [r for r in results if r is not None]
    avail = [r for r in rs if r.rul_days is not None]
    if avail:
        return min(
            avail, key=lambda r: (r.rul_days, r.high_days if r.high_days is not None else math.inf, r.channel)
        )
    for reason in _NULL_REASON_PRIORITY:
        for r in rs:
            if r.reason == reason:
                return r
    if rs:
        return rs[0]
    return _null(REASON_NO_DATA, "none", 0)
