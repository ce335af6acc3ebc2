"""Trend slopes: the row-wise Theil-Sen estimator and the hourly-median slope of the trend
features (docs/CONTRACTS.md §6.5).  Pure numpy/pandas, no Django.

Theil-Sen (the median of pairwise slopes) rather than least squares: one bad hour moves a median
of slopes very little, and the trend must not jump when a sensor glitches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.feature_catalogue import NS_PER_HOUR, FeatureParams


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


def hourly_slope(t: np.ndarray, x: np.ndarray, params: FeatureParams, first: int = 0) -> np.ndarray:
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
