"""Hourly load forecast: quantile gradient boosting on lags and calendar, level-normalised,
with a conformal widening of the 80 % interval learnt on a held-back window.

Pure math (no Django): the input is an hourly series of mean kW labelled by the UTC start of
the hour (NaN = hour not measured), the output is the next ``horizon_h`` hours from an origin.
Why each choice (docs/forecast.md):

* **Level normalisation.** Every load feature and the target are divided by the mean load of
  the 168 h before the origin, so one model learns the *shape* of the week and a plant that
  doubled its load, or a series never seen before, is forecast at its own level.
* **Direct multi-horizon.** One sample per (origin, lead hour); the lead hour ``h`` is a feature
  and lag features use only values at or before the origin (``y(t - 24 ceil(h/24))``,
  ``y(t - 168)``...), so training never sees the future of its own origin.
* **Recent-level correction.** The ratio of the last 24 h to the last 168 h and the last hour's
  value tell the model how far the current level is from the weekly one.
* **Quantiles then calibration.** HistGradientBoostingRegressor with ``loss="quantile"`` gives
  the median and the 10 % / 90 % quantiles; on the last ``calibration_days`` of origins of the
  training data (models fitted without them) the conformity score ``max(q10 - y, y - q90)``
  (in level units) is collected and its 80 % empirical quantile widens (or narrows) the final
  interval (conformalised quantile regression), and the median's mean relative error there is
  removed as a bias.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

HOUR = pd.Timedelta(hours=1)
WEEK_H = 168
QUANTILES = (0.1, 0.5, 0.9)
INTERVAL = 0.8
# Refused below this: two weeks of lags (t - 336) plus two weeks of origins to learn from.
MIN_HISTORY_H = 28 * 24
MIN_COVERED_SHARE = 0.6


class ForecastRefused(ValueError):
    """History too short or too sparse: ``reason`` says which, ``rule`` is machine-readable."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


@dataclass(frozen=True)
class ForecastConfig:
    horizon_h: int = WEEK_H
    timezone: str = "UTC"
    holidays: Collection[date] = ()
    training_days: int = 365
    calibration_days: int = 14
    origin_every_h: int = 6
    max_iter: int = 150
    learning_rate: float = 0.08
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 40
    random_state: int = 0


@dataclass
class Forecast:
    times: pd.DatetimeIndex  # UTC hour starts
    median_kw: np.ndarray
    low_kw: np.ndarray
    high_kw: np.ndarray


@dataclass
class FittedForecaster:
    config: ForecastConfig
    models: dict[float, HistGradientBoostingRegressor]
    widen: float  # conformal widening in level units (may be negative)
    bias: float  # mean relative error of the median on the calibration window
    feature_names: list[str]
    use_temperature: bool
    training_start: pd.Timestamp
    training_end: pd.Timestamp  # exclusive: the origin after the last training hour
    samples: int
    calibration: dict[str, float] = field(default_factory=dict)


def hourly_frame(load_kw: pd.Series, temperature_c: pd.Series | None = None) -> pd.DataFrame:
    """A regular hourly UTC frame ``load_kw`` (+ ``temperature_c``) from possibly gappy input."""
    if load_kw.index.tz is None:
        raise ValueError("load_kw index must be timezone-aware (UTC)")
    idx = load_kw.index.tz_convert("UTC").floor("h")
    load = pd.Series(load_kw.to_numpy(dtype=float), index=idx).groupby(level=0).mean()
    full = pd.date_range(load.index.min(), load.index.max(), freq="h", tz="UTC")
    frame = pd.DataFrame({"load_kw": load.reindex(full)})
    if temperature_c is not None and len(temperature_c.dropna()):
        t_idx = temperature_c.index.tz_convert("UTC").floor("h")
        temp = pd.Series(temperature_c.to_numpy(dtype=float), index=t_idx).groupby(level=0).mean()
        frame["temperature_c"] = temp.reindex(full)
    return frame


def check_history(frame: pd.DataFrame) -> None:
    """Refuse (``ForecastRefused``) a history too short or too sparse to learn weekly lags."""
    hours = len(frame)
    covered = int(frame["load_kw"].notna().sum())
    if hours < MIN_HISTORY_H:
        raise ForecastRefused(
            "history_too_short",
            f"{hours} h of history; at least {MIN_HISTORY_H} h (28 days) of hourly load are needed",
        )
    recent = frame["load_kw"].iloc[-MIN_HISTORY_H:]
    share = float(recent.notna().mean())
    if share < MIN_COVERED_SHARE or covered < MIN_HISTORY_H * MIN_COVERED_SHARE:
        raise ForecastRefused(
            "history_too_sparse",
            f"only {share:.0%} of the last 28 days have load; at least {MIN_COVERED_SHARE:.0%} are needed",
        )


def _calendar(times: pd.DatetimeIndex, config: ForecastConfig) -> dict[str, np.ndarray]:
    local = times.tz_convert(ZoneInfo(config.timezone))
    dates = local.date
    hol = set(config.holidays)
    holiday = np.fromiter((d in hol for d in dates), dtype=float, count=len(dates))
    dow = local.day_of_week.to_numpy()
    return {
        "hour": local.hour.to_numpy().astype(float),
        "dow": dow.astype(float),
        "weekend": (dow >= 5).astype(float),
        "holiday": holiday,
    }


def _design(
    y: np.ndarray,
    temp: np.ndarray | None,
    times: pd.DatetimeIndex,
    origins: np.ndarray,
    horizon_h: int,
    config: ForecastConfig,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Samples for every origin position ``o`` (the last known hour) and lead 1..horizon_h.

    Returns (features, target ratio, level, target position); positions beyond ``y`` have a NaN
    target. Every lag reads ``y`` at a position <= its origin.
    """
    n = len(y)
    lead = np.arange(1, horizon_h + 1)
    o = np.repeat(origins, horizon_h)
    h = np.tile(lead, len(origins))
    t = o + h
    csum = np.concatenate([[0.0], np.cumsum(np.nan_to_num(y))])
    ccount = np.concatenate([[0], np.cumsum(~np.isnan(y))])

    def window_mean(end: np.ndarray, width: int) -> np.ndarray:
        start = np.maximum(end - width + 1, 0)
        s = csum[end + 1] - csum[start]
        c = ccount[end + 1] - ccount[start]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(c > 0, s / np.maximum(c, 1), np.nan)

    def at(pos: np.ndarray) -> np.ndarray:
        ok = (pos >= 0) & (pos < n)
        out = np.full(pos.shape, np.nan)
        out[ok] = y[pos[ok]]
        return out

    level_o = window_mean(origins, WEEK_H)
    level = np.repeat(level_o, horizon_h)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.where(level > 0, level, np.nan)
    days_back = np.ceil(h / 24).astype(int) * 24
    weeks_back = np.ceil(h / WEEK_H).astype(int) * WEEK_H
    lag_day = at(t - days_back)
    lag_week = at(t - weeks_back)
    lag_2week = at(t - weeks_back - WEEK_H)
    lag_3week = at(t - weeks_back - 2 * WEEK_H)
    same_hour_weeks = np.nanmean(np.vstack([lag_week, lag_2week, lag_3week]), axis=0)
    # Mean of the same hour over the last 7 known days (daily profile, any weekday).
    daily = np.vstack([at(t - days_back - 24 * k) for k in range(7)])
    with np.errstate(invalid="ignore"):
        same_hour_days = np.nanmean(daily, axis=0)
    roll24 = np.repeat(window_mean(origins, 24), horizon_h)
    roll6 = np.repeat(window_mean(origins, 6), horizon_h)
    last = at(o)
    # The last day's deviation from the same day a week earlier, at this hour (level shift).
    dev_week = lag_day - at(t - days_back - WEEK_H)
    tt = times[np.minimum(t, len(times) - 1)] + pd.to_timedelta(np.maximum(t - (len(times) - 1), 0), unit="h")
    cal = _calendar(pd.DatetimeIndex(tt), config)
    feats = {
        "lead_h": h.astype(float),
        **cal,
        "lag_day": lag_day / level,
        "lag_week": lag_week / level,
        "lag_2week": lag_2week / level,
        "same_hour_weeks": same_hour_weeks / level,
        "same_hour_days": same_hour_days / level,
        "dev_week": dev_week / level,
        "roll24": roll24 / level,
        "roll6": roll6 / level,
        "last": last / level,
        "level_log": np.log(level),
    }
    if temp is not None:
        tw = pd.Series(temp)
        t24 = tw.rolling(24, min_periods=6).mean().to_numpy()
        feats["temp_roll24"] = np.repeat(t24[origins], horizon_h)
        tlag = np.full(t.shape, np.nan)
        ok = (t - days_back >= 0) & (t - days_back < n)
        tlag[ok] = temp[(t - days_back)[ok]]
        feats["temp_lag_day"] = tlag
    target = at(t) / level
    return pd.DataFrame(feats), target, level, t


def _origins(frame: pd.DataFrame, config: ForecastConfig, end_pos: int) -> np.ndarray:
    """Training origin positions (the last known hour): every ``origin_every_h`` hours counted
    back from ``end_pos``, with two weeks of lags behind them, within ``training_days``."""
    first = max(2 * WEEK_H, len(frame) - config.training_days * 24)
    pos = np.arange(end_pos, first - 1, -config.origin_every_h)[::-1]
    return pos


def _fit_models(
    x: pd.DataFrame, target: np.ndarray, config: ForecastConfig
) -> dict[float, HistGradientBoostingRegressor]:
    models = {}
    for q in QUANTILES:
        m = HistGradientBoostingRegressor(
            loss="quantile",
            quantile=q,
            max_iter=config.max_iter,
            learning_rate=config.learning_rate,
            max_leaf_nodes=config.max_leaf_nodes,
            min_samples_leaf=config.min_samples_leaf,
            random_state=config.random_state,
            categorical_features=None,
        )
        m.fit(x, target)
        models[q] = m
    return models


def _training_set(frame: pd.DataFrame, config: ForecastConfig, origins: np.ndarray, last_pos: int):
    y = frame["load_kw"].to_numpy(dtype=float)
    temp = frame["temperature_c"].to_numpy(dtype=float) if "temperature_c" in frame else None
    x, target, level, t = _design(y, temp, frame.index, origins, config.horizon_h, config)
    keep = (t <= last_pos) & np.isfinite(target) & np.isfinite(level)
    return x[keep].reset_index(drop=True), target[keep], level[keep], t[keep]


def fit(frame: pd.DataFrame, config: ForecastConfig) -> FittedForecaster:
    """Fit on every hour of ``frame`` (the whole frame is the past). Raises ``ForecastRefused``."""
    check_history(frame)
    last_pos = len(frame) - 1
    origins = _origins(frame, config, last_pos - 1)
    per_day = 24 // config.origin_every_h
    if len(origins) < 14 * per_day:
        raise ForecastRefused(
            "history_too_short", "fewer than 14 days of origins with two weeks of lags behind them"
        )
    cal_days = min(config.calibration_days, len(origins) // (2 * per_day))
    cut = origins[-cal_days * per_day]
    # Calibration: models fitted on the samples whose target hour is before the first held-back
    # origin, judged on the held-back origins.
    early = origins[origins < cut]
    x_e, y_e, _, _ = _training_set(frame, config, early, cut)
    held = origins[origins >= cut]
    x_h, y_h, _, _ = _training_set(frame, config, held, last_pos)
    widen, bias, calib = 0.0, 0.0, {}
    if len(x_e) > 200 and len(x_h) > 24:
        cal_models = _fit_models(x_e, y_e, config)
        med = cal_models[0.5].predict(x_h)
        bias = float(np.median((y_h - med) / np.maximum(np.abs(med), 1e-9)))
        med_b = med * (1 + bias)
        lo = np.minimum(cal_models[0.1].predict(x_h), med) * (1 + bias)
        hi = np.maximum(cal_models[0.9].predict(x_h), med) * (1 + bias)
        scores = np.maximum(lo - y_h, y_h - hi)
        widen = float(np.quantile(scores, INTERVAL, method="higher"))
        calib = {
            "calibration_samples": float(len(y_h)),
            "raw_coverage": float(np.mean((y_h >= lo) & (y_h <= hi))),
            "mae_ratio": float(np.mean(np.abs(y_h - med_b))),
        }
    x, target, _, _ = _training_set(frame, config, origins, last_pos)
    models = _fit_models(x, target, config)
    return FittedForecaster(
        config=config,
        models=models,
        widen=widen,
        bias=bias,
        feature_names=list(x.columns),
        use_temperature="temperature_c" in frame,
        training_start=frame.index[max(0, origins[0] - 3 * WEEK_H)],
        training_end=frame.index[-1] + HOUR,
        samples=len(x),
        calibration=calib,
    )


def predict(fitted: FittedForecaster, frame: pd.DataFrame, horizon_h: int | None = None) -> Forecast:
    """Forecast the ``horizon_h`` hours after the frame's last hour (the origin)."""
    config = fitted.config
    horizon = min(horizon_h or config.horizon_h, config.horizon_h)
    y = frame["load_kw"].to_numpy(dtype=float)
    temp = (
        frame["temperature_c"].to_numpy(dtype=float)
        if fitted.use_temperature and "temperature_c" in frame
        else None
    )
    if fitted.use_temperature and temp is None:
        temp = np.full(len(y), np.nan)
    origin = np.array([len(frame) - 1])
    x, _, level, _ = _design(y, temp, frame.index, origin, horizon, config)
    if not np.isfinite(level).all():
        raise ForecastRefused("history_too_sparse", "no load in the 168 h before the origin")
    x = x[fitted.feature_names]
    scale = level * (1 + fitted.bias)
    med = fitted.models[0.5].predict(x)
    lo = np.minimum(fitted.models[0.1].predict(x), med)
    hi = np.maximum(fitted.models[0.9].predict(x), med)
    median_kw = np.maximum(med * scale, 0.0)
    low_kw = np.maximum((lo * (1 + fitted.bias) - fitted.widen) * level, 0.0)
    high_kw = np.maximum((hi * (1 + fitted.bias) + fitted.widen) * level, median_kw)
    low_kw = np.minimum(low_kw, median_kw)
    times = pd.date_range(frame.index[-1] + HOUR, periods=horizon, freq="h", tz="UTC")
    return Forecast(times=times, median_kw=median_kw, low_kw=low_kw, high_kw=high_kw)


def seasonal_naive(frame: pd.DataFrame, horizon_h: int, season_h: int) -> np.ndarray:
    """Same hour ``season_h`` earlier, repeated for leads beyond one season (the reference)."""
    y = frame["load_kw"].to_numpy(dtype=float)
    n = len(y)
    lead = np.arange(1, horizon_h + 1)
    back = np.ceil(lead / season_h).astype(int) * season_h
    pos = n - 1 + lead - back
    return y[pos]


def metrics(
    actual: np.ndarray, median: np.ndarray, low: np.ndarray | None, high: np.ndarray | None, scale: float
) -> dict[str, float]:
    """MAE, RMSE, MAPE (%), MASE (MAE / ``scale``, the in-sample MAE of seasonal-naive) and
    the share of actual values inside [low, high], over the hours with an actual value."""
    ok = np.isfinite(actual) & np.isfinite(median)
    a, m = actual[ok], median[ok]
    err = a - m
    out = {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mape_pct": float(np.mean(np.abs(err) / np.abs(a)) * 100) if np.all(np.abs(a) > 0) else float("nan"),
        "mase": float(np.mean(np.abs(err)) / scale) if scale > 0 else float("nan"),
        "n": int(ok.sum()),
    }
    if low is not None and high is not None:
        out["interval_coverage"] = float(np.mean((a >= low[ok]) & (a <= high[ok])))
    return out
