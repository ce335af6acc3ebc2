"""The hourly load forecast (pure math): refusals, no look-ahead, level, interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.forecast import model as fm

CONFIG = fm.ForecastConfig(
    timezone="UTC", horizon_h=168, max_iter=30, training_days=60, origin_every_h=24, min_samples_leaf=20
)


def weekly_load(days: int, seed: int = 0, level: float = 100.0) -> pd.Series:
    """Weekday day-shift load, low weekends, noise."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2026-01-05", periods=days * 24, freq="h", tz="UTC")
    hour = idx.hour.to_numpy()
    weekday = idx.day_of_week.to_numpy() < 5
    shape = 0.3 + 0.7 * ((hour >= 8) & (hour < 18)) * weekday + 0.1 * weekday
    return pd.Series(level * shape * (1 + 0.05 * rng.standard_normal(len(idx))), index=idx)


def test_refuses_history_shorter_than_28_days_with_rule_and_reason():
    frame = fm.hourly_frame(weekly_load(20))
    with pytest.raises(fm.ForecastRefused) as err:
        fm.fit(frame, CONFIG)
    assert err.value.rule == "history_too_short" and "672 h" in err.value.reason


def test_refuses_sparse_history():
    s = weekly_load(40)
    s.iloc[-20 * 24 :] = np.nan
    frame = fm.hourly_frame(s)
    with pytest.raises(fm.ForecastRefused) as err:
        fm.fit(frame, CONFIG)
    assert err.value.rule == "history_too_sparse"


def test_forecast_follows_the_weekly_shape_and_beats_seasonal_naive_noise():
    s = weekly_load(56)
    past, future = s.iloc[: 49 * 24], s.iloc[49 * 24 :]
    frame = fm.hourly_frame(past)
    fc = fm.predict(fm.fit(frame, CONFIG), frame, 168)
    actual = future.to_numpy()
    assert list(fc.times) == list(future.index)
    mae = np.mean(np.abs(actual - fc.median_kw))
    naive = np.mean(np.abs(actual - fm.seasonal_naive(frame, 168, 168)))
    assert mae < naive  # the median averages the noise the single lag carries
    assert np.all(fc.low_kw <= fc.median_kw) and np.all(fc.median_kw <= fc.high_kw)
    coverage = np.mean((actual >= fc.low_kw) & (actual <= fc.high_kw))
    assert 0.6 <= coverage <= 0.98


def test_forecast_scales_with_the_level_of_the_series():
    a = fm.hourly_frame(weekly_load(42, level=100.0))
    b = fm.hourly_frame(weekly_load(42, level=1000.0))
    fa = fm.predict(fm.fit(a, CONFIG), a, 24)
    fb = fm.predict(fm.fit(b, CONFIG), b, 24)
    np.testing.assert_allclose(fb.median_kw, 10 * fa.median_kw, rtol=1e-6)


def test_training_and_prediction_never_read_hours_after_the_origin():
    s = weekly_load(42)
    frame = fm.hourly_frame(s)
    origin = len(frame) - 24 * 7
    fitted = fm.fit(frame.iloc[:origin], CONFIG)
    base = fm.predict(fitted, frame.iloc[:origin], 24)
    changed = frame.copy()
    changed.iloc[origin:, 0] = changed.iloc[origin:, 0] * 5
    again = fm.predict(fm.fit(changed.iloc[:origin], CONFIG), changed.iloc[:origin], 24)
    np.testing.assert_array_equal(base.median_kw, again.median_kw)


def test_metrics_by_hand():
    m = fm.metrics(
        np.array([10.0, 20.0]), np.array([12.0, 17.0]), np.array([9.0, 18.0]), np.array([11.0, 19.0]), 2.0
    )
    assert m["mae"] == 2.5 and m["rmse"] == pytest.approx(np.sqrt((4 + 9) / 2))
    assert m["mape_pct"] == pytest.approx((0.2 + 0.15) / 2 * 100) and m["mase"] == 1.25
    assert m["interval_coverage"] == 0.5


def test_baseline_is_last_week_moved_by_the_days_change_with_fallbacks():
    nan = np.nan
    lag_week = np.array([100.0, nan, nan, 100.0, 2.0])
    same_hour_weeks = np.array([90.0, 80.0, nan, 90.0, 90.0])
    lag_day = np.array([70.0, 70.0, 60.0, 70.0, 70.0])
    shift = np.array([1.1, 1.0, 1.0, 1.0, 1.0])
    level = np.array([100.0, 100.0, 100.0, nan, 100.0])
    base = fm.baseline(lag_week, same_hour_weeks, lag_day, shift, level)
    # last week x shift; mean of weeks 1-3; latest same hour; no level: nothing; below 5 %: level
    np.testing.assert_allclose(base, [110.0, 80.0, 60.0, nan, 100.0])


def test_holiday_flags_use_the_site_local_day_of_the_lagged_hour():
    times = pd.DatetimeIndex(["2026-01-08 20:00", "2026-01-08 17:00", "2026-01-09 03:00"], tz="UTC")
    config = fm.ForecastConfig(timezone="Asia/Kolkata", holidays=[pd.Timestamp("2026-01-02").date()])
    # 7 days back: 2 Jan 01:30 IST (holiday), 1 Jan 22:30 IST, 2 Jan 08:30 IST (holiday)
    np.testing.assert_array_equal(fm.holiday_flags(times, np.full(3, 168), config), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(fm.holiday_flags(times, np.zeros(3), config), [0.0, 0.0, 0.0])
    assert not fm.holiday_flags(times, np.zeros(3), fm.ForecastConfig()).any()


def test_day_ahead_follows_a_step_in_the_level_that_seasonal_naive_misses():
    s = weekly_load(50, seed=3)
    s.iloc[-2 * 24 :] *= 1.2  # the last two days, the future one included, run 20 % higher
    past, future = s.iloc[:-24], s.iloc[-24:]
    frame = fm.hourly_frame(past)
    config = fm.ForecastConfig(
        timezone="UTC", horizon_h=24, max_iter=40, training_days=60, min_samples_leaf=20
    )
    fc = fm.predict(fm.fit(frame, config), frame, 24)
    actual = future.to_numpy()
    mae = np.mean(np.abs(actual - fc.median_kw))
    naive = np.mean(np.abs(actual - fm.seasonal_naive(frame, 24, 168)))
    assert mae < 0.6 * naive


def test_a_holiday_a_week_before_is_not_copied_into_the_forecast():
    s = weekly_load(63, seed=4)
    idx = s.index
    wednesdays = sorted({d for d in idx.date if d.weekday() == 2})
    holidays = [*wednesdays[1:-1:2], wednesdays[-2]]  # every other Wednesday and last week's
    holiday_hours = np.isin(idx.date, holidays)
    flat = 0.3 * 100.0 * (1 + 0.05 * np.random.default_rng(5).standard_normal(len(idx)))
    s[holiday_hours] = flat[holiday_hours]  # a holiday looks like a weekend day
    cut = np.flatnonzero(idx.date == wednesdays[-1])[0]  # origin: the last hour before Wednesday
    frame = fm.hourly_frame(s.iloc[:cut])
    config = fm.ForecastConfig(
        timezone="UTC", horizon_h=24, holidays=holidays, max_iter=60, training_days=70, min_samples_leaf=10
    )
    fc = fm.predict(fm.fit(frame, config), frame, 24)
    actual = s.iloc[cut : cut + 24].to_numpy()
    mae = np.mean(np.abs(actual - fc.median_kw))
    naive = np.mean(np.abs(actual - fm.seasonal_naive(frame, 24, 168)))
    assert mae < 0.3 * naive  # seasonal-naive copies last Wednesday's holiday
