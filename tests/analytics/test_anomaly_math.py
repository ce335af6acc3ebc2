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
    calibrate,
    combine_calibrated,
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
            "reactive_power_kvar": p_kw * np.tan(np.arccos(pf)),
            "ambient_temperature_c": amb + rng.normal(0, 0.1, n),
        },
        index=idx,
    )


def model_frame(ev: pd.DataFrame) -> pd.DataFrame:
    """Features plus the event's own readings, as the pipeline hands them to the model."""
    feats = compute_features(ev, context=CTX)
    return feats.join(ev[[c for c in ev.columns if c not in feats.columns]])


@cache
def dataset(seed: int = 11):
    ev = plant_events(DAYS, seed)
    feats = model_frame(ev)
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
    feats = model_frame(plant_events(DAYS, seed, fault_from=start, kind=kind))
    return feats[feats.index >= start + pd.Timedelta(hours=1)]


def test_calibration_maps_training_quantiles():
    m = model()
    _, train, _ = dataset()
    frame = m.score_frame(train)
    q50, q999 = np.quantile(frame["anomaly_raw"], [0.5, 0.999])
    d50, d999 = np.quantile(frame["anomaly_distance"], [0.5, 0.999])
    assert (m.q50, m.q99, m.d50, m.d999, m.anchor_margin) == (q50, q999, d50, d999, 1.5)
    # contract §8.2: each term is 0 at its training median and 1 at median + 1.5 x (p99.9 - median)
    anchor_r, anchor_d = q50 + 1.5 * (q999 - q50), d50 + 1.5 * (d999 - d50)
    at = m.calibrated(
        np.array([q50, anchor_r, q50, q50]), np.array([d50, d50, anchor_d, d50 + 13.5 * (d999 - d50)])
    )
    assert at == pytest.approx([0.0, 0.5, 0.5, 0.9])
    # a = max(a_forest, a_distance): the more alarmed term decides
    both = m.calibrated(np.array([anchor_r]), np.array([d50 + 4.5 * (d999 - d50)]))
    assert both[0] == pytest.approx(0.75)
    # the contract's worked example (§8.2)
    ex = combine_calibrated(np.array([0.60]), np.array([3.00]), 0.42, 0.55, 0.75, 1.70, margin=1.5)
    assert ex[0] == pytest.approx(0.6122, abs=5e-5)
    assert false_anomaly_rate(frame["anomaly_score"]) <= 0.001  # 0.5 lies beyond the training p99.9


def test_scores_in_unit_interval():
    m = model()
    s = pd.concat([m.score(dataset()[2]), m.score(faulty_features("bearing"))])
    assert ((s >= 0.0) & (s < 1.0)).all()
    assert calibrate(np.array([np.inf, 10.0, -5.0]), 0.4, 0.5).tolist()[2] == 0.0
    assert calibrate(np.array([np.inf]), 0.4, 0.5)[0] < 1.0


def test_false_anomaly_rate_on_healthy_holdout():
    """Contract validation criterion (<= 1 %) on four days the model never saw."""
    m = model()
    far = false_anomaly_rate(m.score(dataset()[2]))
    assert far <= 0.01


def test_injected_bearing_fault_scores_high():
    m = model()
    healthy = m.score(dataset()[2])
    fault = m.score(faulty_features("bearing"))
    assert fault.median() >= 0.9
    assert fault.median() > healthy.quantile(0.999)
    assert (fault >= 0.5).mean() >= 0.99


def test_score_keeps_rising_with_the_fault_where_the_forest_saturates():
    """The forest isolates every point beyond the training range at about the same depth, so its
    raw score stops growing; the distance term keeps the score rising with the fault (§8.2)."""
    m = model()
    ev, _, _ = dataset()
    start = ev.index[0] + pd.Timedelta(days=FAULT_DAY)
    medians, raws = [], []
    for factor in (1.5, 3.0, 6.0):
        faulty = ev.copy()
        on = faulty.index >= start
        faulty.loc[on, "vibration_rms_mm_s"] *= factor
        frame = m.score_frame(model_frame(faulty).loc[start + pd.Timedelta(hours=1) :])
        medians.append(frame["anomaly_score"].median())
        raws.append(frame["anomaly_raw"].median())
    assert medians[0] < medians[1] < medians[2] and medians[2] > 0.95
    assert raws[2] - raws[1] < 0.25 * (raws[1] - m.q50)  # forest: nearly flat from x3 to x6


def test_overheating_without_vibration_is_seen():
    """+12 degC at unchanged load and vibration: the rise above ambient, against its load fit,
    is the one input that moves."""
    m = model()
    healthy = m.score(dataset()[2])
    oh = m.score_frame(faulty_features("overheat"))
    assert oh["anomaly_score"].median() > 0.6 > healthy.quantile(0.999)
    z = pd.DataFrame(m.normalised(faulty_features("overheat")).T, columns=m.features)
    assert z.abs().median().idxmax() == "temperature_c__load_residual"


def test_reactive_power_residual_sees_an_insulation_fault_at_unchanged_load():
    """Extra reactive current (insulation degradation) at the same active power: PF drops."""
    m = model()
    ev, _, hold = dataset()
    start = ev.index[0] + pd.Timedelta(days=FAULT_DAY)
    faulty = ev.copy()
    on = faulty.index >= start
    q = faulty.loc[on, "reactive_power_kvar"] + 0.03 * 37.0 / 0.85  # +3 % of rated kVA, reactive
    faulty.loc[on, "reactive_power_kvar"] = q
    faulty.loc[on, "power_factor"] = faulty.loc[on, "power_kw"] / np.hypot(faulty.loc[on, "power_kw"], q)
    frame = model_frame(faulty).loc[start + pd.Timedelta(hours=1) :]
    z = pd.DataFrame(m.normalised(frame).T, columns=m.features)
    assert z["reactive_power_kvar__load_residual"].median() > 5
    assert m.score(frame).median() > m.score(hold).quantile(0.999)


def test_only_steady_running_rows_are_trained_on_and_scored():
    """Rows with running_1h = 0 (stopped, or started less than 1 h ago; §6.7) are left out of
    training and get no score (NaN); rows where the state is unknown (null) count."""
    _, train, hold = dataset()
    base = fit_anomaly_model(train, random_state=3)
    flagged = train.assign(running_1h=1.0)
    junk = flagged.iloc[:400].copy()
    junk.index = junk.index - pd.Timedelta(days=30)
    junk[["vibration_rms_mm_s__mean_15m", "temperature_c"]] = 0.0  # stopped: nothing like running
    junk["running_1h"] = 0.0
    m = fit_anomaly_model(pd.concat([junk, flagged]), random_state=3)
    assert (m.q50, m.q99, m.d50, m.d999) == (base.q50, base.q99, base.d50, base.d999)
    frame = hold.assign(running_1h=np.where(np.arange(len(hold)) % 3 == 0, 0.0, 1.0))
    frame.iloc[1, frame.columns.get_loc("running_1h")] = np.nan
    out = m.score_frame(frame)
    assert out["anomaly_score"].isna().to_numpy().tolist() == (frame["running_1h"] == 0.0).tolist()
    kept = frame["running_1h"] != 0.0
    np.testing.assert_array_equal(
        out["anomaly_score"][kept].to_numpy(), m.score(hold[kept.to_numpy()]).to_numpy()
    )
    with pytest.raises(BaselineError, match="steady running, got 0"):
        fit_anomaly_model(junk, random_state=3)


def test_a_model_stored_before_the_distance_term_scores_with_the_forest_alone():
    m = model()
    old = AnomalyModel.loads(m.dumps())
    old.d50 = old.d999 = float("nan")  # what an iforest-v1 pickle restores (class defaults)
    frame = m.score_frame(dataset()[2])
    np.testing.assert_array_equal(
        old.score(dataset()[2]).to_numpy(), calibrate(frame["anomaly_raw"].to_numpy(), m.q50, m.q99)
    )


def test_a_model_stored_with_the_classes_under_analytics_anomaly_still_loads(monkeypatch):
    """Models stored before the model inputs moved to analytics.anomaly_inputs name
    ``analytics.anomaly.FittedResidual`` and ``.ResidualSpec`` in their pickle; they load and
    score as before."""
    from analytics import anomaly_inputs

    m = model()
    for cls in (anomaly_inputs.FittedResidual, anomaly_inputs.ResidualSpec):
        monkeypatch.setattr(cls, "__module__", "analytics.anomaly")
    blob = m.dumps()
    monkeypatch.undo()
    assert b"analytics.anomaly_inputs" not in blob and b"FittedResidual" in blob
    old = AnomalyModel.loads(blob)
    assert type(old.residuals[0]) is anomaly_inputs.FittedResidual
    hold = dataset()[2]
    np.testing.assert_array_equal(old.score(hold).to_numpy(), m.score(hold).to_numpy())


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
    assert meta["d50"] < meta["d999"] and meta["distance"] == "z_l2" and meta["anchor_margin"] == 1.5
    assert meta["train_start"] == dataset()[1].index[0].isoformat()
    assert set(meta["baseline"]["columns"]) == set(m.features)


def test_deterministic_for_a_random_state():
    _, train, hold = dataset()
    a = fit_anomaly_model(train, random_state=5)
    b = fit_anomaly_model(train, random_state=5)
    c = fit_anomaly_model(train, random_state=6)
    np.testing.assert_array_equal(a.raw_scores(hold), b.raw_scores(hold))
    assert (a.q50, a.q99, a.d50, a.d999) == (b.q50, b.q99, b.d50, b.d999)
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
    with pytest.raises(BaselineError, match="got 100"):  # 100 rows, all of steady running
        fit_anomaly_model(dataset()[1].iloc[:100])


def test_false_anomaly_rate_helper():
    assert false_anomaly_rate([0.1, 0.5, 0.49, 0.9]) == 0.5
    assert false_anomaly_rate(np.array([0.0, np.nan])) == 0.0
    assert np.isnan(false_anomaly_rate([]))
