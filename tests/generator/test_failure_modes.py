"""Each failure mode changes the signals it should, and no others.

Fleet-level checks compare a faulty asset with its healthy twin (same seed, no fault).
Waveform checks analyse raw acceleration windows with signal processing written here
(scipy's Hilbert transform, numpy FFTs) and defect frequencies from the textbook formula.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import hilbert
from scipy.stats import spearmanr

from generator.fleet import acceleration_window
from generator.vibration import band_features
from tests.generator.helpers import FAULT_PLAN, ISO_10816_3, daily_medians

G = 9.80665e3  # mm/s^2
VIBRATION = (
    "vibration_rms_mm_s",
    "vibration_peak_g",
    "vibration_kurtosis",
    "vibration_1x_mm_s",
    "vibration_2x_mm_s",
    "envelope_bpfo_g",
    "envelope_bpfi_g",
)
BANDS = ("vibration_1x_mm_s", "vibration_2x_mm_s", "envelope_bpfo_g", "envelope_bpfi_g")
ELECTRICAL = ("voltage_v", "current_a", "power_factor")
SHAFT_HZ = 1480 / 60


def bpfo(n, d, pitch, angle, fr):
    return n / 2 * fr * (1 - d / pitch * math.cos(math.radians(angle)))


def bpfi(n, d, pitch, angle, fr):
    return n / 2 * fr * (1 + d / pitch * math.cos(math.radians(angle)))


def envelope_spectrum(x, fs, band=(1500.0, 8000.0)):
    spec = np.fft.rfft(x - x.mean())
    f = np.fft.rfftfreq(x.size, 1 / fs)
    spec[(f < band[0]) | (f > band[1])] = 0
    env = np.abs(hilbert(np.fft.irfft(spec, n=x.size)))
    amp = np.abs(np.fft.rfft(env - env.mean())) / x.size
    return f, amp


def peak_ratio(f, amp, target, rel=0.02, lo=5.0, hi=600.0):
    """Largest amplitude within +-rel of target over the median level in [lo, hi] Hz."""
    near = (f >= target * (1 - rel)) & (f <= target * (1 + rel))
    band = (f >= lo) & (f <= hi)
    return amp[near].max() / np.median(amp[band])


def velocity_amplitude(x, fs, freq):
    """Velocity peak amplitude (mm/s) of the component at freq, from a Hann-windowed FFT."""
    w = np.hanning(x.size)
    spec = np.fft.rfft((x - x.mean()) * w)
    f = np.fft.rfftfreq(x.size, 1 / fs)
    near = np.abs(f - freq) <= 3 * fs / x.size
    accel_peak = 2 * np.abs(spec[near]).max() / w.sum()  # g
    return accel_peak * G / (2 * np.pi * freq)


def asset_index(run, mode):
    return run.by_mode(mode).asset.index


def geometry(run, mode):
    b = run.by_mode(mode).asset.bearing
    return b.n_balls, b.ball_diameter_mm, b.pitch_diameter_mm, b.contact_angle_deg


def window(run, mode, life, *, healthy=False, seconds=1.0, seed=1):
    fs, x = acceleration_window(
        run.fleet,
        asset_index(run, mode),
        mode=None if healthy else mode,
        life=life,
        shaft_hz=SHAFT_HZ,
        seed=seed,
        window_s=seconds,
    )
    return fs, x[0].astype(np.float64)


def kurtosis(x):
    x = x - x.mean()
    return float(np.mean(x**4) / np.mean(x**2) ** 2)


def phase_mask(series, codes):
    return np.isin(series.phase, codes) & series.running & series.emit


# ----------------------------------------------------------------- bearing faults


def test_raw_windows_are_sampled_at_least_at_10_khz(faulty_run):
    fs, x = window(faulty_run, "bearing_outer", 0.3, seconds=0.2)
    assert fs >= 10_000
    assert x.size == round(fs * 0.2)


def test_outer_race_fault_raises_kurtosis_and_bpfo_envelope_peak(faulty_run):
    geo = geometry(faulty_run, "bearing_outer")
    f_o, f_i = bpfo(*geo, SHAFT_HZ), bpfi(*geo, SHAFT_HZ)
    fs, healthy = window(faulty_run, "bearing_outer", 0.3, healthy=True)
    _, faulty = window(faulty_run, "bearing_outer", 0.3)
    f, amp_h = envelope_spectrum(healthy, fs)
    _, amp_f = envelope_spectrum(faulty, fs)
    assert peak_ratio(f, amp_f, f_o) > 8
    assert peak_ratio(f, amp_f, 2 * f_o) > 4  # harmonic of the impulse train
    assert peak_ratio(f, amp_f, f_o) > 2 * peak_ratio(f, amp_f, f_i)
    assert peak_ratio(f, amp_h, f_o) < 4
    assert kurtosis(faulty) > kurtosis(healthy) + 2

    # in the event stream: kurtosis up in the incipient phase while RMS has barely moved
    s = faulty_run.by_mode("bearing_outer")
    kurt, rms = s.signals["vibration_kurtosis"], s.signals["vibration_rms_mm_s"]
    healthy_m, incipient_m = phase_mask(s, [0]), phase_mask(s, [1])
    assert np.median(kurt[incipient_m]) > np.median(kurt[healthy_m]) + 2
    assert np.median(rms[incipient_m]) < 1.3 * np.median(rms[healthy_m])


def test_inner_race_fault_shows_a_bpfi_envelope_peak_not_bpfo(faulty_run):
    geo = geometry(faulty_run, "bearing_inner")
    f_o, f_i = bpfo(*geo, SHAFT_HZ), bpfi(*geo, SHAFT_HZ)
    fs, faulty = window(faulty_run, "bearing_inner", 0.5)
    _, healthy = window(faulty_run, "bearing_inner", 0.5, healthy=True)
    f, amp = envelope_spectrum(faulty, fs)
    assert peak_ratio(f, amp, f_i) > 5
    assert peak_ratio(f, amp, f_i) > 2 * peak_ratio(f, amp, f_o)
    assert peak_ratio(f, amp, SHAFT_HZ, rel=0.04) > 3  # load-zone modulation at 1x
    assert kurtosis(faulty) > kurtosis(healthy) + 1

    s = faulty_run.by_mode("bearing_inner")
    kurt = s.signals["vibration_kurtosis"]
    assert np.median(kurt[phase_mask(s, [1])]) > np.median(kurt[phase_mask(s, [0])]) + 1


def test_rolling_element_and_cage_defects_ring_at_bsf_and_ftf(faulty_run):
    """Not fleet failure modes, but the waveform model knows all four defect frequencies."""
    _, d, pitch, angle = geometry(faulty_run, "bearing_outer")
    c = d / pitch * math.cos(math.radians(angle))
    bsf = pitch / (2 * d) * SHAFT_HZ * (1 - c * c)
    ftf = SHAFT_HZ / 2 * (1 - c)
    idx = asset_index(faulty_run, "bearing_outer")
    fs, ball = acceleration_window(
        faulty_run.fleet, idx, mode="bearing_ball", life=0.5, shaft_hz=SHAFT_HZ, window_s=1.0
    )
    f, amp = envelope_spectrum(ball[0].astype(np.float64), fs)
    assert peak_ratio(f, amp, 2 * bsf) > 10  # a ball spall strikes both races once per spin
    assert peak_ratio(f, amp, ftf, rel=0.05, lo=2.0) > 5  # carried round by the cage
    _, cage = acceleration_window(
        faulty_run.fleet, idx, mode="bearing_cage", life=0.5, shaft_hz=SHAFT_HZ, window_s=1.0
    )
    f, amp = envelope_spectrum(cage[0].astype(np.float64), fs)
    assert peak_ratio(f, amp, ftf, rel=0.05, lo=2.0) > 4


# ----------------------------------------------------------------- shaft faults


def test_imbalance_raises_the_1x_component_and_not_2x(faulty_run):
    fs, healthy = window(faulty_run, "imbalance", 1.0, healthy=True)
    _, faulty = window(faulty_run, "imbalance", 1.0)
    r1 = velocity_amplitude(faulty, fs, SHAFT_HZ) / velocity_amplitude(healthy, fs, SHAFT_HZ)
    r2 = velocity_amplitude(faulty, fs, 2 * SHAFT_HZ) / velocity_amplitude(healthy, fs, 2 * SHAFT_HZ)
    assert r1 > 3
    assert 0.8 < r2 < 1.25
    assert abs(kurtosis(faulty) - kurtosis(healthy)) < 1.5


def test_misalignment_raises_the_2x_component_more_than_1x(faulty_run):
    fs, healthy = window(faulty_run, "misalignment", 1.0, healthy=True)
    _, faulty = window(faulty_run, "misalignment", 1.0)
    r1 = velocity_amplitude(faulty, fs, SHAFT_HZ) / velocity_amplitude(healthy, fs, SHAFT_HZ)
    r2 = velocity_amplitude(faulty, fs, 2 * SHAFT_HZ) / velocity_amplitude(healthy, fs, 2 * SHAFT_HZ)
    assert r2 > 3
    assert r2 > 1.5 * r1


@pytest.mark.parametrize("mode", ["imbalance", "misalignment"])
def test_shaft_faults_do_not_make_the_acceleration_impulsive(faulty_run, mode):
    s = faulty_run.by_mode(mode)
    kurt = s.signals["vibration_kurtosis"]
    assert np.median(kurt[phase_mask(s, [2])]) < np.median(kurt[phase_mask(s, [0])]) + 0.3


# ----------------------------------------------------------------- event band values


def band_ratios(faulty_run, twin_run, mode, phases=(2,)):
    """Median of each band value over the given phases, faulty asset / its healthy twin."""
    s = faulty_run.by_mode(mode)
    twin = twin_run.series[s.asset.index]
    m = phase_mask(s, list(phases))
    assert m.sum() > 100
    return {b: float(np.median(s.signals[b][m]) / np.median(twin.signals[b][m])) for b in BANDS}


def test_outer_race_fault_raises_the_bpfo_envelope_value_not_bpfi(faulty_run, twin_run):
    r = band_ratios(faulty_run, twin_run, "bearing_outer", phases=(1,))
    assert r["envelope_bpfo_g"] > 10  # incipient: the envelope line, long before RMS moves
    assert r["envelope_bpfo_g"] > 5 * r["envelope_bpfi_g"]
    assert r["vibration_1x_mm_s"] < 1.3


def test_inner_race_fault_raises_the_bpfi_envelope_value_not_bpfo(faulty_run, twin_run):
    r = band_ratios(faulty_run, twin_run, "bearing_inner", phases=(1,))
    assert r["envelope_bpfi_g"] > 10
    assert r["envelope_bpfi_g"] > 5 * r["envelope_bpfo_g"]


def test_imbalance_raises_the_1x_value_and_leaves_2x_and_the_envelope(faulty_run, twin_run):
    r = band_ratios(faulty_run, twin_run, "imbalance")
    assert r["vibration_1x_mm_s"] > 1.8
    assert 0.8 < r["vibration_2x_mm_s"] < 1.25
    assert 0.7 < r["envelope_bpfo_g"] < 1.4 and 0.7 < r["envelope_bpfi_g"] < 1.4


def test_misalignment_raises_the_2x_value_more_than_1x(faulty_run, twin_run):
    r = band_ratios(faulty_run, twin_run, "misalignment")
    assert r["vibration_2x_mm_s"] > 2.5
    assert r["vibration_2x_mm_s"] > 1.5 * r["vibration_1x_mm_s"] > 1.5 * 0.9
    assert 0.7 < r["envelope_bpfo_g"] < 1.4 and 0.7 < r["envelope_bpfi_g"] < 1.4


def test_band_values_of_a_known_window_match_an_independent_analysis(faulty_run):
    """band_features against the test's own FFT (orders) and Hilbert envelope (defect lines)."""
    fs, x = window(faulty_run, "bearing_outer", 0.5, seconds=0.2)
    n, d, pitch, angle = geometry(faulty_run, "bearing_outer")
    fo, fi = bpfo(n, d, pitch, angle, SHAFT_HZ), bpfi(n, d, pitch, angle, SHAFT_HZ)
    v1, v2, eo, ei = (float(v[0]) for v in band_features(x[None, :], fs, [SHAFT_HZ], [fo], [fi]))
    # a line's velocity RMS is its peak / sqrt 2 (plus the broadband floor within +-2 bins)
    assert v1 == pytest.approx(velocity_amplitude(x, fs, SHAFT_HZ) / math.sqrt(2), rel=0.25)
    assert v2 == pytest.approx(velocity_amplitude(x, fs, 2 * SHAFT_HZ) / math.sqrt(2), rel=0.25)
    f, amp = envelope_spectrum(x, fs, band=(0.1 * fs, 0.45 * fs))
    near = np.abs(f - fo) <= max(fs / x.size, 0.03 * fo)
    assert eo == pytest.approx(2 * amp[near].max(), rel=0.3)  # one-sided amplitude, Hann vs rectangular
    assert eo > 5 * ei


# ----------------------------------------------------------------- progression


@pytest.mark.parametrize("mode", ["bearing_outer", "bearing_inner", "imbalance", "misalignment"])
def test_vibration_faults_reach_iso_zone_d_at_failure(faulty_run, mode):
    s = faulty_run.by_mode(mode)
    a = s.asset
    cd = ISO_10816_3[(a.iso_group, a.foundation)][2]
    rms = s.signals["vibration_rms_mm_s"]
    failed = phase_mask(s, [3])
    assert failed.any()
    assert np.median(rms[failed]) >= cd
    healthy = phase_mask(s, [0])
    assert np.max(rms[healthy]) < ISO_10816_3[(a.iso_group, a.foundation)][1]


@pytest.mark.parametrize("mode", ["bearing_outer", "bearing_inner", "imbalance", "misalignment"])
def test_degradation_is_monotone_toward_failure(faulty_run, mode):
    s = faulty_run.by_mode(mode)
    t = faulty_run_time(faulty_run)
    days, med = daily_medians(t, s.signals["vibration_rms_mm_s"], phase_mask(s, [2]))
    assert len(days) >= 6
    rho = spearmanr(days, med).statistic
    assert rho > 0.9
    # accelerating: the last degrading day grew more than the first
    assert med[-1] - med[-2] > med[1] - med[0]


def faulty_run_time(run):
    return np.arange(run.fleet.n_steps) * float(run.fleet.interval_s)


# ----------------------------------------------------------------- non-vibration faults


def test_overheating_raises_temperature_along_a_trend_without_vibration_change(faulty_run, twin_run):
    s = faulty_run.by_mode("overheating")
    twin = twin_run.series[s.asset.index]
    for name in (*VIBRATION, *ELECTRICAL, "rpm", "frequency_hz"):
        np.testing.assert_array_equal(s.signals[name], twin.signals[name], err_msg=name)
    excess = s.signals["temperature_c"] - twin.signals["temperature_c"]
    life = phase_mask(s, [1, 2, 3])
    days, med = daily_medians(faulty_run_time(faulty_run), excess, life)
    assert spearmanr(days, med).statistic > 0.9
    assert np.all(np.abs(excess[phase_mask(s, [0])]) < 1e-9)
    assert np.median(excess[phase_mask(s, [3])]) > 25
    assert np.max(s.signals["temperature_c"][phase_mask(s, [3])]) > 90


def test_electrical_fault_changes_current_pf_and_voltage_without_vibration_change(faulty_run, twin_run):
    s = faulty_run.by_mode("electrical")
    twin = twin_run.series[s.asset.index]
    for name in (*VIBRATION, "frequency_hz", "ambient_temperature_c"):
        np.testing.assert_array_equal(s.signals[name], twin.signals[name], err_msg=name)
    late = phase_mask(s, [2, 3]) & (faulty_run_time(faulty_run) > s.timing.failure_s - 2 * 86_400)
    sig, ref = s.signals, twin.signals
    assert np.median(sig["current_a"][late] / ref["current_a"][late]) > 1.12
    assert np.median(ref["power_factor"][late] - sig["power_factor"][late]) > 0.06
    assert np.median(sig["voltage_v"][late] / ref["voltage_v"][late]) < 0.95
    early = phase_mask(s, [0])
    for name in ELECTRICAL:
        np.testing.assert_array_equal(sig[name][early], ref[name][early], err_msg=name)


@pytest.mark.parametrize("mode", FAULT_PLAN[:4])
def test_vibration_faults_touch_the_supply_side_only_through_their_extra_shaft_load(
    faulty_run, twin_run, mode
):
    """Friction and vibration losses load the shaft: current and speed follow that load and the
    frame warms by their heat, from onset on; the supply (voltage, frequency) and ambient never change."""
    s = faulty_run.by_mode(mode)
    twin = twin_run.series[s.asset.index]
    for name in ("voltage_v", "frequency_hz", "ambient_temperature_c"):
        np.testing.assert_array_equal(s.signals[name], twin.signals[name], err_msg=name)
    early = phase_mask(s, [0])
    for name in (*ELECTRICAL, "temperature_c", "rpm"):
        np.testing.assert_array_equal(s.signals[name][early], twin.signals[name][early], err_msg=name)
    late = phase_mask(s, [2, 3]) & (faulty_run_time(faulty_run) > s.timing.failure_s - 86_400)
    sig, ref = s.signals, twin.signals
    assert np.all(sig["current_a"][late] > ref["current_a"][late])  # more torque, more current
    assert np.all(sig["rpm"][late] < ref["rpm"][late])  # and more slip
    assert np.median(sig["temperature_c"][late] - ref["temperature_c"][late]) > 0.3


def test_the_healthy_asset_of_the_fault_fleet_equals_its_twin(faulty_run, twin_run):
    healthy = faulty_run.series[len(FAULT_PLAN)]
    assert healthy.timing is None
    for name, values in healthy.signals.items():
        np.testing.assert_array_equal(
            values, twin_run.series[healthy.asset.index].signals[name], err_msg=name
        )
