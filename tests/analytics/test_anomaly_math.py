"""Anomaly model: calibration, determinism, persistence, and behaviour on synthetic data.

The synthetic plant is built here with numpy (independent of the generator package): a
three-shift load cycle drives power, current, power factor and a lagged temperature;
vibration and kurtosis are noisy around healthy levels.
"""

from __future__ import annotations

import io
from functools import cache

import joblib
import numpy as np
import pandas as pd
import pytest

from analytics.anomaly import (
    AnomalyModel,
    AnomalyParams,
    calibrate,
    false_anomaly_rate,
    fit_anomaly_model,
)
from analytics.baseline import BaselineError
from analytics.features import AssetContext, compute_features

CTX = AssetContext(rated_voltage_v=400.0, rated_power_kw=37.0)
STEP_S = 60.0
TRAIN_DAYS = 10
DAYS = 14
FAULT_DAY = 12


def plant_events(days: float, seed: int, fault_from: pd.Timestamp | None = None, kind: str = "bearing"):
    rng = np.random.default_rng(seed)
    n = int(days * 86400 / STEP_S)
    t = np.arange(n) * STEP_S
    idx = pd.Timestamp("2024-03-04", tz="UTC") + pd.to_timedelta(t, unit="s")
    hour = (t / 3600.0) % 24
    level = np.select([(hour >= 6) & (hour < 14), (hour >= 14) & (hour < 22)], [0.85, 0.65], 0.35)
    load = pd.Series(level).ewm(halflife=10 * 60 / STEP_S).mean().to_numpy()
    load = np.clip(load + rng.normal(0, 0.015, n), 0.05, 1.1)
    p_kw = 37.0 * load
    volt = 400 + 1.5 * np.sin(2 * np.pi * t / 86400) + rng.normal(0, 1.0, n)
    pf = 0.72 + 0.16 * np.sqrt(load) + rng.normal(0, 0.004, n)
    amb = 24 + 3 * np.sin(2 * np.pi * (hour - 9) / 24)
    heat = pd.Series(35 * load**2).ewm(alpha=STEP_S / 2400).mean().to_numpy()
    temp = amb + 10 + heat + rng.normal(0, 0.3, n)
    rms = 1.8 + 0.3 * load + rng.normal(0, 0.08, n)
    kurt = 3.0 + rng.normal(0, 0.15, n)
    if fault_from is not None:
        on = idx >= fault_from
        if kind == "bearing":  # RMS x3, kurtosis up
            rms[on] *= 3.0
            kurt[on] += 2.5
        elif kind == "overheat":  # hotter at the same load, vibration unchanged
            temp[on] += 12.0
    cur = p_kw * 1000 / (np.sqrt(3) * volt * pf)
    return pd.DataFrame(
        {
            "voltage_v": volt,
            "current_a": cur,
            "power_factor": pf,
            "frequency_hz": 50 + rng.normal(0, 0.01, n),
            "temperature_c": temp,
            "vibration_rms_mm_s": rms,
            "vibration_kurtosis": kurt,
            "power_kw": p_kw,
        },
        index=idx,
    )


@cache
def dataset(seed: int = 11):
    ev = plant_events(DAYS, seed)
    feats = compute_features(ev, context=CTX)
    split = feats.index[0] + pd.Timedelta(days=TRAIN_DAYS)
    return ev, feats[feats.index < split], feats[feats.index >= split]


@cache
def model(seed: int = 11, random_state: int = 3) -> AnomalyModel:
    _, train, _ = dataset(seed)
    return fit_anomaly_model(train, random_state=random_state)


@cache
def faulty_features(kind: str, seed: int = 11) -> pd.DataFrame:
    ev, _, _ = dataset(seed)
    start = ev.index[0] + pd.Timedelta(days=FAULT_DAY)
    feats = compute_features(plant_events(DAYS, seed, fault_from=start, kind=kind), context=CTX)
    return feats[feats.index >= start + pd.Timedelta(hours=1)]


def test_calibration_maps_training_quantiles():
    m = model()
    _, train, _ = dataset()
    raw = m.raw_scores(train)
    q50, q99 = np.quantile(raw, [0.5, 0.999])  # 0.5 is the healthy 99.9th percentile (contract §8.2)
    assert (m.q50, m.q99) == (q50, q99)
    assert calibrate(np.array([q50, q99]), m.q50, m.q99).tolist() == [0.0, 0.5]
    assert calibrate(np.array([q50 + 9 * (q99 - q50)]), m.q50, m.q99)[0] == pytest.approx(0.9)
    # the contract's worked example (§8.2)
    assert calibrate(np.array([0.60]), 0.42, 0.55)[0] == pytest.approx(0.5806, abs=5e-5)
    share = false_anomaly_rate(m.score(train))
    assert 0.0 < share <= 0.0015


def test_scores_in_unit_interval():
    m = model()
    s = pd.concat([m.score(dataset()[2]), m.score(faulty_features("bearing"))])
    assert ((s >= 0.0) & (s < 1.0)).all()
    assert calibrate(np.array([np.inf, 10.0, -5.0]), 0.4, 0.5).tolist()[2] == 0.0
    assert calibrate(np.array([np.inf]), 0.4, 0.5)[0] < 1.0


def test_false_anomaly_rate_on_healthy_holdout():
    """Contract validation criterion (<= 1 %).

    0.5 is the training p99, so a hold-out that behaves exactly like the training data
    shows about 1 % (0.4-1.5 % over seeds of this plant); this fixed data set is 0.4 %.
    """
    m = model()
    far = false_anomaly_rate(m.score(dataset()[2]))
    assert far <= 0.01


def test_injected_bearing_fault_scores_high():
    m = model()
    healthy = m.score(dataset()[2])
    fault = m.score(faulty_features("bearing"))
    assert fault.median() >= 0.55
    assert fault.median() > healthy.quantile(0.999)
    assert (fault >= 0.5).mean() >= 0.9
    # a stretched calibration (same q50 -> 0, q99.9 -> 0.5) separates the fault further
    stretched = fit_anomaly_model(
        dataset()[1], random_state=3, params=AnomalyParams(calibration_exponent=8.0)
    )
    assert stretched.score(faulty_features("bearing")).median() > fault.median()
    assert false_anomaly_rate(stretched.score(dataset()[2])) == false_anomaly_rate(healthy)


def test_overheating_without_vibration_is_seen():
    """+12 degC at unchanged load and vibration: only one input moves, so the score stays
    near the healthy p99 (weaker than the bearing fault) but well above healthy operation."""
    m = model()
    healthy = m.score(dataset()[2])
    oh = m.score(faulty_features("overheat"))
    assert oh.median() > healthy.quantile(0.97)
    assert oh.median() >= 0.4 > 4 * healthy.median()


def test_load_changes_are_not_anomalous():
    m = model()
    _, _, hold = dataset()
    s = m.score(hold)
    # shift changes happen at 06:00, 14:00, 22:00; the hour after them is not worse than the rest
    after_change = s[s.index.hour.isin([6, 14, 22])]
    assert false_anomaly_rate(after_change) <= 0.05


def test_fast_scorer_equals_sklearn():
    m = model()
    x = m.design_matrix(dataset()[2])
    assert np.array_equal(m.raw_from_matrix(x), -m.forest.score_samples(x))


def test_joblib_round_trip_and_metadata():
    m = model()
    hold = dataset()[2]
    again = AnomalyModel.loads(m.dumps())
    np.testing.assert_array_equal(again.score(hold).to_numpy(), m.score(hold).to_numpy())
    buf = io.BytesIO()
    joblib.dump(m, buf)
    buf.seek(0)
    np.testing.assert_array_equal(joblib.load(buf).raw_scores(hold), m.raw_scores(hold))
    meta = again.metadata()
    assert meta["version"] and meta["features"] == m.features and meta["sklearn_version"]
    assert meta["n_train"] == len(dataset()[1]) and meta["q50"] < meta["q99"]
    assert meta["train_start"] == dataset()[1].index[0].isoformat()
    assert set(meta["baseline"]["columns"]) == set(m.features)


def test_deterministic_for_a_random_state():
    _, train, hold = dataset()
    a = fit_anomaly_model(train, random_state=5)
    b = fit_anomaly_model(train, random_state=5)
    c = fit_anomaly_model(train, random_state=6)
    np.testing.assert_array_equal(a.raw_scores(hold), b.raw_scores(hold))
    assert (a.q50, a.q99) == (b.q50, b.q99)
    assert not np.array_equal(a.raw_scores(hold), c.raw_scores(hold))


def test_missing_inputs_and_optional_signal():
    _, train, hold = dataset()
    no_kurt = train.copy()
    no_kurt[[c for c in train.columns if c.startswith("vibration_kurtosis")]] = np.nan
    m = fit_anomaly_model(no_kurt, random_state=1)
    assert not any(f.startswith("vibration_kurtosis") for f in m.features)
    frame = m.score_frame(hold.iloc[:50].assign(vibration_rms_mm_s__mean_15m=np.nan))
    assert (frame["n_imputed"] == 1).all()
    assert frame["anomaly_raw"].between(0, 1).all()


def test_refuses_too_few_rows():
    with pytest.raises(BaselineError, match="got 100"):
        fit_anomaly_model(dataset()[1].iloc[:100])


def test_false_anomaly_rate_helper():
    assert false_anomaly_rate([0.1, 0.5, 0.49, 0.9]) == 0.5
    assert false_anomaly_rate(np.array([0.0, np.nan])) == 0.0
    assert np.isnan(false_anomaly_rate([]))
