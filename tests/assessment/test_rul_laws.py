"""Candidate growth laws of the vibration RUL (assessment/rul_models.py) and their combination
(assessment/rul.py): shapes the estimator was not built around, disagreement, out-of-sample weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assessment.rul import INTERVAL_BASE, combine_laws, estimate_rul, rul_interval
from assessment.rul_fits import Z80
from assessment.rul_models import LAWS, fit_laws, law_weights, weighted_quantile

HOURS = 1.0 / 24.0
V_H = 1.0
THR = 7.1
A_TH = math.sqrt(THR**2 - V_H**2)


def noisy(a: np.ndarray, seed: int, rel: float = 0.03) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sqrt(V_H**2 + a**2) * (1.0 + rel * rng.standard_normal(a.size))


def logistic_case(t_now: float, seed: int):
    """a = L / (1 + exp(-k (t - m))) from the healthy level, L above the threshold amplitude:
    returns t, v up to t_now and the analytic time left to the crossing."""
    L, k, m = 1.3 * A_TH, 0.8, 8.0
    t = np.arange(0.0, t_now, HOURS)
    a = L / (1.0 + np.exp(-k * (t - m)))
    t_cross = m - math.log(L / A_TH - 1.0) / k
    return t, noisy(a, seed), t_cross - t[-1]


def power_case(t_now: float, seed: int, p: float = 2.5, onset: float = 3.0):
    """a = A (t - onset)^p after a healthy stretch; A chosen so the crossing is at day 12."""
    A = A_TH / (12.0 - onset) ** p
    t = np.arange(0.0, t_now, HOURS)
    a = A * np.maximum(t - onset, 0.0) ** p
    return t, noisy(a, seed), 12.0 - t[-1]


@pytest.mark.parametrize("seed", range(6))
def test_logistic_wear_is_within_20_percent_of_its_analytic_crossing(seed):
    # past the inflection (m = 8 d), where an exponential extrapolation would be far too early
    t, v, truth = logistic_case(8.7, seed)
    assert 0.5 < truth < 1.5
    r = estimate_rul(t, v, healthy_level=V_H, threshold=THR, healthy_upper=1.2)
    assert r.rul_days is not None and abs(r.rul_days - truth) <= 0.2 * truth, (r, truth)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1.5, 3.0])
def test_power_law_growth_is_within_20_percent_of_its_analytic_crossing(seed, p):
    t, v, truth = power_case(9.5, seed, p=p)
    r = estimate_rul(t, v, healthy_level=V_H, threshold=THR, healthy_upper=1.2)
    assert r.rul_days is not None and abs(r.rul_days - truth) <= 0.2 * truth, (p, r, truth)


def test_a_law_that_mispredicts_the_recent_past_loses_its_weight():
    # a power law from day 3: the exponential fits the whole history fairly, but its forecast of
    # the last hours (fitted before them) is worse than the power law's
    t, v, _ = power_case(9.5, 0, p=1.5)
    laws = fit_laws(t - t[-1], v, V_H, THR, 3.0 - t[-1], 1.2)
    fits = {f.name: f for f in laws.fits}
    assert fits["power_law"].holdout_mse is not None
    assert fits["power_law"].holdout_mse < fits["exponential"].holdout_mse
    w = dict(
        zip(
            fits,
            law_weights([f.holdout_mse for f in fits.values()], laws.n_holdout, laws.noise_var, 16.0),
            strict=True,
        )
    )
    assert w["power_law"] > w["exponential"]
    assert sum(w.values()) == pytest.approx(1.0)


def test_every_law_recovers_its_own_curve():
    # noise-free curves of each law's shape: that law's own crossing is within 5 % of the truth
    t = np.arange(0.0, 9.0, HOURS)
    dt = t - t[-1]
    truth_dt = 2.0  # crossing two days after the last point
    curves = {
        "exponential": A_TH * np.exp(0.4 * (dt - truth_dt)),
        "power_law": A_TH * (np.maximum(t - 2.0, 0.0) / (t[-1] + truth_dt - 2.0)) ** 2.0,
        "linear": A_TH * np.maximum(t - 2.0, 0.0) / (t[-1] + truth_dt - 2.0),
    }
    for name, a in curves.items():
        v = np.sqrt(V_H**2 + a**2)
        fits = {f.name: f for f in fit_laws(dt, v, V_H, THR, -6.0, 1.2).fits}
        assert fits[name].cross_dt == pytest.approx(truth_dt, rel=0.05), (name, fits[name])
    assert {law.name for law in LAWS} == {"exponential", "power_law", "linear", "logistic"}


def test_a_saturating_law_below_the_threshold_never_crosses():
    t = np.arange(0.0, 10.0, HOURS)
    a = 2.0 / (1.0 + np.exp(-1.5 * (t - 5.0)))  # plateau at 2 mm/s, far below the C/D amplitude
    v = np.sqrt(V_H**2 + a**2)
    fits = {f.name: f for f in fit_laws(t - t[-1], v, V_H, THR, -7.0, 1.2).fits}
    assert math.isinf(fits["logistic"].cross_dt)


def test_interval_widens_with_the_laws_disagreement():
    agree_low, agree_high = rul_interval(2.0, 0.0)
    assert agree_low == pytest.approx(2.0 / math.exp(Z80 * INTERVAL_BASE))
    assert agree_high == pytest.approx(2.0 * math.exp(Z80 * INTERVAL_BASE))
    lo, hi = rul_interval(2.0, 0.5)
    assert lo < agree_low and hi > agree_high
    assert lo <= 2.0 <= hi and (hi / 2.0) == pytest.approx(2.0 / lo)


def test_disagreeing_laws_widen_the_interval_on_their_side():
    agree = {
        "n_holdout": 10,
        "noise_var": 1e-3,
        "laws": {n: {"rul_days": 2.0, "holdout_mse": 1e-3} for n in "abc"},
    }
    split = {
        "n_holdout": 10,
        "noise_var": 1e-3,
        "laws": {
            "a": {"rul_days": 1.0, "holdout_mse": 1e-3},
            "b": {"rul_days": 2.0, "holdout_mse": 1e-3},
            "c": {"rul_days": 3650.0, "holdout_mse": 1e-3},
        },
    }
    one = combine_laws(agree, temperature=16.0, base=0.1, scale=1.0, quantile=0.5)
    two = combine_laws(split, temperature=16.0, base=0.1, scale=1.0, quantile=0.5)
    assert one.rul_days == pytest.approx(2.0) and two.rul_days == pytest.approx(2.0)
    assert one.spread_low == 0.0 and one.spread_high == 0.0
    assert two.low_days < one.low_days and two.high_days > 10 * one.high_days
    # a law that never crosses widens only the upper side as much
    assert two.high_days / two.rul_days > two.rul_days / two.low_days


def test_a_law_that_missed_the_holdout_does_not_move_the_estimate():
    detail = {
        "n_holdout": 20,
        "noise_var": 1e-3,
        "laws": {
            "good": {"rul_days": 2.0, "holdout_mse": 1e-3},
            "bad": {"rul_days": 9.0, "holdout_mse": 5e-2},
            "fair": {"rul_days": 2.2, "holdout_mse": 1.2e-3},
        },
    }
    c = combine_laws(detail, temperature=16.0, base=0.1, scale=1.0, quantile=0.5)
    assert c.weights["bad"] < 0.01 and c.method == "good"
    assert 2.0 <= c.rul_days <= 2.2


def test_weighted_median_follows_the_weights():
    x = np.array([1.0, 2.0, 10.0])
    assert weighted_quantile(x, np.array([0.1, 0.8, 0.1])) == 2.0
    assert weighted_quantile(x, np.array([0.05, 0.05, 0.9])) == 10.0
    assert weighted_quantile(x, np.array([0.3, 0.3, 0.4]), 0.25) == 1.0
