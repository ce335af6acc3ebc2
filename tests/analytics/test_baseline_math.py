"""Baseline statistics and normalisation, checked against numpy computed independently."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.baseline import BaselineError, BaselineStats, abs_floor_for, baseline_fit


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-01", periods=n, freq="10s", tz="UTC")
    df = pd.DataFrame(
        {
            "vibration_rms_mm_s__mean_15m": rng.normal(2.0, 0.3, n),
            "temperature_c__mean_15m": rng.normal(65.0, 4.0, n),
            "voltage_v__mean_15m": rng.normal(400.0, 0.01, n),  # std below every floor
            "vibration_kurtosis__mean_15m": rng.normal(3.0, 0.2, n),
        },
        index=idx,
    )
    df.iloc[::7, 3] = np.nan  # optional signal with gaps
    return df


def test_refuses_too_few_rows_and_names_the_count():
    with pytest.raises(BaselineError, match=r"holds 312 events; at least 500 are required"):
        baseline_fit(frame(312), columns=["temperature_c__mean_15m"])
    with pytest.raises(BaselineError) as exc:
        baseline_fit(
            frame(312),
            window=(pd.Timestamp("2025-01-10T00:00:00Z"), pd.Timestamp("2025-01-13T00:00:00Z")),
        )
    assert str(exc.value) == (
        "baseline window [2025-01-10T00:00:00Z, 2025-01-13T00:00:00Z) holds 312 events; "
        "at least 500 are required"
    )
    assert baseline_fit(frame(20), min_events=20).n_rows == 20


def test_refuses_columns_without_values():
    df = frame(600)
    df["empty"] = np.nan
    with pytest.raises(BaselineError, match="'empty' has no finite values"):
        baseline_fit(df)
    with pytest.raises(BaselineError, match="missing"):
        baseline_fit(df, columns=["nope"])
    stats = baseline_fit(df, skip_empty=True)
    assert "empty" not in stats and "temperature_c__mean_15m" in stats


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(n=st.integers(500, 3000), seed=st.integers(0, 10_000))
def test_stats_equal_numpy(n, seed):
    df = frame(n, seed)
    stats = baseline_fit(df)
    for col in df.columns:
        x = df[col].to_numpy()
        x = x[~np.isnan(x)]
        st_ = stats.stats(col)
        assert st_.count == x.size
        assert st_.mean == pytest.approx(np.mean(x), rel=1e-12)
        assert st_.std == pytest.approx(np.std(x, ddof=1), rel=1e-12)
        for attr, q in (("p01", 1), ("p05", 5), ("p50", 50), ("p95", 95), ("p99", 99)):
            assert getattr(st_, attr) == pytest.approx(np.percentile(x, q), rel=1e-12)


def test_json_round_trip():
    stats = baseline_fit(frame(800))
    text = json.dumps(stats.to_dict())
    back = BaselineStats.from_dict(json.loads(text))
    assert back.to_dict() == stats.to_dict()
    assert back.columns == stats.columns
    assert back.window_start == stats.window_start and back.window_end == stats.window_end


def test_normalisation_uses_floors():
    df = frame(1000)
    stats = baseline_fit(df)
    z = stats.normalise(df)
    for col in df.columns:
        x = df[col].to_numpy()
        good = x[~np.isnan(x)]
        mean, std = good.mean(), good.std(ddof=1)
        floor = max(1e-6, 0.01 * abs(mean), abs_floor_for(col))
        expected = (x - mean) / max(std, floor)
        np.testing.assert_allclose(z[col].to_numpy(), expected, rtol=1e-9, equal_nan=True)
    # voltage: std 0.01 V < floor max(0.01 * 400, 1.0) = 4 V
    assert stats.scale_of("voltage_v__mean_15m") == pytest.approx(
        0.01 * abs(stats.mean_of("voltage_v__mean_15m"))
    )
    # vibration: floor 0.1 mm/s (contract table) < std 0.3 -> the std is used
    assert abs_floor_for("vibration_rms_mm_s__mean_15m") == 0.1
    assert stats.scale_of("vibration_rms_mm_s__mean_15m") == pytest.approx(
        stats.stats("vibration_rms_mm_s__mean_15m").std
    )
    # a near-zero mean and tiny std fall back to the 1e-6 minimum
    tiny = pd.DataFrame({"x": np.r_[np.zeros(499), 1e-9]})
    st_tiny = baseline_fit(tiny)
    assert st_tiny.scale_of("x") == 1e-6
