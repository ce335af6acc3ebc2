"""The two trend fits of the vibration RUL (docs/CONTRACTS.md §11.2 steps 5-6), pure math, no Django.

The exponential model in quadrature (``fit_exponential``) and the Theil-Sen line over the
degradation segment (``theil_sen``, ``segment``); ``assessment.rul`` runs the procedure that
chooses between them and turns a fit into a remaining life.  The procedure's constants that the
fits share live here and are re-exported by ``assessment.rul``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

INTERVAL_LEVEL = 0.8  # two-sided confidence level of the slope interval
MIN_POINTS = 12
MIN_SPAN_DAYS = 1.0
LAST_LEVEL_POINTS = 3
ROLL = 5  # rolling-median length for the degradation onset
TIME_EPS_DAYS = 1e-6  # window edges tolerate sub-second rounding of datetime inputs
AUTOCORR_MAX = 0.8  # clip of the lag-1 residual autocorrelation used to inflate the covariance
LOAD_MIN_SPREAD = 0.02  # load term fitted only when the load's SD reaches this (per unit)
EXP_START_RATES = (0.03, 0.3, 3.0)  # starting growth rates of the exponential fit, per day
REWEIGHT_ROUNDS = 2  # feasible weighted least squares rounds (variance as a function of the defect share)
VARIANCE_FLOOR = 0.05  # weights: variance at least this share of the mean squared residual

Z80 = float(stats.norm.ppf(0.5 + INTERVAL_LEVEL / 2))


@dataclass(frozen=True)
class Line:
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


def theil_sen(x: np.ndarray, y: np.ndarray) -> Line:
    res = stats.theilslopes(y, x, alpha=INTERVAL_LEVEL)  # symmetric: 0.8 -> 80 % interval
    slope, low, high = float(res[0]), float(res[2]), float(res[3])
    # 'joint' intercept: median(y - slope x) averages the noise over every point (the median
    # of y alone is dominated by the few points near the middle rank of a steep trend).
    xp = float(np.median(x))
    yp = float(np.median(y - slope * (x - xp)))
    resid = y - (yp + slope * (x - xp))
    sigma = 1.4826 * float(np.median(np.abs(resid)))
    # standard error of a median ~ 1.2533 sigma / sqrt(n)
    se = Z80 * 1.2533 * sigma / math.sqrt(max(1, x.size))
    return Line(slope, low, high, xp, yp, se, sigma)


def rolling_median(v: np.ndarray, k: int = 5) -> np.ndarray:
    half = k // 2
    out = np.empty_like(v)
    for i in range(v.size):
        out[i] = np.median(v[max(0, i - half) : i + half + 1])
    return out


def segment(t: np.ndarray, v: np.ndarray, healthy_upper: float, window_days: float) -> np.ndarray:
    """Boolean mask of the degradation segment (see module docstring, step 6)."""
    n = t.size
    start = int(np.searchsorted(t, t[-1] - window_days - TIME_EPS_DAYS, side="left"))
    med = rolling_median(v[start:], ROLL)
    below = np.nonzero(med <= healthy_upper)[0]
    # +half: skip the points that entered the last below-band median (selection bias toward a dip)
    onset = start + (int(below[-1]) + 1 + ROLL // 2 if below.size else 0)
    if n - onset < MIN_POINTS or t[-1] - t[min(onset, n - 1)] < MIN_SPAN_DAYS:
        # no established excursion above the healthy band: use the whole window, but never less
        # than the last MIN_POINTS points / 24 h
        by_span = int(np.searchsorted(t, t[-1] - MIN_SPAN_DAYS, side="right")) - 1
        onset = max(0, min(start, by_span, n - MIN_POINTS))
    mask = np.zeros(n, dtype=bool)
    mask[onset:] = True
    return mask


@dataclass(frozen=True)
class ExpFit:
    """ln a(t) = alpha_p + c (t - t_p): the defect amplitude's log-line through its pivot."""

    c: float
    se_c: float
    t_p: float
    alpha_p: float
    se_alpha_p: float
    n: int
    load_k: float = 0.0  # d ln v / d load (0: no operating-condition term)

    def crossings(self, y: float) -> tuple[float, float, float]:
        """(estimate, earliest, latest) times at which ln a reaches y."""
        z = Z80
        return (
            self.t_p + (y - self.alpha_p) / self.c,
            self.t_p + (y - self.alpha_p - z * self.se_alpha_p) / (self.c + z * self.se_c),
            self.t_p + (y - self.alpha_p + z * self.se_alpha_p) / (self.c - z * self.se_c),
        )

    def level(self, t: np.ndarray, healthy_level: float) -> np.ndarray:
        """Fitted v(t) = sqrt(v_h^2 + a(t)^2)."""
        q = self.alpha_p + self.c * (np.asarray(t, dtype=np.float64) - self.t_p)
        return np.exp(0.5 * np.logaddexp(2.0 * math.log(healthy_level), 2.0 * q))


def lag1_autocorr(t: np.ndarray, r: np.ndarray) -> float:
    """Lag-1 autocorrelation of residuals over pairs of points one hour apart (0 without pairs)."""
    dt = np.diff(t) * 24.0
    pairs = np.nonzero(np.abs(dt - 1.0) < 0.05)[0]
    if pairs.size < 3:
        return 0.0
    den = float(np.sum(r * r))
    if den <= 0:
        return 0.0
    return float(np.sum(r[pairs] * r[pairs + 1]) / den * (r.size / pairs.size))


class _Quadrature:
    """ln v = 0.5 ln(v_h^2 + exp(2 (alpha + c (t - t_last)))) - k x on the positive points: the
    residuals, the Jacobian and one weighted Levenberg-Marquardt solve."""

    def __init__(self, t: np.ndarray, v: np.ndarray, healthy_level: float, x: np.ndarray | None) -> None:
        ok = v > 0
        self.t, self.y = t[ok], np.log(v[ok])
        self.v = v[ok]
        self.xo = None if x is None else x[ok]
        self.n = self.t.size
        self.n_par = 2 if self.xo is None else 3
        self.t_ref = float(self.t[-1]) if self.n else 0.0
        self.dt = self.t - self.t_ref
        self.lvh2 = 2.0 * math.log(healthy_level)

    def share(self, p: np.ndarray) -> np.ndarray:
        """The defect's share of the mean square, a^2 / (v_h^2 + a^2) = d ln v / d alpha."""
        q2 = 2.0 * (p[0] + p[1] * self.dt)
        share: np.ndarray = np.exp(q2 - np.logaddexp(self.lvh2, q2))
        return share

    def resid(self, p: np.ndarray) -> np.ndarray:
        r = 0.5 * np.logaddexp(self.lvh2, 2.0 * (p[0] + p[1] * self.dt)) - self.y
        out: np.ndarray = r if self.xo is None else r + p[2] * self.xo
        return out

    def jac(self, p: np.ndarray, sw: np.ndarray) -> np.ndarray:
        sh = self.share(p)
        cols = [sh, sh * self.dt] if self.xo is None else [sh, sh * self.dt, self.xo]
        jac: np.ndarray = np.column_stack(cols) * sw[:, None]
        return jac

    def solve(self, p0: np.ndarray, sw: np.ndarray) -> Any:
        return optimize.least_squares(
            lambda p: self.resid(p) * sw,
            p0,
            jac=lambda p: self.jac(p, sw),
            method="lm",
            xtol=1e-12,
            ftol=1e-12,
            gtol=1e-12,
        )


def fit_exponential(
    t: np.ndarray,
    v: np.ndarray,
    healthy_level: float,
    x: np.ndarray | None = None,
    *,
    recency_days: float | None = None,
) -> ExpFit | None:
    """Weighted least squares of ln v = 0.5 ln(v_h^2 + exp(2 (alpha + c (t - t_last)))) - k x
    (``assessment.rul`` docstring, step 5; the term k x only when the load offset ``x`` is given);
    None when the fit is not possible (too few positive points, singular covariance)."""
    m = _Quadrature(t, v, healthy_level, x)
    if m.n < MIN_POINTS:
        return None
    last = float(np.median(m.v[-LAST_LEVEL_POINTS:]))
    a2 = max(last * last - healthy_level * healthy_level, (0.1 * healthy_level) ** 2)
    # recency weights: the model is a local description of the growth (a defect's log-amplitude
    # bends), so the hours near now carry more weight; weight exp(-(t_last - t) / RECENCY_DAYS)
    rec = np.ones(m.n) if recency_days is None else np.exp(0.5 * m.dt / recency_days)
    iv = np.ones(m.n)  # 1 / residual SD (the variance model below)
    sw = rec * iv
    best = None
    for c0 in EXP_START_RATES:
        sol = m.solve(np.array([0.5 * math.log(a2), c0, 0.0][: m.n_par]), sw)
        if np.all(np.isfinite(sol.x)) and (best is None or sol.cost < best.cost):
            best = sol
    if best is None:
        return None
    # feasible weighted least squares: the residual variance as a function of the defect's share,
    # var = s0^2 (1 - share) + s1^2 share (least squares of r^2 on the two), inverse-variance weights
    for _ in range(REWEIGHT_ROUNDS):
        r, sh = m.resid(best.x), m.share(best.x)
        design = np.column_stack([1.0 - sh, sh])
        coef = np.linalg.lstsq(design, r * r, rcond=None)[0]
        floor = max(float(np.mean(r * r)), 1e-12) * VARIANCE_FLOOR
        var = np.maximum(design @ coef, floor)
        iv = 1.0 / np.sqrt(var)
        sw = rec * iv
        sol = m.solve(best.x, sw)
        if not np.all(np.isfinite(sol.x)):
            return None
        best = sol
    return _with_covariance(m, best.x, rec, iv, sw)


def _with_covariance(
    m: _Quadrature, p: np.ndarray, rec: np.ndarray, iv: np.ndarray, sw: np.ndarray
) -> ExpFit | None:
    """The fit with its parameters' sandwich covariance (the recency weights are not inverse
    variances), inflated for the lag-1 autocorrelation of the hourly residuals, pivoted where
    alpha and c are uncorrelated."""
    alpha, c = float(p[0]), float(p[1])
    rv = m.resid(p) * iv  # standardised residuals
    j = m.jac(p, sw)
    s2 = float(np.sum(rv * rv)) / max(1, m.n - m.n_par)
    k = min(max(lag1_autocorr(m.t, rv), 0.0), AUTOCORR_MAX)
    try:
        bread = np.linalg.inv(j.T @ j)
    except np.linalg.LinAlgError:
        return None
    meat = j.T @ (j * (rec * rec)[:, None])
    cov = bread @ meat @ bread * s2 * (1.0 + k) / (1.0 - k)
    var_a, cov_ac, var_c = float(cov[0, 0]), float(cov[0, 1]), float(cov[1, 1])
    if not (math.isfinite(var_c) and var_c > 0 and math.isfinite(var_a)):
        return None
    t_p = m.t_ref - cov_ac / var_c
    return ExpFit(
        c=c,
        se_c=math.sqrt(var_c),
        t_p=t_p,
        alpha_p=alpha + c * (t_p - m.t_ref),
        se_alpha_p=math.sqrt(max(var_a - cov_ac * cov_ac / var_c, 0.0)),
        n=m.n,
        load_k=0.0 if m.xo is None else float(p[2]),
    )


def load_offset(x: np.ndarray | None, load_ref: float | None) -> np.ndarray | None:
    """Load minus the reference condition (unknown points: 0, i.e. at the reference); None when
    there is no load or it hardly varies (SD < LOAD_MIN_SPREAD): then k is not identifiable and
    the fit keeps two parameters."""
    if x is None:
        return None
    known = np.isfinite(x)
    if np.count_nonzero(known) < MIN_POINTS:
        return None
    ref = float(np.median(x[known])) if load_ref is None or not math.isfinite(load_ref) else float(load_ref)
    off = np.where(known, x - ref, 0.0)
    if float(np.std(x[known])) < LOAD_MIN_SPREAD:
        return None
    return off
