"""The power-law candidate and the backtest weighting of the vibration RUL (CONTRACTS §11.2 step 7)."""

from __future__ import annotations

import math

import numpy as np

from assessment.rul import estimate_rul
from assessment.rul_candidates import ALTERNATIVE_PREFERENCE, backtest_weights

HOURS = 1.0 / 24.0
V_H = 1.0  # healthy level (baseline p50), mm/s
THR = 7.1  # group 1 rigid C/D boundary


def power_series(seed: int, *, p=2.5, onset=8.0, life=6.0, u_now=0.7, rel_noise=0.03):
    """A defect amplitude growing as a power of the time since onset, A u^p (u = (t - onset) / life),
    in quadrature with V_H, multiplicative noise; returns t, v, true time-to-threshold from the end."""
    rng = np.random.default_rng(seed)
    amp = 10.0  # amplitude at u = 1
    t = np.arange(0.0, onset + u_now * life, HOURS)
    u = np.clip((t - onset) / life, 0.0, None)
    v = np.sqrt(V_H**2 + (amp * u**p) ** 2) * (1.0 + rel_noise * rng.standard_normal(t.size))
    t_cross = onset + life * (math.sqrt(THR**2 - V_H**2) / amp) ** (1.0 / p)
    return t, v, t_cross - t[-1]


def test_power_law_growth_is_read_as_a_power_law_not_a_too_fast_exponential():
    # an exponential fitted to this growth puts the crossing at about half the true remaining life
    hits = powers = 0
    for seed in range(20):
        t, v, truth = power_series(seed)
        r = estimate_rul(t, v, healthy_level=V_H, threshold=THR, healthy_upper=1.2)
        assert r.rul_days is not None and r.low_days <= r.rul_days <= r.high_days
        powers += r.method == "power"
        hits += abs(r.rul_days - truth) <= 0.2 * truth
    assert powers >= 16
    assert hits >= 16


def test_an_alternative_needs_a_clearly_smaller_backtest_error_than_the_exponential():
    slightly = backtest_weights(
        [({"exponential": 0.010, "power": 0.010 / ALTERNATIVE_PREFERENCE * 1.01}, 30)]
    )
    assert slightly == {"exponential": 1.0}
    clearly = backtest_weights([({"exponential": 0.010, "power": 0.002}, 30)])
    assert clearly["power"] > 0.99 and math.isclose(sum(clearly.values()), 1.0)


def test_backtest_weights_average_the_cuts_and_score_only_models_present_in_every_cut():
    w = backtest_weights([({"exponential": 0.010, "power": 0.001}, 20), ({"exponential": 0.004}, 30)])
    assert w == {"exponential": 1.0}
    # power wins one cut by far and loses the other: the mean error decides
    w = backtest_weights(
        [({"exponential": 0.010, "power": 0.001}, 20), ({"exponential": 0.002, "power": 0.009}, 20)]
    )
    assert w == {"exponential": 1.0}
