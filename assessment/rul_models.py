"""Candidate growth laws of a defect's vibration amplitude, and their out-of-sample weights; pure math.

A defect adds a vibration component independent of the healthy machine's own, so mean squares add:
v(t)^2 = v_h^2 + a(t)^2 (docs/CONTRACTS.md §11.2).  How a(t) grows is not known in advance: fatigue
cracks and spalls accelerate (exponential), wear grows as a power of running time from its onset,
some defects saturate (logistic), a looseness steps and then ramps (near linear after the step).
Each law is fitted to ln v by least squares over the trend window; how much each one is believed is
how well it *predicted* the recent past: every law is refitted on the points before a holdout origin
and scored on the points after it (mean squared error of ln v), and its weight is the inverse of that
error.  A law that only fits what it has seen gets no credit for it.  The remaining life is the
weighted median of the laws' crossing times (log scale); their weighted spread widens the interval.

Time is in days relative to the last point (dt <= 0); the amplitude a(dt) >= 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

AmplitudeFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: the holdout: the last HOLDOUT_SHARE of the degradation segment's span, at least HOLDOUT_MIN_DAYS
HOLDOUT_SHARE = 0.3
HOLDOUT_MIN_DAYS = 0.25
MIN_FIT_POINTS = 8  # points a law needs before the holdout origin to be scored
INFLECTION_AHEAD_DAYS = 1e9  # (disabled) a logistic counts only when its inflection is no further ahead
EXP_LIMIT = 50.0  # bound of exponents inside the laws (overflow guard)


def _pos(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.maximum(x, 0.0)
    return out


def _a_exponential(p: np.ndarray, dt: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.exp(np.clip(p[0] + p[1] * dt, -EXP_LIMIT, EXP_LIMIT))
    return out


def _a_power(p: np.ndarray, dt: np.ndarray) -> np.ndarray:
    # a = A (t - t0)^k from the onset t0 (0 before it)
    out: np.ndarray = np.exp(np.clip(p[0], -EXP_LIMIT, EXP_LIMIT)) * _pos(dt - p[2]) ** p[1]
    return out


def _a_linear(p: np.ndarray, dt: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.exp(np.clip(p[0], -EXP_LIMIT, EXP_LIMIT)) * _pos(dt - p[1])
    return out


def _a_logistic(p: np.ndarray, dt: np.ndarray) -> np.ndarray:
    # a = L / (1 + exp(-k (t - m)))
    z = np.clip(-p[1] * (dt - p[2]), -EXP_LIMIT, EXP_LIMIT)
    out: np.ndarray = np.exp(np.clip(p[0], -EXP_LIMIT, EXP_LIMIT)) / (1.0 + np.exp(z))
    return out


@dataclass(frozen=True)
class Law:
    """A growth law: its amplitude, starting points and bounds built from the data, and its crossing."""

    name: str
    amplitude: AmplitudeFn

    def starts(self, dt: np.ndarray, a_last: float, onset: float) -> list[np.ndarray]:
        la = math.log(max(a_last, 1e-9))
        span = max(-float(dt[0]), 1e-3)
        age = max(-onset, 0.05)  # time since the estimated onset, days
        if self.name == "exponential":
            return [np.array([la, c]) for c in (0.3, 2.0)]
        if self.name == "power_law":
            return [np.array([la - k * math.log(age), k, onset]) for k in (1.5, 3.0)]
        if self.name == "linear":
            return [np.array([la - math.log(age), onset])]
        # logistic: a plateau above the last level, the midpoint around now
        return [
            np.array([la + math.log(1.5), 8.0 / span, -0.2 * age]),
            np.array([la + math.log(4.0), 4.0 / age, 0.0]),
        ]

    def bounds(self, dt: np.ndarray, a_last: float, a_th: float) -> tuple[np.ndarray, np.ndarray]:
        t0 = float(dt[0])
        la = math.log(max(a_last, 1e-9))
        if self.name == "exponential":
            return np.array([-EXP_LIMIT, -50.0]), np.array([EXP_LIMIT, 50.0])
        if self.name == "power_law":
            return np.array([-EXP_LIMIT, 0.5, t0 - 10.0]), np.array([EXP_LIMIT, 8.0, -0.01])
        if self.name == "linear":
            return np.array([-EXP_LIMIT, t0 - 10.0]), np.array([EXP_LIMIT, -0.01])
        hi = max(math.log(max(a_th, 1e-9)) + math.log(20.0), la + 1.0)
        return np.array([la - 0.5, 0.05, t0 - 10.0]), np.array([hi, 200.0, 60.0])

    def crossing(self, p: np.ndarray, a_th: float) -> float:
        """dt at which a reaches a_th going up (inf when it never does)."""
        if self.name == "exponential":
            return (math.log(a_th) - p[0]) / p[1] if p[1] > 0 else math.inf
        if self.name == "power_law":
            return float(p[2] + math.exp((math.log(a_th) - p[0]) / p[1]))
        if self.name == "linear":
            return float(p[1] + math.exp(math.log(a_th) - p[0]))
        lnl = float(p[0])
        if lnl <= math.log(a_th) + 1e-12:
            return math.inf
        return float(p[2] - math.log(math.exp(lnl - math.log(a_th)) - 1.0) / p[1])


LAWS: tuple[Law, ...] = (
    Law("exponential", _a_exponential),
    Law("power_law", _a_power),
    Law("linear", _a_linear),
    Law("logistic", _a_logistic),
)


@dataclass(frozen=True)
class LawFit:
    name: str
    params: np.ndarray
    cross_dt: float  # days after the last point at which a reaches the threshold amplitude (inf: never)
    holdout_mse: (
        float | None
    )  # mean squared error of ln v on the holdout, fitted before it (None: not scored)


def _model_ln_v(law: Law, p: np.ndarray, dt: np.ndarray, lvh2: float) -> np.ndarray:
    a = law.amplitude(p, dt)
    out: np.ndarray = 0.5 * np.logaddexp(lvh2, 2.0 * np.log(np.maximum(a, 1e-300)))
    return out


def fit_law(
    law: Law, dt: np.ndarray, y: np.ndarray, lvh2: float, a_last: float, a_th: float, onset: float
) -> np.ndarray | None:
    """Least squares of ln v (``y``) = 0.5 ln(v_h^2 + a(dt)^2) over the points; the lowest-cost start
    wins; None when no start converges to finite parameters."""
    lo, hi = law.bounds(dt, a_last, a_th)
    best = None
    for p0 in law.starts(dt, a_last, onset):
        p0 = np.clip(p0, lo + 1e-9, hi - 1e-9)
        try:
            sol = optimize.least_squares(
                lambda p: _model_ln_v(law, p, dt, lvh2) - y, p0, bounds=(lo, hi), method="trf", max_nfev=100
            )
        except (ValueError, FloatingPointError):
            continue
        if np.all(np.isfinite(sol.x)) and (best is None or sol.cost < best.cost):
            best = sol
    return None if best is None else np.asarray(best.x)


def holdout_origin(dt: np.ndarray, v: np.ndarray, healthy_upper: float) -> float:
    """The holdout origin (dt): the last HOLDOUT_SHARE of the points above the healthy band (at
    least 3), so that the laws fitted before it have seen part of the rise; at least
    HOLDOUT_MIN_DAYS before the last point."""
    above = np.flatnonzero(v > healthy_upper)
    k = max(3, math.ceil(HOLDOUT_SHARE * above.size))
    if above.size <= k:
        return float(dt[-1]) - HOLDOUT_MIN_DAYS
    return min(float(dt[above[-k]]) - 1e-9, float(dt[-1]) - HOLDOUT_MIN_DAYS)


def fit_laws(
    dt: np.ndarray,
    v: np.ndarray,
    healthy_level: float,
    threshold: float,
    onset: float,
    healthy_upper: float,
) -> LawSet:
    """Every law fitted on all points (its crossing) and on the points before the holdout origin
    (its out-of-sample error, the base of its weight, ``law_weights``)."""
    ok = v > 0
    dt, y = dt[ok], np.log(v[ok])
    lvh2 = 2.0 * math.log(healthy_level)
    a_th = math.sqrt(threshold * threshold - healthy_level * healthy_level)
    last = float(np.median(v[-3:]))
    a_last = math.sqrt(max(last * last - healthy_level * healthy_level, (0.1 * healthy_level) ** 2))
    origin = holdout_origin(dt, np.exp(y), healthy_upper)
    before = dt <= origin
    fits: list[LawFit] = []
    for law in LAWS:
        p = fit_law(law, dt, y, lvh2, a_last, a_th, onset)
        if p is None or (law.name == "logistic" and p[2] > INFLECTION_AHEAD_DAYS):
            # a logistic's plateau is known only once its inflection is in the data: before it, the
            # law is an exponential with an unidentified ceiling and is left out
            continue
        mse = None
        if (
            np.count_nonzero(before) >= MIN_FIT_POINTS
            and np.count_nonzero(~before) >= 3
            and np.any(v[ok][before] > healthy_upper)
        ):
            db, yb = dt[before], y[before]
            lb = float(np.median(np.exp(yb[-3:])))
            ab = math.sqrt(max(lb * lb - healthy_level * healthy_level, (0.1 * healthy_level) ** 2))
            pb = fit_law(law, db, yb, lvh2, ab, a_th, min(onset, float(db[-1]) - 0.05))
            if pb is not None:
                r = _model_ln_v(law, pb, dt[~before], lvh2) - y[~before]
                mse = float(np.mean(r * r))
        fits.append(LawFit(law.name, p, law.crossing(p, a_th), mse))
    return LawSet(fits, int(np.count_nonzero(~before)), noise_var(fits, dt, y, lvh2))


@dataclass(frozen=True)
class LawSet:
    fits: list[LawFit]
    n_holdout: int  # points after the holdout origin
    noise_var: float  # the scatter of ln v about the best in-sample law


def noise_var(fits: list[LawFit], dt: np.ndarray, y: np.ndarray, lvh2: float) -> float:
    """The hour-to-hour scatter of ln v: the smallest in-sample mean squared residual of the laws."""
    by_name = {law.name: law for law in LAWS}
    best = math.inf
    for f in fits:
        r = _model_ln_v(by_name[f.name], f.params, dt, lvh2) - y
        best = min(best, float(np.mean(r * r)))
    return max(best, 1e-8) if math.isfinite(best) else 1.0


def law_weights(mses: list[float | None], n_holdout: int, sigma2: float, temperature: float) -> list[float]:
    """Predictive weights of laws with holdout errors ``mses``: w ∝ exp(-n_h (mse - mse_min) /
    (2 T max(sigma^2, mse_min))), the likelihood of the holdout under each law's forecast with the
    scatter sigma^2 (or the best law's error, when even it missed),
    tempered by T (>= 1: hourly points are correlated and no law is exactly right); T = inf gives
    equal weights.  Laws that could not be scored get no weight when any could, equal weights when
    none could.  Normalised to sum 1."""
    scored = [m for m in mses if m is not None]
    best = min(scored) if scored else 0.0
    # the best law's own holdout error when it exceeds the scatter: when every law missed the holdout
    # (e.g. it was fitted before the rise began), their differences say little
    scale = max(sigma2, best, 1e-12)
    w = []
    for m in mses:
        if m is None:
            w.append(0.0 if scored else 1.0)
        elif math.isinf(temperature):
            w.append(1.0)
        else:
            w.append(math.exp(-0.5 * n_holdout * (m - best) / (temperature * scale)))
    total = sum(w)
    return [x / total for x in w]


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float = 0.5) -> float:
    """The smallest x whose cumulative weight reaches the share q of the total (q = 0.5: the
    weighted median)."""
    order = np.argsort(x, kind="stable")
    c = np.cumsum(w[order])
    i = min(int(np.searchsorted(c, q * c[-1] - 1e-12)), x.size - 1)
    return float(x[order][i])
