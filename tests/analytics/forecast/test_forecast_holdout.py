"""The backtest stored with a forecast version (pure math): references scored on the same hours."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.forecast import model as fm
from analytics.forecast.holdout import day_ahead_backtest


def _weekly(days: int) -> pd.DataFrame:
    idx = pd.date_range("2026-01-05", periods=days * 24, freq="h", tz="UTC")
    y = (
        40
        * np.where((idx.hour >= 8) & (idx.hour < 20), 1.0, 0.45)
        * np.where(idx.day_of_week >= 5, 0.33, 1.0)
    )
    return fm.hourly_frame(pd.Series(y, index=idx))


def test_references_are_scored_on_the_held_back_days_only():
    frame = _weekly(42)
    result = day_ahead_backtest(frame, fm.ForecastConfig(timezone="UTC"))
    held = frame["load_kw"].iloc[-14 * 24 :]
    yesterday = frame["load_kw"].shift(24).iloc[-14 * 24 :]
    assert (result["days"], result["hours"]) == (14, 336)
    assert result["start"] == held.index[0].isoformat()
    assert result["seasonal_naive_mae_kw"] == 0.0  # the series repeats every week exactly
    assert result["persistence_mae_kw"] == np.mean(np.abs(held - yesterday))
    assert result["mae_vs_persistence"] == result["mae_kw"] / result["persistence_mae_kw"]
    assert result["mae_vs_seasonal_naive"] is None  # no ratio to a zero error


def test_a_history_too_short_to_hold_back_two_weeks_gives_the_reason_not_figures():
    result = day_ahead_backtest(_weekly(35), fm.ForecastConfig(timezone="UTC"))
    assert result["refused"] == "history_too_short"
    assert result["reason"].startswith("the history before the last 14 days: ")
