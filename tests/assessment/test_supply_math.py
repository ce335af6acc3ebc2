"""The pure supply and power-factor rules (assessment/supply.py, docs/CONTRACTS.md §15.1, §15.6)."""

from __future__ import annotations

import math

import numpy as np

from assessment.supply import (
    SiteReading,
    at_similar_load,
    energy_power_factor,
    frequency_alert_band,
    local_deviation,
    low_pf_limit,
    site_event,
    steady_mask,
    window_means,
    window_steady_mean,
)

MIN = 60_000_000  # one minute in microseconds
HOUR = 60 * MIN


def r(out: bool) -> SiteReading:
    return SiteReading("A", 400.0, -3.6, out)


def test_window_means_use_the_half_open_15_min_window_and_need_two_events():
    t = np.arange(0, 40 * MIN, 5 * MIN)  # 0, 5, ..., 35 min
    v = np.where(t >= 20 * MIN, 380.0, 415.0)
    m = window_means(t, v, np.array([15 * MIN, 25 * MIN, 35 * MIN, 0]))
    assert m[0] == 415.0  # (0, 15]: 5, 10, 15 min
    assert m[1] == (415.0 + 380.0 + 380.0) / 3  # (10, 25]: 15, 20, 25 min; the event at 10 is outside
    assert m[2] == 380.0
    assert math.isnan(m[3])  # one event only in (-15, 0]


def test_frequency_alert_band_is_iec_60034_1_zone_a():
    lo, hi = frequency_alert_band(50.0)
    assert (round(lo, 6), round(hi, 6)) == (49.0, 51.0)


def test_a_site_event_needs_two_reporting_assets_and_a_majority_out_of_band():
    assert not site_event([r(True)])  # one asset alone: its own problem
    assert not site_event([r(True), r(False)])  # half is not more than half
    assert site_event([r(True), r(True), r(False)])
    assert not site_event([r(True), r(False), r(False)])
    assert not site_event([])


def test_steady_running_starts_one_hour_after_the_last_stop():
    t = np.arange(0, 4 * HOUR, 10 * MIN)
    running = ~((t >= HOUR) & (t < 90 * MIN))  # stopped 60-90 min
    steady = steady_mask(t, running)
    assert steady[t < HOUR].all()  # running from the first event: taken as running before it
    assert not steady[(t >= HOUR) & (t < 140 * MIN)].any()  # stopped, then the hour after the restart
    assert steady[t >= 140 * MIN].all()  # last stop sample at 80 min: steady from 140 min


def test_energy_power_factor_weights_by_apparent_power_and_needs_an_hour_of_steady_running():
    t = np.arange(0, 3 * HOUR, 10 * MIN)
    v = np.full(t.size, 400.0)
    i = np.where(t < 90 * MIN, 10.0, 30.0)  # light load, then heavy load
    pf = np.where(t < 90 * MIN, 0.70, 0.90)
    steady = np.ones(t.size, bool)
    out = energy_power_factor(t, v, i, pf, steady, np.array([170 * MIN, 30 * MIN]))
    n_light, n_heavy = 9, 9
    expected = (n_light * 10 * 0.70 + n_heavy * 30 * 0.90) / (n_light * 10 + n_heavy * 30)
    assert math.isclose(out[0], expected)  # kWh/kVAh, not the mean PF 0.80
    assert out[0] > float(np.mean(pf))
    assert math.isnan(out[1])  # 30 min of data is not an hour of steady running
    none_steady = energy_power_factor(t, v, i, pf, np.zeros(t.size, bool), np.array([170 * MIN]))
    assert math.isnan(none_steady[0])


def test_low_pf_limit_is_the_lower_of_the_tariff_limit_and_the_machines_healthy_pf_less_a_margin():
    assert math.isclose(low_pf_limit(0.90, 0.85), 0.80)  # a 0.85-PF motor is not low at 0.84
    assert low_pf_limit(0.90, 0.99) == 0.90
    assert low_pf_limit(0.90, None) is None  # no baseline: not judged


def test_pf_is_judged_only_at_a_load_like_the_healthy_one():
    t = np.arange(0, 3 * HOUR, 10 * MIN)
    i = np.where(t < HOUR, 30.0, 10.0)
    steady = t >= 20 * MIN
    m = window_steady_mean(t, i, steady, np.array([50 * MIN, 170 * MIN, 10 * MIN]))
    assert m[0] == 30.0 and math.isclose(m[1], (4 * 30.0 + 12 * 10.0) / 16) and math.isnan(m[2])
    assert at_similar_load(18.0, 20.0) and not at_similar_load(17.9, 20.0)
    assert not at_similar_load(25.0, None)  # no healthy load known: not judged


def test_a_deviation_is_local_when_it_is_away_from_the_site_median_or_the_asset_is_alone():
    def at(dev: float) -> SiteReading:
        return SiteReading("X", 415.0 * (1 + dev / 100), dev, abs(dev) > 6.0)

    site = [at(-5.8), at(-5.6), at(-6.5)]
    assert not local_deviation(at(-6.5), site, 2.0)  # 0.7 pp below the median -5.8 %
    assert local_deviation(at(-8.4), [at(0.0), at(0.3), at(-8.4)], 2.0)
    assert local_deviation(at(-6.5), [at(-6.5)], 2.0)  # alone: judged alone
