"""Feature engineering: past-only, canonical, and equal to brute-force definitions.

The reference implementations below are deliberately naive Python loops over the
definitions in docs/CONTRACTS.md §6 / analytics.features.FEATURE_SPECS; they share no code
with analytics.features.
"""

from __future__ import annotations

import math
import os
import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import theilslopes

from analytics.features import (
    ABS_FLOORS,
    FEATURE_COLUMNS,
    FEATURE_SPECS,
    FLAG_COLUMNS,
    ROLLING_SIGNALS,
    SPECTRAL_SIGNALS,
    AssetContext,
    FeatureParams,
    compute_features,
    required_history,
    theil_sen_slope,
)

CTX = AssetContext(rated_voltage_v=400.0, rated_power_kw=37.0, rated_current_a=60.0, rated_rpm=1480.0)
T0 = pd.Timestamp("2024-05-01T00:00:00Z")
# PDM_HYPOTHESIS_EXAMPLES=500 runs a longer, randomised search (default: 35, fixed seed)
_EXTRA = os.environ.get("PDM_HYPOTHESIS_EXAMPLES")
SETTINGS = settings(
    max_examples=int(_EXTRA) if _EXTRA else 35,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not _EXTRA,
    database=None,
)


# ---------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------


def make_events(offsets_s, seed=0, kurtosis_nan=0.0, ambient_nan=1.0, start=T0) -> pd.DataFrame:
    """Irregular events at ``start + offsets_s`` with noisy plausible readings."""
    rng = np.random.default_rng(seed)
    n = len(offsets_s)
    idx = pd.DatetimeIndex(start + pd.to_timedelta(np.asarray(offsets_s, dtype=float), unit="s"))
    load = np.clip(0.6 + 0.3 * np.sin(np.asarray(offsets_s) / 20000.0) + rng.normal(0, 0.05, n), 0.05, 1.1)
    power = 37.0 * load
    df = pd.DataFrame(
        {
            "voltage_v": 400 + rng.normal(0, 8, n),
            "current_a": power * 1.7 + rng.normal(0, 0.5, n),
            "power_factor": np.clip(0.86 + rng.normal(0, 0.03, n), 0.5, 1.0),
            "frequency_hz": 50 + rng.normal(0, 0.05, n),
            "temperature_c": 60 + 10 * load + rng.normal(0, 1.0, n),
            "vibration_rms_mm_s": 2 + 0.5 * load + rng.normal(0, 0.3, n),
            "vibration_kurtosis": 3 + rng.normal(0, 0.4, n),
            "power_kw": power,
            "ambient_temperature_c": 25 + rng.normal(0, 1, n),
            "rpm": 1480 + rng.normal(0, 2, n),
            "vibration_1x_mm_s": 1.2 + 0.3 * load + rng.normal(0, 0.1, n),
            "vibration_2x_mm_s": 0.5 + rng.normal(0, 0.05, n),
            "envelope_bpfo_g": np.abs(0.001 + rng.normal(0, 0.0003, n)),
            "envelope_bpfi_g": np.abs(0.001 + rng.normal(0, 0.0003, n)),
        },
        index=idx,
    )
    # band values come from a slower spectral sensor channel: absent on part of the events
    df.loc[rng.random(n) < 0.3, ["vibration_1x_mm_s", "envelope_bpfi_g"]] = np.nan
    # stops: no current (the load above dips below 10 % of the rated 60 A now and then too);
    # a speed reading of 0 with current flowing; rpm absent on part of the events
    stopped = rng.random(n) < 0.1
    df.loc[stopped, ["current_a", "power_kw", "rpm"]] = 0.0
    df.loc[rng.random(n) < 0.05, "rpm"] = 0.0
    df.loc[rng.random(n) < 0.3, "rpm"] = np.nan
    # occasional gross outliers so that spike flags fire
    for col, jump in (("vibration_rms_mm_s", 5.0), ("current_a", 30.0), ("voltage_v", 80.0)):
        hit = rng.random(n) < 0.05
        df.loc[hit, col] = df.loc[hit, col] + jump
    df.loc[rng.random(n) < kurtosis_nan, "vibration_kurtosis"] = np.nan
    df.loc[rng.random(n) < ambient_nan, "ambient_temperature_c"] = np.nan
    # a few exact repeats (flat stretches) to exercise zero variance
    if n > 6:
        df.iloc[3:6, df.columns.get_loc("voltage_v")] = 401.0
    return df


@st.composite
def irregular_offsets(draw, min_size=2, max_size=70):
    """Strictly increasing offsets in seconds (ms resolution): bursts, minutes, hours, gaps."""
    n = draw(st.integers(min_size, max_size))
    kinds = draw(st.lists(st.sampled_from("sssssssmmmlhg"), min_size=n, max_size=n))
    fracs = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    bounds = {"s": (1, 120), "m": (120, 1800), "l": (1800, 5400), "h": (5400, 30000), "g": (30000, 200000)}
    steps_ms = [
        int((bounds[k][0] + f * (bounds[k][1] - bounds[k][0])) * 1000)
        for k, f in zip(kinds, fracs, strict=True)
    ]
    start_ms = draw(st.integers(0, 7_200_000))
    return ((start_ms + np.cumsum(steps_ms) - steps_ms[0]) / 1000.0).tolist()


# ---------------------------------------------------------------------------------------
# brute-force references
# ---------------------------------------------------------------------------------------


NS = 1_000_000_000
H_NS = 3600 * NS


def _ns(index: pd.DatetimeIndex) -> list[int]:
    """Exact integer nanoseconds (float seconds would misplace events at window edges)."""
    return [int(ts.value) for ts in index.as_unit("ns")]


def ref_window_stats(times, values, t, w):
    vals = [v for tt, v in zip(times, values, strict=True) if t - w < tt <= t and not math.isnan(v)]
    mean = statistics.fmean(vals) if vals else math.nan
    std = statistics.stdev(vals) if len(vals) >= 2 else math.nan
    return mean, std


def ref_spike(times, values, i, sig, k=4.0):
    t, x = times[i], values[i]
    prev = [v for tt, v in zip(times, values, strict=True) if t - H_NS < tt < t and not math.isnan(v)]
    if math.isnan(x) or len(prev) < 10:
        return 0.0
    m = statistics.fmean(prev)
    sd = statistics.stdev(prev)
    floor = max(1e-9, 0.01 * abs(m), ABS_FLOORS[sig])
    return 1.0 if abs(x - m) > k * max(sd, floor) else 0.0


def ref_energy(times, power):
    n = len(times)
    interval, energy, gap = [math.nan] * n, [0.0] * n, [0.0] * n
    for i in range(1, n):
        dt = (times[i] - times[i - 1]) / NS
        interval[i] = dt
        ivs = [(times[k] - times[k - 1]) / NS for k in range(1, i + 1) if times[k - 1] > times[i] - 24 * H_NS]
        max_gap = max(3 * statistics.median(ivs), 900.0) if ivs else 900.0
        if dt > max_gap:
            gap[i] = dt
        else:
            energy[i] = (power[i - 1] + power[i]) / 2 * dt / 3600
    e24 = []
    for i in range(n):
        vals = [e for tt, e in zip(times, energy, strict=True) if times[i] - 24 * H_NS < tt <= times[i]]
        vals = [v for v in vals if not math.isnan(v)]
        e24.append(math.fsum(vals) if vals else math.nan)
    return interval, energy, gap, e24


def ref_slope(times, values, i):
    """Theil-Sen of hourly medians over the completed hours inside (t-72h, t]."""
    t = times[i]
    buckets: dict[int, list[float]] = {}
    for tt, v in zip(times, values, strict=True):
        h = tt // H_NS  # UTC clock hour [h, h+1)
        if h * H_NS > t - 72 * H_NS and (h + 1) * H_NS <= t and not math.isnan(v):
            buckets.setdefault(h, []).append(v)
    if len(buckets) < 12:
        return math.nan
    hs = sorted(buckets)
    y = [statistics.median(buckets[h]) for h in hs]
    x = [h / 24.0 for h in hs]
    return float(theilslopes(y, x).slope)


def ref_running(current, rpm, rated_a=60.0, rated_rpm=1480.0):
    """§6.7: running when current >= 10 % of rated and a present rpm >= 10 % of rated."""
    return [
        1.0 if c >= 0.1 * rated_a and (math.isnan(r) or r >= 0.1 * rated_rpm) else 0.0
        for c, r in zip(current, rpm, strict=True)
    ]


def ref_running_1h(times, running):
    return [
        1.0 if all(r == 1.0 for tt, r in zip(times, running, strict=True) if t - H_NS < tt <= t) else 0.0
        for t in times
    ]


def assert_close(actual, expected, what, rtol=1e-9, atol=1e-9):
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    assert np.array_equal(np.isnan(a), np.isnan(e)), f"{what}: NaN pattern differs\n{a}\n{e}"
    ok = ~np.isnan(e)
    np.testing.assert_allclose(a[ok], e[ok], rtol=rtol, atol=atol, err_msg=what)


# ---------------------------------------------------------------------------------------
# property tests
# ---------------------------------------------------------------------------------------


@SETTINGS
@given(offs=irregular_offsets(), seed=st.integers(0, 10_000), knan=st.sampled_from([0.0, 0.3, 1.0]))
def test_features_equal_brute_force_reference(offs, seed, knan):
    ev = make_events(offs, seed=seed, kurtosis_nan=knan, ambient_nan=0.5)
    feats = compute_features(ev, context=CTX, baseline={"temperature_c": {"mean": 70.0}})
    assert list(feats.columns) == list(FEATURE_COLUMNS)
    assert feats.index.equals(ev.index)
    times = _ns(ev.index)
    for sig in ROLLING_SIGNALS:
        values = ev[sig].tolist()
        for wname, w in (("15m", 900 * NS), ("1h", H_NS), ("24h", 24 * H_NS)):
            ref = [ref_window_stats(times, values, t, w) for t in times]
            assert_close(feats[f"{sig}__mean_{wname}"], [r[0] for r in ref], f"{sig} mean {wname}")
            # sums of squares about the block's first value: near-zero stds carry an error of
            # about sqrt(eps) * (value spread) ~ 1.5e-8 * spread
            spread = float(np.nanmax(values) - np.nanmin(values)) if np.isfinite(values).any() else 0.0
            assert_close(
                feats[f"{sig}__std_{wname}"],
                [r[1] for r in ref],
                f"{sig} std {wname}",
                atol=1e-7 * spread + 1e-12,
            )
        spikes = [ref_spike(times, values, i, sig) for i in range(len(times))]
        assert_close(feats[f"{sig}__spike"], spikes, f"{sig} spike")
    for sig in SPECTRAL_SIGNALS:
        ref = [ref_window_stats(times, ev[sig].tolist(), t, 900 * NS) for t in times]
        assert_close(feats[f"{sig}__mean_15m"], [r[0] for r in ref], f"{sig} mean 15m")

    interval, energy, gap, e24 = ref_energy(times, ev["power_kw"].tolist())
    assert_close(feats["interval_s"], interval, "interval_s")
    assert_close(feats["energy_kwh"], energy, "energy_kwh")
    assert_close(feats["energy_gap_s"], gap, "energy_gap_s")
    assert_close(feats["energy_kwh_24h"], e24, "energy_kwh_24h")

    for col, sig in (
        ("vibration_rms_slope_mm_s_per_day", "vibration_rms_mm_s"),
        ("vibration_kurtosis_slope_per_day", "vibration_kurtosis"),
    ):
        ref = [ref_slope(times, ev[sig].tolist(), i) for i in range(len(times))]
        assert_close(feats[col], ref, col, rtol=1e-7, atol=1e-9)

    v, f, pf = ev["voltage_v"], ev["frequency_hz"], ev["power_factor"]
    dev = [(x - 400.0) / 400.0 * 100 for x in v]
    assert_close(feats["voltage_deviation_pct"], dev, "voltage_deviation_pct")
    assert_close(feats["voltage_out_of_band"], [1.0 if abs(d) > 6 else 0.0 for d in dev], "v band")
    assert_close(feats["frequency_deviation_hz"], [x - 50.0 for x in f], "frequency_deviation_hz")
    assert_close(feats["frequency_out_of_band"], [1.0 if x < 49.9 or x > 50.05 else 0.0 for x in f], "f band")
    assert_close(feats["low_pf"], [1.0 if x < 0.9 else 0.0 for x in pf], "low_pf")
    assert_close(feats["power_factor"], pf, "power_factor")
    assert_close(feats["load_factor"], [p / 37.0 for p in ev["power_kw"]], "load_factor")
    rise = [
        tc - amb if not math.isnan(amb) else tc - 70.0
        for tc, amb in zip(ev["temperature_c"], ev["ambient_temperature_c"], strict=True)
    ]
    assert_close(feats["temperature_rise_c"], rise, "temperature_rise_c")
    running = ref_running(ev["current_a"], ev["rpm"])
    assert_close(feats["running"], running, "running")
    assert_close(feats["running_1h"], ref_running_1h(times, running), "running_1h")


def _perturb_after(ev: pd.DataFrame, cut: pd.Timestamp, seed: int, extra: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = ev.copy()
    later = out.index > cut
    for col in out.columns:
        out.loc[later, col] = out.loc[later, col].to_numpy() * rng.uniform(0.5, 1.5, later.sum())
    if extra:
        start = out.index[-1]
        more = make_events(np.cumsum(rng.uniform(1, 20000, extra)).tolist(), seed=seed + 1, start=start)
        out = pd.concat([out, more])
    return out


@SETTINGS
@given(
    offs=irregular_offsets(min_size=3),
    seed=st.integers(0, 10_000),
    cut=st.floats(0, 1),
    extra=st.integers(0, 20),
)
def test_no_leakage_from_later_rows(offs, seed, cut, extra):
    ev = make_events(offs, seed=seed, kurtosis_nan=0.2, ambient_nan=0.5)
    cut_ts = ev.index[int(cut * (len(ev) - 1))]
    base = compute_features(ev, context=CTX)
    changed = compute_features(_perturb_after(ev, cut_ts, seed, extra), context=CTX)
    pd.testing.assert_frame_equal(base.loc[:cut_ts], changed.loc[:cut_ts], check_exact=True)


@SETTINGS
@given(
    offs=irregular_offsets(min_size=4, max_size=90),
    seed=st.integers(0, 10_000),
    cuts=st.lists(st.floats(0, 1), min_size=1, max_size=4),
)
def test_incremental_equals_full_bit_for_bit(offs, seed, cuts):
    ev = make_events(offs, seed=seed, kurtosis_nan=0.2, ambient_nan=0.5)
    full = compute_features(ev, context=CTX)
    hist = pd.Timedelta(required_history())
    bounds = sorted({ev.index[int(c * (len(ev) - 1))] for c in cuts} | {ev.index[0]})
    parts = []
    for k, start in enumerate(bounds):
        end = bounds[k + 1] if k + 1 < len(bounds) else ev.index[-1] + pd.Timedelta(seconds=1)
        hs = start - hist
        before = ev.index < hs
        rows = ev[(ev.index >= hs) & (ev.index < end)]
        if before.any():  # the service passes the predecessor of the history too
            rows = pd.concat([ev[before].iloc[[-1]], rows])
            part = compute_features(rows, context=CTX, history_start=hs, emit_from=start)
        else:
            part = compute_features(rows, context=CTX, emit_from=start)
        parts.append(part)
    pd.testing.assert_frame_equal(pd.concat(parts), full, check_exact=True)


def test_recomputation_is_bit_identical_and_input_order_free():
    ev = make_events(np.cumsum(np.random.default_rng(3).uniform(1, 400, 3000)).tolist(), seed=3)
    a = compute_features(ev, context=CTX)
    b = compute_features(ev.sample(frac=1.0, random_state=1), context=CTX)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


# ---------------------------------------------------------------------------------------
# example-based tests
# ---------------------------------------------------------------------------------------


def regular(n, step_s=10.0, **cols):
    idx = pd.date_range(T0, periods=n, freq=pd.Timedelta(seconds=step_s))
    base = {
        "voltage_v": 400.0,
        "current_a": 50.0,
        "power_factor": 0.88,
        "frequency_hz": 50.0,
        "temperature_c": 60.0,
        "vibration_rms_mm_s": 2.0,
        "vibration_kurtosis": 3.0,
        "power_kw": 30.0,
    }
    base.update(cols)
    return pd.DataFrame(
        {k: np.broadcast_to(np.asarray(v, dtype=float), n).copy() for k, v in base.items()}, index=idx
    )


def test_spike_fires_on_injected_spike_only():
    rng = np.random.default_rng(0)
    n = 2000
    noisy = regular(n, vibration_rms_mm_s=2.0 + rng.normal(0, 0.05, n), current_a=50 + rng.normal(0, 0.2, n))
    feats = compute_features(noisy, context=CTX)
    assert feats[[f"{s}__spike" for s in ROLLING_SIGNALS]].to_numpy().sum() == 0  # flat and noisy: none
    spiky = noisy.copy()
    spiky.iloc[1500, spiky.columns.get_loc("vibration_rms_mm_s")] = 4.0
    f2 = compute_features(spiky, context=CTX)
    flags = f2["vibration_rms_mm_s__spike"]
    assert flags.iloc[1500] == 1.0
    assert flags.drop(flags.index[1500]).sum() == 0
    # fewer than 10 previous values: no flag even for a huge jump
    short = regular(8)
    short.iloc[-1, short.columns.get_loc("vibration_rms_mm_s")] = 50.0
    assert compute_features(short, context=CTX)["vibration_rms_mm_s__spike"].sum() == 0


def test_flat_signal_steps_below_floor_do_not_flag():
    v = np.full(1000, 400.0)
    v[600:] = 403.0  # 3 V step on a perfectly flat signal: floor 0.01*400 = 4 V -> k*floor = 16 V
    feats = compute_features(regular(1000, voltage_v=v), context=CTX)
    assert feats["voltage_v__spike"].sum() == 0


@pytest.mark.parametrize("step_s", [1.0, 10.0, 60.0, 600.0])
def test_energy_of_constant_power(step_s):
    hours = 5.0
    n = int(hours * 3600 / step_s) + 1
    feats = compute_features(regular(n, step_s=step_s, power_kw=42.0), context=CTX)
    assert feats["energy_kwh"].iloc[0] == 0.0
    assert feats["energy_kwh"].sum() == pytest.approx(42.0 * hours, rel=1e-12)
    assert feats["energy_kwh_24h"].iloc[-1] == pytest.approx(42.0 * hours, rel=1e-12)
    assert feats["energy_gap_s"].sum() == 0.0
    assert np.isnan(feats["interval_s"].iloc[0])
    assert feats["interval_s"].iloc[1:].eq(step_s).all()


def test_energy_gap_is_excluded_and_reported():
    ev = regular(361, step_s=10.0, power_kw=20.0)  # 1 h
    later = regular(361, step_s=10.0, power_kw=20.0)
    later.index = later.index + pd.Timedelta(hours=3)  # 2 h gap after the first hour
    feats = compute_features(pd.concat([ev, later]), context=CTX)
    assert feats["energy_kwh"].sum() == pytest.approx(20.0 * 2.0, rel=1e-12)
    gaps = feats["energy_gap_s"][feats["energy_gap_s"] > 0]
    assert len(gaps) == 1
    assert gaps.iloc[0] == pytest.approx(2 * 3600.0)
    # 24 h sum at the end: both hours
    assert feats["energy_kwh_24h"].iloc[-1] == pytest.approx(40.0, rel=1e-12)


def test_slow_reporting_asset_is_not_all_gaps():
    # one event every 30 min: median interval 1800 s -> max_gap 5400 s
    ev = regular(100, step_s=1800.0, power_kw=10.0)
    feats = compute_features(ev, context=CTX)
    # the 2nd interval is the first with a median available (its own interval)
    assert feats["energy_gap_s"].sum() == 0.0
    assert feats["energy_kwh"].sum() == pytest.approx(10.0 * 99 * 0.5)


def test_theil_sen_recovers_slope_with_outliers():
    rng = np.random.default_rng(1)
    hours = np.arange(200)
    y = 2.0 + 0.25 * hours / 24.0 + rng.normal(0, 0.002, hours.size)
    y[rng.choice(hours.size, 20, replace=False)] += rng.choice([-5.0, 5.0], 20)
    slope = theil_sen_slope(y[None, :71], hours[:71] / 24.0)[0]
    assert slope == pytest.approx(0.25, abs=0.01)
    # through compute_features: one event per 5 min, hourly medians remove the outliers
    n = 100 * 12
    t = np.arange(n) * 300.0
    vib = 2.0 + 0.5 * (t / 86400.0) + rng.normal(0, 0.01, n)
    vib[rng.choice(n, 60, replace=False)] = 40.0
    ev = regular(n, step_s=300.0, vibration_rms_mm_s=vib)
    feats = compute_features(ev, context=CTX)
    s = feats["vibration_rms_slope_mm_s_per_day"]
    assert s.iloc[: 12 * 12].isna().all()  # fewer than 12 completed hours
    assert s.iloc[-1] == pytest.approx(0.5, abs=0.02)
    # constant within an hour (only completed hours are used)
    hours_of = feats.index.floor("h")
    assert feats.groupby(hours_of)["vibration_rms_slope_mm_s_per_day"].nunique(dropna=False).max() == 1


def test_rolling_windows_are_left_open():
    ev = regular(4, step_s=900.0, power_kw=[1.0, 2.0, 3.0, 4.0])
    feats = compute_features(ev, context=CTX)
    # (t-15m, t] excludes the event exactly 15 min earlier
    assert feats["power_kw__mean_15m"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert feats["power_kw__std_15m"].isna().all()
    assert feats["power_kw__mean_1h"].tolist() == [1.0, 1.5, 2.0, 2.5]


def test_missing_optional_signal_and_temperature_rise_basis():
    ev = regular(50).drop(columns=["vibration_kurtosis"])
    feats = compute_features(ev, context=CTX)
    assert feats["vibration_kurtosis__mean_1h"].isna().all()
    assert feats["vibration_kurtosis__spike"].eq(0).all()
    for sig in SPECTRAL_SIGNALS:  # a sensor without spectral bands: null band means
        assert feats[f"{sig}__mean_15m"].isna().all()
    assert feats["temperature_rise_c"].isna().all()  # no ambient, no baseline
    with_base = compute_features(ev, context=AssetContext(400.0, 37.0, baseline_temperature_c=55.0))
    assert with_base["temperature_rise_c"].eq(5.0).all()


def test_emit_from_and_overrides():
    ev = regular(100, voltage_v=430.0, power_factor=0.85)
    feats = compute_features(ev, context=CTX, emit_from=ev.index[40])
    assert feats.index[0] == ev.index[40] and len(feats) == 60
    assert feats["voltage_out_of_band"].eq(1).all()  # 7.5 % > 6 %
    ctx = AssetContext(400.0, 37.0, voltage_band_pct=8.0, power_factor_limit=0.8)
    f2 = compute_features(ev, context=ctx)
    assert f2["voltage_out_of_band"].eq(0).all() and f2["low_pf"].eq(0).all()


def test_operating_state_from_current_and_speed():
    """§6.7: stopped = no current (or a speed reading of 0); steady = running for the whole hour."""
    n = 3 * 360  # 3 h at 10 s
    cur = np.full(n, 50.0)
    cur[360:420] = 0.0  # a 10-minute stop in the second hour
    rpm = np.full(n, 1480.0)
    rpm[900:906] = 0.0  # the speed sensor says stopped for one minute while current flows
    feats = compute_features(regular(n, current_a=cur, rpm=rpm), context=CTX)
    running = feats["running"].to_numpy()
    assert running[360:420].sum() == 0 and running[900:906].sum() == 0
    assert running.sum() == n - 60 - 6
    steady = feats["running_1h"].to_numpy()
    # steady again once (t - 1h, t] holds no stopped event: 1 h (360 events) after the last
    # stopped one, 419 and 905 (an event exactly 1 h earlier is outside the window)
    assert steady[:360].all() and not steady[360 : 419 + 360].any() and steady[419 + 360 : 900].all()
    assert not steady[900 : 905 + 360].any() and steady[905 + 360 :].all()
    # without rpm the current alone decides; without a rated current the state is unknown
    no_rpm = compute_features(regular(n, current_a=cur), context=CTX)
    assert no_rpm["running"].sum() == n - 60
    unknown = compute_features(regular(n, current_a=cur), context=AssetContext(400.0, 37.0))
    assert unknown["running"].isna().all() and unknown["running_1h"].isna().all()
    with pytest.raises(ValueError, match="rated_current_a must be > 0"):
        AssetContext(400.0, 37.0, rated_current_a=0.0)


def test_input_validation():
    ev = regular(10)
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_features(ev.tz_localize(None), context=CTX)
    with pytest.raises(ValueError, match="duplicate"):
        compute_features(pd.concat([ev, ev.iloc[[3]]]), context=CTX)
    with pytest.raises(ValueError, match="power_kw"):
        compute_features(ev.drop(columns=["power_kw"]), context=CTX)
    empty = compute_features(ev.iloc[:0], context=CTX)
    assert empty.empty and list(empty.columns) == list(FEATURE_COLUMNS)


def test_feature_specs_cover_every_column():
    assert set(FEATURE_SPECS) == set(FEATURE_COLUMNS)
    assert len(FEATURE_COLUMNS) == 48 + 8 + 14 + 2 + 4  # + running, running_1h (§6.7), spectral 15-min means
    for name, spec in FEATURE_SPECS.items():
        d = spec.to_dict()
        assert d["name"] == name and d["formula"] and d["sources"] and d["window"] and d["unit"]
    assert set(FLAG_COLUMNS) == {f"{s}__spike" for s in ROLLING_SIGNALS} | {
        "voltage_out_of_band",
        "frequency_out_of_band",
        "low_pf",
        "running",
        "running_1h",
    }
    assert pd.Timedelta(required_history(FeatureParams())) == pd.Timedelta(hours=73)
