"""Remaining useful life (RUL) from a degrading trend: pure math, no Django.

Vibration channel (``estimate_rul``), on hourly medians of vibration RMS while the machine runs
(docs/CONTRACTS.md §11):

1. Drop non-finite points, sort by time.  Times are ``datetime64`` or float days.
2. ``threshold_exceeded`` (RUL 0): the latest robust level, the median of the last
   ``last_points`` (3) points, is already >= threshold.  Checked first: it is an observation, not
   an extrapolation.  With hourly medians this means "at or above the threshold in two of the last
   three hours", so one bad hour does not set RUL 0 (and, through ``rul_2d``, risk Critical).
3. ``insufficient_history`` (null): fewer than 12 points or a span under 24 h.
4. ``no_degrading_trend`` (null) while the latest robust level is still inside the healthy band
   (<= ``healthy_upper``, the baseline p95): nothing has left the healthy state, so there is nothing
   to extrapolate.  This is what keeps healthy machines from carrying a prognosis: a fit repeated every
   hour over overlapping windows finds a "significant" slope in pure noise now and then.
5. Exponential model in quadrature.  A defect adds a vibration component that is independent of the
   healthy machine's own, so mean squares add: v(t)^2 = v_h^2 + a(t)^2, with the defect's amplitude
   growing exponentially, a(t) = exp(alpha + c (t - t_last)).  The measured RMS also follows the
   operating condition (less load, less vibration, at any state of wear), so with the hourly load x
   (current / rated current) the model is ln v = 0.5 ln(v_h^2 + a^2) + k (x - x_ref), x_ref the
   reference load (the baseline's median): without it a shift at reduced load near "now" reads as a
   slower growth.  The term is fitted only when x varies (SD >= LOAD_MIN_SPREAD); an hour of unknown
   load counts as at x_ref.  Fitted by least squares on ln v over the whole trend window (the healthy
   points pin v_h's share, the late points the growth), started from three growth rates (0.03, 0.3,
   3 per day; the lowest cost wins), weighted for recency, exp(-(t_last - t) / RECENCY_DAYS) (the
   exponential describes the growth locally; a defect's log-amplitude bends), then reweighted twice
   (feasible weighted least squares): the residual variance is modelled as s0^2 (1 - share) +
   s1^2 share, share = a^2 / (v_h^2 + a^2), because the hourly RMS of a grown defect (often a steady
   tone) scatters less than the healthy machine's broadband.  The parameters' covariance is the
   sandwich s^2 B^-1 J'WRJ B^-1, B = J'WJ, W = R / variance (the recency weights R are not inverse variances;
   s^2: variance of the standardised residuals, J: Jacobian at the solution), inflated by
   (1 + rho) / (1 - rho) for the lag-1 autocorrelation rho of residuals one hour apart (clipped to
   [0, 0.8]): consecutive hourly medians are not independent, and ignoring that would overstate the
   evidence.  Two fits: the trend test uses equal weights (is there growth over the window, the test
   whose false-alarm rate on healthy machines was measured), the estimate the recency weights (where
   does it cross).  Degrading only when the equal-weight growth is significant, c >= 3 x se(c)
   (one-sided ~0.1 %, because the test is repeated every hour), and the recency-weighted c > 0; else
   ``no_degrading_trend``.
6. Linear alternative: Theil-Sen of v (at the reference load, v exp(-k (x - x_ref))) over the
   degradation segment (the points after the last one
   whose centred 5-point rolling median is <= ``healthy_upper``, skipping the 2 points that entered
   that median; the whole window when that leaves fewer than 12 points or 24 h), with the 80 %
   confidence interval of the slope (``scipy.stats.theilslopes(alpha=0.8)``).  It replaces the
   exponential model only when it fits that segment clearly better (its residual sum of squares x 1.25
   is below the exponential model's there): a significant trend that is straight, not growing.  Then
   degrading only when the slope's lower bound is > 0 and the fitted rise over the segment reaches the
   robust residual scale (1.4826 MAD); else ``no_degrading_trend``.
7. Slowing growth (step 7 of CONTRACTS §11.2): when the recency-weighted growth rate is below the
   equal-weight one by more than SLOWING_Z x hypot(se, se) (the growth of ln a slows down, as it does
   for a power law of the time since onset), the power-law model a = B (t - t0)^p joins the
   exponential: both are fitted again without the segment's last third and last half and scored by
   how well they predicted it (``assessment.rul_candidates``); the power law counts only when its mean
   error x 2 is below the exponential's, and the crossing is then the weighted geometric mean of the
   two models' (the interval holds their disagreement).
8. RUL = t_cross - now.  Exponential: ln a reaches ln sqrt(threshold^2 - v_h^2) on the line
   alpha_p + c (t - t_p) through the pivot t_p where alpha and c are uncorrelated; the interval uses
   c +/- z_0.9 se(c) through the pivot shifted by +/- z_0.9 se(alpha_p).  Linear: the line through the
   pivot (median t, median(y - slope (t - median t))); the interval uses the upper / lower slope bounds
   through the pivot shifted by +/- z_0.9 x its standard error (1.2533 x 1.4826 MAD(residual) /
   sqrt(n)).  In both, the steeper line gives low_days.  The interval is then widened to at least
   [rul / F, rul x F], F = ``MODEL_ERROR_FACTOR`` (the misfit of the model itself, which the
   parameters' covariance does not hold).  All three are clipped to >= 0 and limited to
   365 days; ``capped=True`` when any of them was limited.

Health channel (``estimate_rul_health``): linear Theil-Sen of the health index (decreasing) down to
``floor`` (default 40, the High/Critical cut-off) over the last 14 days; ``threshold_exceeded``
when the latest robust level is < floor (H < 40 is Critical); ``no_degrading_trend`` while the latest
robust level is still >= ``healthy_floor`` (80, the Low-risk band) or the slope is not significant.

``combine_rul``: the smallest available estimate wins (ties: lower high_days, then channel name),
keeping its interval, method and channel; with none available, the first applicable null reason
of no_baseline, insufficient_history, no_degrading_trend, no_data (docs/CONTRACTS.md §11.3).
No number is ever invented.

The two fits of steps 5 and 6 live in ``assessment.rul_fits``; this module runs the procedure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from . import rul_candidates as cand
from .rul_fits import (
    AUTOCORR_MAX,
    EXP_START_RATES,
    INTERVAL_LEVEL,
    LAST_LEVEL_POINTS,
    LOAD_MIN_SPREAD,
    MIN_POINTS,
    MIN_SPAN_DAYS,
    REWEIGHT_ROUNDS,
    TIME_EPS_DAYS,
    VARIANCE_FLOOR,
    fit_exponential,
    load_offset,
    segment,
    theil_sen,
)

__all__ = [
    "AUTOCORR_MAX",
    "CAP_DAYS",
    "EXP_START_RATES",
    "HEALTH_HEALTHY_FLOOR",
    "INTERVAL_LEVEL",
    "LAST_LEVEL_POINTS",
    "LINEAR_PREFERENCE",
    "LOAD_MIN_SPREAD",
    "METHOD_EXPONENTIAL",
    "METHOD_LINEAR",
    "MIN_POINTS",
    "MIN_SPAN_DAYS",
    "MODEL_ERROR_FACTOR",
    "REASON_INSUFFICIENT_HISTORY",
    "REASON_NO_BASELINE",
    "REASON_NO_DATA",
    "REASON_NO_DEGRADING_TREND",
    "REASON_THRESHOLD_EXCEEDED",
    "RECENCY_DAYS",
    "REWEIGHT_ROUNDS",
    "RUL_VERSION",
    "TREND_Z",
    "VARIANCE_FLOOR",
    "WINDOW_DAYS",
    "RulResult",
    "combine_rul",
    "estimate_rul",
    "estimate_rul_health",
]

REASON_INSUFFICIENT_HISTORY = "insufficient_history"
REASON_NO_DEGRADING_TREND = "no_degrading_trend"
REASON_THRESHOLD_EXCEEDED = "threshold_exceeded"
REASON_NO_DATA = "no_data"
REASON_NO_BASELINE = "no_baseline"  # for callers without an active baseline (never produced here)

METHOD_EXPONENTIAL = "exponential"
METHOD_LINEAR = "linear"
METHOD_POWER = "power"

RUL_VERSION = 5  # formula generation (docs/CONTRACTS.md §11, change log); stored in inputs.rul.rul_version
#: the interval is at least [rul / F, rul x F]: the smallest F (in steps of 0.01) with which the
#: interval held the true remaining life for >= 80 % of the estimates at each of the 25 / 50 / 75 %
#: checkpoints of the way to the threshold on the offline study's dev fleets of all six degradation-law
#: families (benchmarks/_rul_offline.py, seeds 7-8, 48 vibration faults; docs/benchmarks.md); the
#: fits' own intervals held 0.17 / 0.38 / 0.40 there: the shape of an unseen law is the main error
MODEL_ERROR_FACTOR = 2.53
CAP_DAYS = 365.0
WINDOW_DAYS = 14.0
TREND_Z = 3.0  # growth rate significant when c >= TREND_Z x se(c)
LINEAR_PREFERENCE = 1.25  # linear when its residual sum of squares x this is below the exponential's
SLOWING_Z = 1.0
RECENCY_DAYS = 4.0  # e-folding time of the exponential fit's recency weights, days
HEALTH_HEALTHY_FLOOR = 80.0  # health channel: no prognosis while the robust level is >= this (Low risk)

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
        return days, float((now_ns - origin).astype("timedelta64[ns]").astype(np.float64) / 86_400e9)  # type: ignore[union-attr]
    days = t.astype(np.float64)
    return days, (None if now is None else float(now))


def _clean(
    times: Any, values: Any, now: Any, extra: Any = None
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None]:
    """Finite points sorted by time; ``extra`` (a per-point covariate, may hold NaN) follows them."""
    t, now_d = _to_days(times, now)
    v = np.asarray(values, dtype=np.float64)
    if t.shape != v.shape:
        raise ValueError("times and values must have the same shape")
    x = None if extra is None else np.asarray(extra, dtype=np.float64)
    if x is not None and x.shape != v.shape:
        raise ValueError("load must have the same shape as values")
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    if x is not None:
        x = x[ok][order]
    if now_d is None:
        now_d = float(t[-1]) if t.size else 0.0
    return t, v, now_d, x


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
    # the fit's interval holds only the parameters' uncertainty; the model's own misfit is at least
    # a factor MODEL_ERROR_FACTOR either way (calibrated on the dev seeds, see its definition)
    low, high = min(low, rul / MODEL_ERROR_FACTOR), max(high, rul * MODEL_ERROR_FACTOR)
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
    line = theil_sen(t, y)
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
    load: Any = None,
    load_ref: float | None = None,
) -> RulResult:
    """RUL of the vibration channel (hourly medians of RMS while running, mm/s) to ``threshold``.

    ``healthy_level``: baseline p50 (> 0); ``threshold``: zone C/D boundary; ``healthy_upper``: upper
    healthy level (baseline p95), default healthy_level + 0.1 (threshold - healthy_level);
    ``now``: reference time (same kind as ``times``), default the last sample; ``load``: the
    operating condition of each point (hourly median of current / rated current while running;
    NaN where unknown) and ``load_ref`` the reference condition (the baseline's median; default
    the median of ``load``): the vibration of a machine rises and falls with its load, and a
    shift at reduced load would otherwise read as a change of condition (step 5).
    """
    if not healthy_level > 0:
        raise ValueError("healthy_level must be positive")
    if not threshold > healthy_level:
        raise ValueError("threshold must be above the healthy level")
    channel = "vibration"
    t, v, now_d, x = _clean(times, values, now, load)
    last_points = max(1, last_points)
    early = _preflight(t, v, threshold, channel, True, last_points)
    if early is not None:
        return early
    if healthy_upper is None or not healthy_upper > healthy_level:
        healthy_upper = healthy_level + 0.1 * (threshold - healthy_level)
    if float(np.median(v[-last_points:])) <= healthy_upper:
        return _null(REASON_NO_DEGRADING_TREND, channel, t.size)
    start = int(np.searchsorted(t, t[-1] - window_days - TIME_EPS_DAYS, side="left"))
    start = min(start, max(0, t.size - MIN_POINTS))
    tw, vw = t[start:], v[start:]
    xw = load_offset(None if x is None else x[start:], load_ref)
    # is there a trend: the whole window, equal weights; where does it cross: recent hours first
    trend = fit_exponential(tw, vw, healthy_level, xw)
    if trend is None or not (trend.c > 0 and trend.c >= TREND_Z * trend.se_c):
        return _null(REASON_NO_DEGRADING_TREND, channel, t.size)
    fit = fit_exponential(tw, vw, healthy_level, xw, recency_days=RECENCY_DAYS)
    if fit is None or not fit.c > 0:
        return _null(REASON_NO_DEGRADING_TREND, channel, t.size)
    vraw = vw
    if xw is not None:
        vw = vw * np.exp(-fit.load_k * xw)  # at the reference condition, for the segment models
    mask = segment(tw, vw, healthy_upper, window_days)
    ts, vs = tw[mask], vw[mask]
    line = theil_sen(ts, vs)
    lin_pred = line.y_pivot + line.slope * (ts - line.x_pivot)
    rss_exp = float(np.sum((vs - fit.level(ts, healthy_level)) ** 2))
    linear_better = float(np.sum((vs - lin_pred) ** 2)) * LINEAR_PREFERENCE < rss_exp
    y_thr = 0.5 * math.log(threshold * threshold - healthy_level * healthy_level)
    if linear_better:
        return _linear_rul(ts, vs, threshold, now_d, channel, cap_days)
    # the growth rate slows down (the recent hours grow slower than the window): the exponential
    # overstates the growth ahead, and the power law of the time since onset is a candidate
    slowing = fit.c < trend.c - SLOWING_Z * math.hypot(trend.se_c, fit.se_c)
    combined = (
        _multi_model(tw, vraw, xw, ts, vs, healthy_level, healthy_upper, threshold, fit) if slowing else None
    )
    if combined is None:
        return _finish(*fit.crossings(y_thr), now_d, METHOD_EXPONENTIAL, channel, fit.n, cap_days)
    return _finish(
        combined.t_cross, combined.t_low, combined.t_high, now_d, combined.method, channel, fit.n, cap_days
    )


def _multi_model(
    tw: np.ndarray,
    vraw: np.ndarray,
    xw: np.ndarray | None,
    ts: np.ndarray,
    vs: np.ndarray,
    healthy_level: float,
    healthy_upper: float,
    threshold: float,
    fit: Any,
) -> cand.Combined | None:
    """Step 7: the exponential and the power law weighted by how well they predicted the segment's
    recent part (``assessment.rul_candidates``); None when the segment is too short for the backtest."""
    floor = math.sqrt(max(healthy_upper * healthy_upper - healthy_level * healthy_level, 1e-12)) * 0.5
    errors = []
    for share in cand.BACKTEST_SHARES:
        cut = cand.segment_cut(ts, share)
        if cut is None:
            continue
        early = tw <= cut
        train_s = ts <= cut
        back: dict[str, cand.Candidate | None] = {}
        e = cand.exponential(
            tw[early], vraw[early], healthy_level, threshold, None if xw is None else xw[early], RECENCY_DAYS
        )
        back["exponential"] = None if e is None else e[0]
        back["power"] = cand.power(ts[train_s], vs[train_s], healthy_level, threshold, floor)
        errors.append(cand.backtest_errors(back, ts, vs, cut))
    weights = cand.backtest_weights(errors)
    if not weights:
        return None
    y_thr = 0.5 * math.log(threshold * threshold - healthy_level * healthy_level)
    tc, tl, th = fit.crossings(y_thr)
    full: dict[str, cand.Candidate] = {
        "exponential": cand.Candidate("exponential", tc, tl, th, lambda s: fit.level(s, healthy_level))
    }
    pw = cand.power(ts, vs, healthy_level, threshold, floor)
    if pw is not None:
        full["power"] = pw
    # combined in time from the last point, so that a later `now` (a standstill) only shifts the reading
    return cand.combine(full, {k: w for k, w in weights.items() if k in full}, float(tw[-1]))


def estimate_rul_health(
    times: Any,
    health_values: Any,
    floor: float = 40.0,
    *,
    now: Any = None,
    window_days: float = WINDOW_DAYS,
    cap_days: float = CAP_DAYS,
    last_points: int = LAST_LEVEL_POINTS,
    healthy_floor: float = HEALTH_HEALTHY_FLOOR,
) -> RulResult:
    """RUL of a health-index channel (0..100, decreasing when degrading) down to ``floor``; no
    prognosis while the latest robust level is still >= ``healthy_floor`` (the Low-risk band)."""
    channel = "health"
    t, h, now_d, _ = _clean(times, health_values, now)
    last_points = max(1, last_points)
    early = _preflight(t, h, floor, channel, False, last_points)
    if early is not None:
        return early
    if float(np.median(h[-last_points:])) >= healthy_floor:
        return _null(REASON_NO_DEGRADING_TREND, channel, t.size)
    start = int(np.searchsorted(t, t[-1] - window_days - TIME_EPS_DAYS, side="left"))
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
