"""Grid, process load and thermal behaviour of healthy assets.

Bands come from the Indian supply rules, written out here: LT voltage within +-6 % of
230 V / 415 V (CEA supply regulations), frequency within 49.90-50.05 Hz (IEGC band).
"""

from __future__ import annotations

import numpy as np
import pytest

from generator.grid import GRID_FREQ, GRID_SAG, GRID_SWELL
from generator.load import local_clock
from tests.generator.helpers import ISO_10816_3

NOMINAL = {"single": 230.0, "three": 415.0}


def grid_bits(run):
    from generator.fleet import simulate_site

    return simulate_site(run.fleet).grid_bits


def test_healthy_voltage_stays_within_6_percent_except_labelled_sags_and_swells(healthy_grid_run):
    bits = grid_bits(healthy_grid_run)
    unlabelled = (bits & (GRID_SAG | GRID_SWELL)) == 0
    assert (~unlabelled).sum() >= 5, "the scenario should contain some sags/swells"
    sags = (bits & GRID_SAG) != 0
    for s in healthy_grid_run.series:
        dev = s.signals["voltage_v"] / NOMINAL[s.asset.phase] - 1
        assert np.abs(dev[unlabelled]).max() <= 0.06
        assert dev[unlabelled].std() > 0.005  # it does vary (diurnal cycle, wander)
        if sags.any():
            assert np.all(dev[sags] < -0.06)


def test_voltage_is_lowest_in_the_evening_peak_and_highest_before_dawn(healthy_grid_run):
    run = healthy_grid_run
    t = np.arange(run.fleet.n_steps) * float(run.fleet.interval_s)
    hour, _ = local_clock(t, run.fleet.start.timestamp(), 5.5)
    v = np.stack([s.signals["voltage_v"] / NOMINAL[s.asset.phase] for s in run.series]).mean(axis=0)
    evening = (hour >= 18) & (hour < 22)
    dawn = (hour >= 1) & (hour < 5)
    assert np.median(v[dawn]) - np.median(v[evening]) > 0.02


def test_frequency_stays_in_the_iegc_band_except_rare_labelled_excursions(healthy_grid_run):
    bits = grid_bits(healthy_grid_run)
    excursion = (bits & GRID_FREQ) != 0
    assert 0 < excursion.mean() < 0.05
    for s in healthy_grid_run.series:
        f = s.signals["frequency_hz"]
        assert f[~excursion].min() >= 49.90 and f[~excursion].max() <= 50.05
        assert f.min() >= 45.0 and f.max() <= 55.0
        assert np.all((f[excursion] < 49.90) | (f[excursion] > 50.05))


def test_healthy_assets_stay_in_iso_zones_a_and_b(healthy_grid_run):
    for s in healthy_grid_run.series:
        bc = ISO_10816_3[(s.asset.iso_group, s.asset.foundation)][1]
        rms = s.signals["vibration_rms_mm_s"]
        assert rms.max() < bc, s.asset.asset_id
        assert rms[s.running].std() / rms[s.running].mean() > 0.02  # realistic noise, not a constant
        kurt = s.signals["vibration_kurtosis"][s.running]
        assert 2.3 < np.median(kurt) < 3.5


def test_power_factor_falls_at_light_load_as_in_induction_motors(healthy_grid_run):
    for s in healthy_grid_run.series:
        running = s.running & (s.signals["current_a"] > 0)
        i_pu = s.signals["current_a"] / s.asset.rated_current_a
        pf = s.signals["power_factor"]
        light = running & (i_pu <= np.percentile(i_pu[running], 10))  # idling: mostly magnetising current
        heavy = running & (i_pu >= np.percentile(i_pu[running], 70))
        assert light.sum() > 20 and heavy.sum() > 20, s.asset.asset_id
        assert np.median(pf[light]) < 0.55
        assert np.median(pf[heavy]) > 0.65
        assert np.median(pf[heavy]) - np.median(pf[light]) > 0.2


def test_three_shifts_weekly_off_and_idle_breaks_shape_the_load(healthy_grid_run):
    run = healthy_grid_run
    t = np.arange(run.fleet.n_steps) * float(run.fleet.interval_s)
    hour, _ = local_clock(t, run.fleet.start.timestamp(), 5.5)
    prod_hour, prod_day = local_clock(t - 6 * 3600, run.fleet.start.timestamp(), 5.5)
    motors = [s for s in run.series if s.asset.asset_type == "motor"]
    for s in motors:
        i = s.signals["current_a"]
        sunday = prod_day == 6
        assert np.all(i[sunday & (prod_hour > 0.5) & (prod_hour < 23.5)] == 0)  # weekly off: stopped
        working = ~sunday & s.running
        day_shift = working & (hour >= 8) & (hour < 9.5)
        night_shift = working & ((hour >= 23.5) | (hour < 1.5))
        assert np.median(i[day_shift]) > 1.15 * np.median(i[night_shift])
        meal_break = working & (hour >= 10.3) & (hour < 10.4)  # 30 min break 4 h into shift A
        assert np.median(i[meal_break]) < 0.6 * np.median(i[day_shift])
        assert np.all(s.signals["rpm"][~s.running] == 0)


def test_temperature_follows_a_first_order_lag_to_load_and_ambient(healthy_grid_run):
    run = healthy_grid_run
    dt = float(run.fleet.interval_s)
    for s in run.series:
        temp, amb = s.signals["temperature_c"], s.signals["ambient_temperature_c"]
        off = ~s.running
        # after 12 h stopped, the frame has cooled to ambient
        stopped_run = np.convolve(off.astype(int), np.ones(int(12 * 3600 / dt)), mode="full")[: off.size]
        cold = stopped_run >= int(12 * 3600 / dt)
        if cold.any():
            assert np.all(np.abs(temp[cold] - amb[cold]) < 2.0)
        # running at load the frame sits 10-60 K above ambient
        rise = (temp - amb)[s.running & (s.signals["current_a"] > 0.6 * s.asset.rated_current_a)]
        assert 10 < np.median(rise) < 60
        # first-order lag: at a start-up after a long stop the frame is still near ambient,
        # three hours later it has risen most of the way
        idx = np.flatnonzero(s.running[1:] & ~s.running[:-1]) + 1
        later = int(3 * 3600 / dt)
        long_off = [k for k in idx if k >= 36 and not s.running[k - 36 : k].any() and k + later < temp.size]
        for k in long_off:
            if s.running[k : k + later + 1].all():
                assert temp[k] - amb[k] < 0.5 * (temp[k + later] - amb[k + later])


@pytest.mark.parametrize("phase", ["single", "three"])
def test_ambient_has_a_daily_cycle_peaking_in_the_afternoon(healthy_grid_run, phase):
    run = healthy_grid_run
    s = next(x for x in run.series if x.asset.phase == phase)
    t = np.arange(run.fleet.n_steps) * float(run.fleet.interval_s)
    hour, _ = local_clock(t, run.fleet.start.timestamp(), 5.5)
    amb = s.signals["ambient_temperature_c"]
    afternoon = (hour >= 14) & (hour < 16)
    early = (hour >= 4) & (hour < 6)
    assert np.median(amb[afternoon]) - np.median(amb[early]) > 5
    assert -10 < amb.min() and amb.max() < 55
