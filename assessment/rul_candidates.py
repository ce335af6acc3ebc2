"""The power-law candidate of the vibration RUL and the backtest that weighs it against the exponential
model (docs/CONTRACTS.md §11.2 step 7), pure math, no Django.

A defect's amplitude does not follow one law. An exponential fitted to an amplitude growing as a power of
the time since the defect appeared, a = B (t - t0)^p, reads the fast early growth of ln a as the growth
ahead and places the crossing too early (about half the true remaining life late in the defect's life).
When the growth is slowing, ``assessment.rul`` therefore fits both models and backtests them:

* ``exponential``: the quadrature exponential of ``rul_fits.fit_exponential`` (ln a linear in time);
* ``power``: a = B (t - t0)^p over the degradation segment, least squares of ln a on ln(t - t0), the
  onset t0 the best of a grid before the segment's first point, POWER_MIN_EXPONENT <= p <= 8.

Each is fitted again without the segment's recent part (BACKTEST_SHARES of its span) and scored by the
mean squared error of ln v over the part left out (``backtest_errors``); the power law counts only when
its mean score x ALTERNATIVE_PREFERENCE is below the exponential's, because a flexible three-parameter
model wins a short backtest by chance on noisy exponential growth (``backtest_weights``). The remaining
life is the weighted geometric mean of the models' crossings; its 80 % interval (log scale) holds each
model's own interval and their disagreement (``combine``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .rul_fits import MIN_POINTS, Z80, ExpFit, fit_exponential

BACKTEST_SHARES = (1.0 / 3.0, 1.0 / 2.0)  # the recent parts of the segment each model must predict
BACKTEST_MIN_DAYS = 6.0 / 24.0
REFERENCE = "exponential"  # the model of a defect's growth (CONTRACTS §11.2 step 5)
ALTERNATIVE_PREFERENCE = 2.0  # an alternative's backtest error x this must be below the reference's
MIN_TRAIN_POINTS = 8  # segment points a model needs before the backtest cut
POWER_ONSET_GRID = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.5, 4.0)  # x segment span before it
POWER_MAX_EXPONENT = 8.0
POWER_MIN_EXPONENT = 0.5  # a defect's amplitude grows at least linearly in time since it appeared
MIN_RUL_DAYS = 1.0 / 24.0  # crossings in the past count as one hour ahead in the log-mean


@dataclass(frozen=True)
class Candidate:
    name: str
    t_cross: float
    t_low: float  # earliest crossing of the model's own interval
    t_high: float  # latest
    predict: Callable[[np.ndarray], np.ndarray]  # v at the reference load


def _amplitude(v: np.ndarray, healthy_level: float, floor: float) -> np.ndarray:
    return np.sqrt(np.maximum(v * v - healthy_level * healthy_level, floor * floor))


def exponential(
    t: np.ndarray, v: np.ndarray, healthy_level: float, threshold: float, x: np.ndarray | None, recency: float
) -> tuple[Candidate, ExpFit] | None:
    fit = fit_exponential(t, v, healthy_level, x, recency_days=recency)
    if fit is None or not fit.c > 0:
        return None
    y_thr = 0.5 * math.log(threshold * threshold - healthy_level * healthy_level)
    tc, tl, th = fit.crossings(y_thr)
    if not fit.c - Z80 * fit.se_c > 0:
        th = math.inf
    return Candidate("exponential", tc, tl, th, lambda s: fit.level(s, healthy_level)), fit


def power(
    t: np.ndarray, v: np.ndarray, healthy_level: float, threshold: float, floor: float
) -> Candidate | None:
    """a = B (t - t0)^p, t0 on POWER_ONSET_GRID before the first point; None without a growing fit."""
    a = _amplitude(v, healthy_level, floor)
    ln_a = np.log(a)
    span = max(float(t[-1] - t[0]), 1e-6)
    best = None
    for frac in POWER_ONSET_GRID:
        t0 = float(t[0]) - frac * span
        xl = np.log(t - t0)
        xm = float(np.mean(xl))
        sxx = float(np.sum((xl - xm) ** 2))
        if sxx <= 0:
            continue
        p = float(np.sum((xl - xm) * (ln_a - np.mean(ln_a))) / sxx)
        if not POWER_MIN_EXPONENT <= p <= POWER_MAX_EXPONENT:
            continue
        c0 = float(np.mean(ln_a)) - p * xm
        rss = float(np.sum((ln_a - c0 - p * xl) ** 2))
        if best is None or rss < best[0]:
            best = (rss, t0, p, c0, xm, sxx)
    if best is None:
        return None
    rss, t0, p, c0, xm, sxx = best
    n = t.size
    s2 = rss / max(1, n - 3)
    se_p = math.sqrt(s2 / sxx)
    if not p - Z80 * se_p > 0:
        return None
    se_m = math.sqrt(s2 / n)
    ln_thr = 0.5 * math.log(threshold * threshold - healthy_level * healthy_level)
    y_m = c0 + p * xm  # the fitted ln a at the pivot mean(ln(t - t0))

    def cross(slope: float, dy: float) -> float:
        if not slope > 0:
            return math.inf
        z = xm + (ln_thr - y_m - dy) / slope
        return t0 + math.exp(z) if z < 50.0 else math.inf

    def predict(s: np.ndarray) -> np.ndarray:
        d = np.maximum(np.asarray(s, dtype=np.float64) - t0, 1e-9)
        la = c0 + p * np.log(d)
        return np.exp(0.5 * np.logaddexp(2.0 * math.log(healthy_level), 2.0 * la))

    return Candidate(
        "power",
        cross(p, 0.0),
        cross(p + Z80 * se_p, Z80 * se_m),
        cross(p - Z80 * se_p, -Z80 * se_m),
        predict,
    )


@dataclass(frozen=True)
class Combined:
    t_cross: float
    t_low: float
    t_high: float
    method: str  # the model of the largest weight
    weights: dict[str, float]


def backtest_errors(
    fits: dict[str, Candidate | None], t: np.ndarray, v: np.ndarray, cut: float
) -> tuple[dict[str, float], int]:
    """Mean squared error of ln v after ``cut`` of each model fitted on t <= cut, and the points."""
    test = t > cut
    n = int(np.count_nonzero(test))
    mse = {}
    for name, c in fits.items():
        if c is None or n == 0:
            continue
        pred = c.predict(t[test])
        if not np.all(np.isfinite(pred) & (pred > 0)):
            continue
        mse[name] = float(np.mean((np.log(pred) - np.log(v[test])) ** 2))
    return mse, n


def backtest_weights(errors: list[tuple[dict[str, float], int]]) -> dict[str, float]:
    """Weights from the backtests' errors (models scored in every backtest only): an alternative counts
    only when its mean error x ALTERNATIVE_PREFERENCE is below the reference's; then
    exp(-0.5 n (mse_m - mse_best) / mse_best)."""
    names = set.intersection(*(set(m) for m, _ in errors)) if errors else set()
    if not names:
        return {}
    mse = {k: float(np.mean([m[k] for m, _ in errors])) for k in names}
    n = int(np.mean([k for _, k in errors]))
    ref = mse.get(REFERENCE)
    if ref is not None:
        mse = {k: m for k, m in mse.items() if k == REFERENCE or m * ALTERNATIVE_PREFERENCE < ref}
    best = min(mse.values())
    s2 = max(best, 1e-8)
    raw = {k: math.exp(-0.5 * n * (m - best) / s2) for k, m in mse.items()}
    tot = sum(raw.values())
    return {k: w / tot for k, w in raw.items()}


def combine(cands: dict[str, Candidate], weights: dict[str, float], now: float) -> Combined | None:
    """Weighted geometric mean of the times from ``now`` (the last point) to each crossing; the interval's log half-width is the root of the
    weighted mean of each model's own (squared) half-width plus its squared distance to the mean."""
    use = {k: c for k, c in cands.items() if weights.get(k, 0.0) > 0}
    if not use:
        return None
    tot = sum(weights[k] for k in use)
    w = {k: weights[k] / tot for k in use}
    lr = {k: math.log(max(c.t_cross - now, MIN_RUL_DAYS)) for k, c in use.items()}
    mu = sum(w[k] * lr[k] for k in use)
    var = 0.0
    for k, c in use.items():
        lo = math.log(max(c.t_low - now, MIN_RUL_DAYS * 0.5))
        hi = math.log(max(c.t_high - now, MIN_RUL_DAYS)) if math.isfinite(c.t_high) else lr[k] + 3.0
        half = max(lr[k] - lo, hi - lr[k], 0.0)
        var += w[k] * (half * half + (lr[k] - mu) ** 2)
    half = math.sqrt(var)
    method = max(w, key=lambda k: (w[k], k))
    return Combined(now + math.exp(mu), now + math.exp(mu - half), now + math.exp(mu + half), method, w)


def segment_cut(ts: np.ndarray, share: float) -> float | None:
    """A backtest cut: the last ``share`` of the segment's span (at least BACKTEST_MIN_DAYS) is
    predicted; None when fewer than MIN_TRAIN_POINTS points before it or under MIN_POINTS in all."""
    span = float(ts[-1] - ts[0])
    cut = float(ts[-1]) - max(share * span, BACKTEST_MIN_DAYS)
    if int(np.count_nonzero(ts <= cut)) < MIN_TRAIN_POINTS or ts.size < MIN_POINTS:
        return None
    return cut
